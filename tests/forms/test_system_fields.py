"""Issue 11 item 11: the system fields (created_at, created_by, updated_at, updated_by, owner,
department, version) have their values during every stage of a write — on create, update, bulk
create, the form state and import — equal to what is then stored (one clock read per write)."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from engine.platform.clock import FixedClock

T0 = dt.datetime(2026, 11, 30, 2, 0, 0)


@pytest.fixture
def rp(forms_env):
    env = forms_env("repair")
    env.clock = FixedClock(T0)
    env.rt.clock = env.clock
    return env


def _me(env, client=None):
    return (client or env.admin).get("/api/v1/auth/me").json()["user"]


def _paths(r) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {d["path"]: d["message"]["en"] for d in r.json()["details"]}


def test_item11_validation_against_created_at_fires_on_create(rp):
    r = rp.admin.post(rp.url("ticket"), json={"subject": "a", "finished_at": "2026-11-29T10:00:00"})
    assert _paths(r) == {"finished_at": "finished before it was created"}


def test_item11_formulas_of_system_fields_equal_the_stored_values_on_create(rp):
    me = _me(rp)
    r = rp.admin.post(rp.url("ticket"), json={"subject": "a", "finished_at": "2026-12-01T05:38:06"})
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["opened_on"] == rec["created_at"] == rec["touched_at"] == rec["updated_at"]
    assert rec["created_at"].startswith("2026-11-30T02:00:00")
    assert rec["opened_by"] == rec["created_by"] == rec["touched_by"] == me["id"]
    assert rec["owned_by"] == rec["owner"] == me["id"]
    assert rec["owner_dept"] == rec["department"]
    assert rec["revision"] == rec["version"] == 1
    assert rec["hours"] is not None and abs(float(rec["hours"]) - 27.635) < 0.001
    # the record saves again as it is: its validation sees the same value it saw on create
    r = rp.admin.patch(rp.url("ticket", f"/{rec['id']}"), json={"subject": "b"})
    assert r.status_code == 200, r.text


def test_item11_update_sees_the_time_and_author_of_this_write(rp):
    rec = rp.admin.post(rp.url("ticket"), json={"subject": "a"}).json()
    other = rp.client_for("fixer", is_admin=True)
    rp.clock.advance(hours=3)
    r = other.patch(rp.url("ticket", f"/{rec['id']}"), json={"subject": "b"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["touched_at"] == got["updated_at"] and got["updated_at"].startswith("2026-11-30T05:00:00")
    assert got["touched_by"] == got["updated_by"] == _me(rp, other)["id"]
    assert got["opened_on"] == rec["created_at"] and got["revision"] == got["version"] == 2
    r = other.patch(rp.url("ticket", f"/{rec['id']}"), json={"finished_at": "2026-11-30T01:00:00"})
    assert _paths(r) == {"finished_at": "finished before it was created"}


def test_item11_bulk_create_and_form_state_see_the_system_fields(rp):
    me = _me(rp)
    r = rp.admin.post(rp.url("ticket", "/bulk"), json=[
        {"subject": "ok", "finished_at": "2026-11-30T03:00:00"},
        {"subject": "bad", "finished_at": "2026-11-30T01:00:00"}])
    assert r.status_code == 422, r.text
    assert {d["path"] for d in r.json()["details"]} == {"[1].finished_at"}
    st = rp.admin.post(rp.url("ticket", "/form-state"), json={"values": {"subject": "x",
                                                                          "finished_at": "2026-11-30T14:00:00"}})
    body = st.json()
    assert body["valid"], body
    assert body["values"]["hours"] == "12" or float(body["values"]["hours"]) == 12
    assert body["values"]["opened_by"] == me["id"] and body["values"]["owned_by"] == me["id"]
    assert body["values"]["opened_on"].startswith("2026-11-30T02:00:00")
    st = rp.admin.post(rp.url("ticket", "/form-state"), json={"values": {"subject": "x",
                                                                          "finished_at": "2026-11-29T14:00:00"}})
    assert {e["path"] for e in st.json()["errors"]} == {"finished_at"}


def test_item11_import_sees_created_at(rp):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["主题", "完成时间"])
    ws.append(["ok", "2026-11-30 12:00:00"])
    ws.append(["bad", "2026-11-29 12:00:00"])
    buf = io.BytesIO()
    wb.save(buf)
    r = rp.admin.post(rp.url("ticket", "/import"), files={"file": ("t.xlsx", buf.getvalue())})
    body = r.json()
    assert r.status_code == 200, r.text
    assert body["counts"]["valid_rows"] == 1 and body["counts"]["problem_rows"] == 1, body
    assert "finished before it was created" in str(body["problems"]), body
