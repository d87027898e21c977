"""Notifications: stored in the recipient's language, read and unread, only ever shown to their
recipient, linked to a record only for a reader who may read it; other channels get them after the
commit through the job table."""
from __future__ import annotations

import datetime as dt

import pytest

from engine.identity.org import Org
from engine.platform.jobs import run_due_jobs
from engine.platform.notifications import NotificationChannel, notify

from .inbox_support import record_id, uid

HELLO = {"zh": "合同已审批", "en": "Contract approved"}
BODY = {"zh": "请尽快安排发货", "en": "Please arrange delivery"}


def send(rt, login, kind="test.note", title=HELLO, body=BODY, link=None, **kw):
    with rt.transaction() as c:
        return notify(rt, c, uid(rt, login), kind, title, body, link, **kw)


def test_each_recipient_reads_it_in_their_own_language(rt, sign_in):
    send(rt, "rep_south1")  # language en in the demo organisation
    send(rt, "rep_east1")  # zh
    south = sign_in("rep_south1").get("/api/v1/notifications").json()
    east = sign_in("rep_east1").get("/api/v1/notifications").json()
    assert [(n["title"], n["body"]) for n in south["items"]] == [("Contract approved", "Please arrange delivery")]
    assert [(n["title"], n["body"]) for n in east["items"]] == [("合同已审批", "请尽快安排发货")]
    # a text given once is the same for everyone; a missing language falls back to Chinese
    send(rt, "rep_south1", title="系统维护 / Maintenance", body={"zh": "今晚十点"})
    latest = sign_in("rep_south1").get("/api/v1/notifications").json()["items"][0]
    assert (latest["title"], latest["body"]) == ("系统维护 / Maintenance", "今晚十点")


def test_reading_changes_the_unread_count(rt, sign_in):
    ids = [send(rt, "rep_east1", title={"zh": f"通知{i}", "en": f"note {i}"}) for i in range(3)]
    me = sign_in("rep_east1")
    assert me.get("/api/v1/notifications/unread-count").json() == {"unread": 3}
    r = me.post(f"/api/v1/notifications/{ids[1]}/read")
    assert r.status_code == 200 and r.json()["unread"] == 2
    assert me.post(f"/api/v1/notifications/{ids[1]}/read").json()["unread"] == 2  # again: no change
    unread = me.get("/api/v1/notifications", params={"unread": "true"}).json()
    assert [n["id"] for n in unread["items"]] == [ids[2], ids[0]]  # newest first
    everything = me.get("/api/v1/notifications").json()
    assert everything["total"] == 3 and everything["unread"] == 2
    assert [n["read_at"] is not None for n in everything["items"]] == [False, True, False]
    assert me.post("/api/v1/notifications/read-all").json()["marked"] == 2
    assert me.get("/api/v1/notifications/unread-count").json() == {"unread": 0}


def test_nobody_sees_or_marks_another_users_notifications(rt, sign_in):
    theirs = send(rt, "rep_south1")
    send(rt, "rep_east1")
    east, admin = sign_in("rep_east1"), sign_in("admin_user")
    assert theirs not in [n["id"] for n in east.get("/api/v1/notifications").json()["items"]]
    r = east.post(f"/api/v1/notifications/{theirs}/read")
    assert r.status_code == 404 and r.json()["code"] == "notification.E404"
    assert admin.post(f"/api/v1/notifications/{theirs}/read").status_code == 404  # an inbox is personal
    east.post("/api/v1/notifications/read-all")
    assert sign_in("rep_south1").get("/api/v1/notifications/unread-count").json() == {"unread": 1}


def test_the_record_link_shows_only_to_a_recipient_who_may_read_it(rt, sign_in):
    hw, haier = record_id(rt, "customer", "C0001"), record_id(rt, "customer", "C0002")  # rep_east1's, rep_east2's
    send(rt, "rep_east2", title="华为", link=("sales_erp", "customer", hw))
    send(rt, "rep_east2", title="海尔", link=("sales_erp", "customer", haier))
    items = {n["title"]: n["link"] for n in sign_in("rep_east2").get("/api/v1/notifications").json()["items"]}
    assert items["华为"] is None
    assert items["海尔"] == {"app": "sales_erp", "entity": "customer", "record_id": haier, "title": "海尔集团"}
    # permissions are asked when shown: once the record is handed over, the link shows
    Org(rt, None).handover(uid(rt, "rep_east1"), uid(rt, "rep_east2"))
    items = {n["title"]: n["link"] for n in sign_in("rep_east2").get("/api/v1/notifications").json()["items"]}
    assert items["华为"]["title"] == "华为技术有限公司"


def test_an_inactive_user_gets_nothing(rt):
    with rt.transaction() as c:
        Org(rt, None).update_user(c, uid(rt, "rep_east2"), active=False)
    assert send(rt, "rep_east2") is None
    n = rt.db.core["notification"]
    with rt.connect() as c:
        assert c.execute(n.select()).first() is None


def test_a_sender_key_notifies_once(rt):
    first = send(rt, "rep_east1", key="rule:42:event:7")
    assert send(rt, "rep_east1", key="rule:42:event:7") == first
    assert send(rt, "rep_east1", key="rule:42:event:8") != first


def test_other_channels_get_it_after_the_commit_in_the_users_language(rt):
    mails, robot_calls = [], []
    rt.notification_channels.append(NotificationChannel("mail", lambda r, user, m: mails.append((user, m))))
    rt.notification_channels.append(NotificationChannel("robot", lambda r, user, m: robot_calls.append(m),
                                                        kinds=frozenset({"flow.approved"})))
    with pytest.raises(RuntimeError):
        with rt.transaction() as c:
            notify(rt, c, uid(rt, "rep_south1"), "test.note", HELLO, BODY)
            raise RuntimeError("the write that caused it failed")
    nid = send(rt, "rep_south1", link=("sales_erp", "customer", record_id(rt, "customer", "C0004")))
    assert mails == []  # nothing leaves before a worker runs the delivery after the commit
    assert run_due_jobs(rt, "w1") == 1  # one delivery: the rolled back one was never queued, the robot skips
    assert robot_calls == []
    user, message = mails[0]
    assert user["login"] == "rep_south1" and user["language"] == "en"
    assert message["id"] == nid and message["title"] == "Contract approved"
    assert message["body"] == "Please arrange delivery"
    assert message["link"]["entity"] == "customer"
    send(rt, "rep_east1", kind="flow.approved")
    assert run_due_jobs(rt, "w1") == 2
    assert [m["title"] for m in robot_calls] == ["合同已审批"] and mails[-1][1]["title"] == "合同已审批"


def test_a_failing_channel_is_retried_without_repeating_the_in_app_notification(rt):
    attempts = []

    def flaky(_rt, user, message):
        attempts.append(message["id"])
        if len(attempts) == 1:
            raise ConnectionError("smtp server unreachable")

    rt.notification_channels.append(NotificationChannel("mail", flaky))
    nid = send(rt, "rep_east1")
    assert run_due_jobs(rt, "w1") == 1 and attempts == [nid]
    assert run_due_jobs(rt, "w1") == 0  # waiting for its retry
    rt.clock.advance(dt.timedelta(minutes=5))
    assert run_due_jobs(rt, "w1") == 1 and attempts == [nid, nid]
    n = rt.db.core["notification"]
    with rt.connect() as c:
        assert len(c.execute(n.select()).all()) == 1
