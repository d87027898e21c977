"""Item 10: one business time zone (default Asia/Shanghai) decides TODAY() everywhere — a formula, a
default, a validation, a permission scope (SQL on PostgreSQL, the date bound as a parameter) and
jimu eval — while stored datetimes stay UTC. The clock stands at 00:30 and 23:30 Beijing time, on a
date far from the machine's, so CURRENT_DATE or the UTC date would show."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.platform.clock import FixedClock
from tests.forms.conftest import forms_env  # noqa: F401 - the fixture

BUNDLES = Path(__file__).resolve().parent / "bundles"
ROOT = Path(__file__).resolve().parents[2]
# (UTC clock, the Beijing date): 00:30 and 23:30 in Beijing on 2031-06-15
MOMENTS = [(dt.datetime(2031, 6, 14, 16, 30), "2031-06-15"), (dt.datetime(2031, 6, 15, 15, 30), "2031-06-15")]


@pytest.fixture
def biz(forms_env, monkeypatch):  # noqa: F811
    monkeypatch.delenv("JIMU_TIMEZONE", raising=False)
    return forms_env(BUNDLES / "bizdate_app")


def _day(iso: str, days: int) -> str:
    return (dt.date.fromisoformat(iso) + dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize("moment, today", MOMENTS)
def test_formula_default_and_validation_use_the_beijing_date(biz, moment, today):
    biz.rt.clock = FixedClock(moment)
    r = biz.admin.post(biz.url("ticket"), json={"name": "a", "due": _day(today, 2)})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["opened"] == today and body["today_is"] == today and body["days_left"] == 2
    assert body["created_at"].startswith(moment.isoformat())  # stored datetimes stay UTC
    r = biz.admin.post(biz.url("ticket"), json={"name": "b", "due": _day(today, -1)})
    assert r.status_code == 422, r.text
    assert r.json()["details"][0]["message"]["en"] == "The due date cannot be before today"
    assert biz.admin.post(biz.url("ticket"), json={"name": "c", "due": today}).status_code == 201


@pytest.mark.parametrize("moment, today", MOMENTS)
def test_a_permission_scope_reads_the_beijing_date(biz, moment, today):
    biz.rt.clock = FixedClock(moment)
    for name, days in (("yesterday", -1), ("today", 0), ("tomorrow", 1)):
        r = biz.admin.post(biz.url("ticket"), json={"name": name, "show_from": _day(today, days)})
        assert r.status_code == 201, r.text
    viewer = biz.client_for("viewer", roles=(("bizdate_app", "viewer"),))
    items = viewer.get(biz.url("ticket")).json()["items"]  # the scope as SQL: TODAY() a bound parameter
    assert sorted(i["name"] for i in items) == ["today", "yesterday"]


def test_the_zone_is_a_setting(biz):
    biz.rt.clock = FixedClock(MOMENTS[0][0])
    biz.rt.settings["timezone"] = "UTC"  # JIMU_TIMEZONE or the installation's setting
    r = biz.admin.post(biz.url("ticket"), json={"name": "utc"})
    assert r.json()["opened"] == "2031-06-14"


def test_the_scope_sql_binds_the_date(biz):
    """On PostgreSQL as on SQLite: TODAY() in the scope's SQL is a parameter, never CURRENT_DATE."""
    import sqlalchemy as sa

    from engine.identity.actor import load_actor
    from engine.records.read_path import ReadRequest

    biz.rt.clock = FixedClock(MOMENTS[0][0])
    biz.client_for("viewer2", roles=(("bizdate_app", "viewer"),))
    users = biz.rt.db.core["user"]
    with biz.rt.connect() as c:
        uid = c.execute(sa.select(users.c.id).where(users.c.login == "viewer2")).scalar()
        actor = load_actor(biz.rt, uid, conn=c)
    app = biz.rt.app("bizdate_app")
    ent = app.entity("ticket")
    scope = biz.rt.read_scope(ReadRequest(biz.rt, app, ent, biz.rt.table("bizdate_app", "ticket"), actor))
    compiled = scope.where.compile(dialect=biz.rt.db.engine.dialect)
    assert "CURRENT_DATE" not in str(compiled).upper()
    assert dt.date(2031, 6, 15) in compiled.params.values()


def _eval(*args: str, zone: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("JIMU_TIMEZONE", None)
    if zone:
        env["JIMU_TIMEZONE"] = zone
    return subprocess.run([sys.executable, "-m", "engine.cli", "eval", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=env)


def test_jimu_eval_follows_the_business_zone():
    assert _eval("TODAY()", "--now", "2026-12-02T16:30:00Z").stdout == '"2026-12-03"\n'
    assert _eval("NOW()", "--now", "2026-12-02T16:30:00Z").stdout == '"2026-12-03T00:30:00+08:00"\n'
    assert _eval("TODAY()", "--now", "2026-12-03T15:30:00Z").stdout == '"2026-12-03"\n'  # 23:30 Beijing
    assert _eval("TODAY()", "--now", "2026-12-02T16:30:00Z", "--tz", "UTC").stdout == '"2026-12-02"\n'
    assert _eval("TODAY()", "--now", "2026-12-02T16:30:00Z", zone="Europe/London").stdout == '"2026-12-02"\n'
    assert _eval("NOW()", "--now", "2026-12-02T16:30:00Z", zone="UTC").stdout == '"2026-12-02T16:30:00+00:00"\n'
    bad = _eval("TODAY()", "--tz", "Mars/Base")
    assert bad.returncode == 2 and "unknown time zone" in bad.stderr and "Traceback" not in bad.stderr


def test_jimu_eval_without_now_gives_the_zones_date():
    from zoneinfo import ZoneInfo

    r = _eval("TODAY()")
    expected = {dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()}
    assert r.stdout.strip().strip('"') in expected | {(dt.date.fromisoformat(min(expected)) + dt.timedelta(days=1))
                                                       .isoformat()}  # a run across midnight
