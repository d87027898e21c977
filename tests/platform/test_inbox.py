"""The inbox: one place where a user sees what waits for them, counted per kind. The issue's
done-when, end to end over the API: a to-do reminder fires at its time on a moved test clock and
lands in the right user's inbox, in their language."""
from __future__ import annotations

import datetime as dt

from engine.api.app import create_app
from engine.platform.jobs import run_due_jobs
from engine.platform.notifications import notify

from .inbox_support import T0, record_id, uid


def test_a_reminder_reaches_the_assignees_inbox_in_their_language(rt, sign_in):
    manager, south, east = sign_in("manager_south"), sign_in("rep_south1"), sign_in("rep_east1")
    cmb = record_id(rt, "customer", "C0004")  # rep_south1's customer, in the manager's department tree
    r = manager.post("/api/v1/todos", json={
        "title": "招商银行续约", "assignee_id": uid(rt, "rep_south1"), "due_at": "2026-03-03T12:00:00+08:00",
        "remind_at": ["2026-03-02T14:00:00+08:00"],
        "link": {"app": "sales_erp", "entity": "customer", "record_id": cmb}})
    assert r.status_code == 201, r.text
    box = south.get("/api/v1/inbox").json()
    assert box["counts"] == {"todos": 1, "notifications": 0} and box["total"] == 1
    assert [t["title"] for t in box["latest"]["todos"]] == ["招商银行续约"]
    assert box["latest"]["todos"][0]["link"]["title"] == "招商银行"

    rt.clock.advance(hours=4, minutes=59)  # 13:59 in Shanghai
    run_due_jobs(rt, "worker-1")
    assert south.get("/api/v1/inbox").json()["counts"]["notifications"] == 0
    rt.clock.advance(minutes=1)
    assert run_due_jobs(rt, "worker-1") == 1

    box = south.get("/api/v1/inbox").json()
    assert box["counts"] == {"todos": 1, "notifications": 1}
    note = box["latest"]["notifications"][0]
    assert note["kind"] == "todo.reminder"
    assert note["title"] == "To-do reminder: 招商银行续约"  # rep_south1 reads English
    assert note["body"] == "Due 2026-03-03 12:00"  # in their zone
    assert note["link"] == {"app": "sales_erp", "entity": "customer", "record_id": cmb, "title": "招商银行"}
    assert note["created_at"] == (T0 + dt.timedelta(hours=5)).isoformat()
    # nobody else hears of it
    assert east.get("/api/v1/inbox").json()["counts"] == {"todos": 0, "notifications": 0}
    assert manager.get("/api/v1/inbox").json()["counts"]["notifications"] == 0

    assert south.post(f"/api/v1/notifications/{note['id']}/read").status_code == 200
    assert south.get("/api/v1/inbox").json()["counts"] == {"todos": 1, "notifications": 0}
    tid = box["latest"]["todos"][0]["id"]
    assert south.post(f"/api/v1/todos/{tid}/done").status_code == 200
    box = south.get("/api/v1/inbox").json()
    assert box["total"] == 0 and box["latest"] == {"todos": [], "notifications": []}


def test_the_inbox_shows_the_latest_unread_and_the_earliest_due(rt, sign_in):
    me = uid(rt, "rep_east1")
    with rt.transaction() as c:
        for i in range(7):
            notify(rt, c, me, "test.note", {"zh": f"通知{i}", "en": f"note {i}"})
    client = sign_in("rep_east1")
    dues = (("later", "2026-03-09T09:00:00+08:00"), ("no date", None), ("soon", "2026-03-03T09:00:00+08:00"))
    for title, due in dues:
        body = {"title": title, "assignee_id": me} | ({"due_at": due} if due else {})
        assert client.post("/api/v1/todos", json=body).status_code == 201
    first = client.get("/api/v1/notifications").json()["items"][-1]["id"]  # the oldest
    client.post(f"/api/v1/notifications/{first}/read")
    box = client.get("/api/v1/inbox", params={"latest": 3}).json()
    assert box["counts"] == {"todos": 3, "notifications": 6}
    assert [n["title"] for n in box["latest"]["notifications"]] == ["通知6", "通知5", "通知4"]
    assert [t["title"] for t in box["latest"]["todos"]] == ["soon", "later", "no date"]
    assert client.get("/api/v1/inbox", params={"latest": 0}).status_code == 422


def test_the_inbox_needs_a_signed_in_user(rt):
    from fastapi.testclient import TestClient

    with TestClient(create_app(rt)) as anonymous:
        assert anonymous.get("/api/v1/inbox").status_code == 401
        assert anonymous.get("/api/v1/todos").status_code == 401
