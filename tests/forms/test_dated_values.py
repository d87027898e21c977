"""Issue 11 item 13: stored values of TODAY() are recomputed by a job at 00:00 in the business time
zone, through the record pipeline as the system; TODAY() is the business zone's date wherever the
form engine evaluates; NOW() is refused in stored fields."""
from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import sqlalchemy as sa

from engine.platform.clock import FixedClock
from engine.platform.jobs import list_jobs, run_due_jobs
from forms.dated import HANDLER, ensure_daily_jobs


@pytest.fixture
def rp(forms_env):
    env = forms_env("repair")
    env.clock = FixedClock(dt.datetime(2026, 11, 30, 2, 0))  # 10:00 in Shanghai
    env.rt.clock = env.clock
    return env


def _tick(env) -> None:
    ensure_daily_jobs(env.rt)
    run_due_jobs(env.rt, "test-worker")


def test_item13_warranty_goes_stale_no_more(rp):
    dev = rp.admin.post(rp.url("device"), json={"name": "pump", "warranty_until": "2026-12-01"}).json()
    keep = rp.admin.post(rp.url("device"), json={"name": "old", "warranty_until": "2020-01-01"}).json()
    visit = rp.admin.post(rp.url("visit"), json={"note": "v", "device": dev["id"]}).json()
    assert dev["in_warranty"] is True and dev["warranty_label"] == "保修中" and visit["covered"] is True
    assert keep["in_warranty"] is False
    _tick(rp)  # schedules the job of this app: at the next midnight in Shanghai
    jobs, _ = list_jobs(rp.rt, handler=HANDLER)
    assert len(jobs) == 1 and jobs[0]["time_zone"] == "Asia/Shanghai"
    assert jobs[0]["run_at"] == dt.datetime(2026, 11, 30, 16, 0)  # 00:00 on 1 December, Shanghai
    rp.clock.set(dt.datetime(2026, 11, 30, 16, 1))  # 1 December: still in warranty
    _tick(rp)
    assert rp.admin.get(rp.url("device", f"/{dev['id']}")).json()["version"] == 1  # nothing changed, not rewritten
    rp.clock.set(dt.datetime(2026, 12, 1, 16, 1))  # 00:01 on 2 December in Shanghai
    _tick(rp)
    got = rp.admin.get(rp.url("device", f"/{dev['id']}")).json()
    assert got["in_warranty"] is False and got["warranty_label"] == "已过保" and got["version"] == 2
    assert rp.admin.get(rp.url("device", f"/{keep['id']}")).json()["version"] == 1  # unchanged: not rewritten
    assert rp.admin.get(rp.url("visit", f"/{visit['id']}")).json()["covered"] is False  # a lookup follows
    found = rp.admin.get(rp.url("device"), params={"filter": json.dumps({"in_warranty": False})}).json()["items"]
    assert sorted(d["name"] for d in found) == ["old", "pump"]
    history = rp.admin.get(rp.url("device", f"/{dev['id']}/history")).json()["items"]
    last = history[-1]  # the system's recomputation, in the record's history
    assert "in_warranty" in last["changes"] and last["actor"]["id"] == rp.rt.db.system_user_id
    ev = rp.rt.db.core["event"]
    with rp.rt.connect() as c:  # and its event, for the rules and flows that listen
        kinds = c.execute(sa.select(ev.c.kind, ev.c.actor).where(ev.c.entity == "device", ev.c.record_id == dev["id"],
                                                                 ev.c.version == 2)).all()
    assert [(k, a) for k, a in kinds] == [("record.updated", rp.rt.db.system_user_id)]
    state = rp.admin.post(rp.url("device", "/form-state"), json={"values": {"name": "x",
                                                                          "warranty_until": "2026-12-01"}}).json()
    assert state["values"]["in_warranty"] is False  # the form agrees with the list


@pytest.mark.parametrize("utc, beijing", [(dt.datetime(2026, 11, 30, 16, 30), "2026-12-01"),
                                          (dt.datetime(2026, 11, 30, 15, 59), "2026-11-30")])
def test_item13_today_is_the_business_date(rp, utc, beijing):
    rp.clock.set(utc)  # 00:30 on 1 December in Beijing is still 30 November in UTC
    rec = rp.admin.post(rp.url("visit"), json={"note": "night call"}).json()
    assert rec["visited_on"] == beijing
    state = rp.admin.post(rp.url("visit", "/form-state"), json={"values": {"note": "x"}}).json()
    assert state["values"]["visited_on"] == beijing


def test_item13_the_job_is_scheduled_in_the_configured_zone(rp, monkeypatch):
    rp.rt.settings["timezone"] = "Europe/Paris"
    _tick(rp)
    jobs, _ = list_jobs(rp.rt, handler=HANDLER)
    assert [j["time_zone"] for j in jobs] == ["Europe/Paris"]
    assert jobs[0]["run_at"] == dt.datetime(2026, 11, 30, 23, 0)  # midnight in Paris (UTC+1)


def test_item13_check_says_how_dated_fields_are_kept_and_refuses_now(tmp_path):
    import shutil

    from engine.bundle.check_cli import main
    from tests.forms.conftest import BUNDLES

    out = io.StringIO()
    assert main([str(BUNDLES / "repair"), "--json"], out=out) == 0
    infos = [p for p in json.loads(out.getvalue()) if p["severity"] == "info"]
    assert {(p["file"], p["path"]) for p in infos} >= {("entities/device.yaml", "$.fields[2]"),
                                                       ("entities/device.yaml", "$.fields[3]"),
                                                       ("entities/visit.yaml", "$.fields[1]")}
    assert all("recomputed daily at 00:00 Asia/Shanghai" in p["message"]["en"] for p in infos)
    bad = tmp_path / "repair"
    shutil.copytree(BUNDLES / "repair", bad)
    p = bad / "entities" / "visit.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace('expr: "TODAY()"', 'expr: "NOW()"'), encoding="utf-8")
    out = io.StringIO()
    assert main([str(bad)], out=out, err=io.StringIO()) == 1
    assert "cannot use NOW()" in out.getvalue() and "Use TODAY()" in out.getvalue()


def test_item13_a_row_scope_of_today_reads_the_business_date(rp):
    """A permission scope with TODAY() (engine/identity/permissions.context_values) agrees with forms."""
    rp.admin.post(rp.url("device"), json={"name": "nov", "warranty_until": "2026-11-30"})
    rp.admin.post(rp.url("device"), json={"name": "dec", "warranty_until": "2026-12-01"})
    tech = rp.client_for("tech1", roles=(("repair", "tech"),))
    rp.clock.set(dt.datetime(2026, 11, 30, 16, 30))  # 00:30 on 1 December in Beijing
    names = [d["name"] for d in tech.get(rp.url("device")).json()["items"]]
    assert names == ["dec"]
