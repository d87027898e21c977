"""To-dos: reminders fire at their time (a moved test clock and the job table), are moved when the
times change and cancelled when the to-do is done; who may see and change a to-do; to-dos on records
need the record to be readable; a leaver's open to-dos are handed over."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine.errors import JimuError, NotFound, ValidationFailed
from engine.identity.actor import system_actor
from engine.identity.org import Org
from engine.platform.jobs import run_due_jobs
from engine.platform.todos import complete_todo, create_todo, reopen_todo, update_todo

from .inbox_support import T0, actor, record_id, uid

H = dt.timedelta(hours=1)


def notes(rt, login):
    """(kind, title, body) of the user's notifications, oldest first."""
    n = rt.db.core["notification"]
    with rt.connect() as c:
        return [tuple(r) for r in c.execute(sa.select(n.c.kind, n.c.title, n.c.body)
                                           .where(n.c.user_id == uid(rt, login)).order_by(n.c.id))]


def pending_reminders(rt, todo_id):
    job = rt.db.core["job"]
    with rt.connect() as c:
        return sorted(c.execute(sa.select(job.c.run_at).where(
            job.c.key.startswith(f"todo:{todo_id}:"), job.c.status == "pending")).scalars())


def make(rt, by="rep_east1", **data):
    data.setdefault("title", "回访华为")
    data.setdefault("assignee_id", uid(rt, "rep_south1"))
    with rt.transaction() as c:
        return create_todo(rt, c, actor(rt, by), data)


def test_a_reminder_fires_at_its_time_in_the_assignees_language(rt):
    todo = make(rt, title="Call Huawei back", due_at=(T0 + 8 * H).isoformat(),
                remind_at=[(T0 + 2 * H).isoformat()])
    assert run_due_jobs(rt, "w1") == 0
    rt.clock.advance(minutes=119)
    assert run_due_jobs(rt, "w1") == 0 and notes(rt, "rep_south1") == []
    rt.clock.advance(minutes=1)
    assert run_due_jobs(rt, "w1") == 1
    # due 09:00 UTC is 17:00 in Shanghai, the demo users' zone
    assert notes(rt, "rep_south1") == [("todo.reminder", "To-do reminder: Call Huawei back", "Due 2026-03-02 17:00")]
    rt.clock.advance(days=1)
    assert run_due_jobs(rt, "w1") == 0 and len(notes(rt, "rep_south1")) == 1
    assert todo["remind_at"] == [T0 + 2 * H]


def test_a_chinese_speaking_assignee_is_reminded_in_chinese(rt):
    make(rt, title="回访华为", assignee_id=uid(rt, "rep_east2"), description="确认报价",
         remind_at=["2026-03-02T10:30:00+08:00"])  # 02:30 UTC
    rt.clock.advance(minutes=90)
    assert run_due_jobs(rt, "w1") == 1
    assert notes(rt, "rep_east2") == [("todo.reminder", "待办提醒：回访华为", "确认报价")]


def test_changing_the_reminder_times_moves_the_jobs(rt):
    todo = make(rt, remind_at=[(T0 + H).isoformat(), (T0 + 3 * H).isoformat()])
    assert pending_reminders(rt, todo["id"]) == [T0 + H, T0 + 3 * H]
    with rt.transaction() as c:
        update_todo(rt, c, actor(rt, "rep_east1"), todo["id"], {"remind_at": [(T0 + 2 * H).isoformat()]})
    assert pending_reminders(rt, todo["id"]) == [T0 + 2 * H]
    rt.clock.advance(minutes=90)
    assert run_due_jobs(rt, "w1") == 0
    rt.clock.advance(minutes=30)
    assert run_due_jobs(rt, "w1") == 1 and len(notes(rt, "rep_south1")) == 1
    rt.clock.advance(hours=2)
    assert run_due_jobs(rt, "w1") == 0 and len(notes(rt, "rep_south1")) == 1


def test_done_cancels_pending_reminders_and_reopening_brings_back_the_future_ones(rt):
    todo = make(rt, remind_at=[(T0 + H).isoformat(), (T0 + 5 * H).isoformat()])
    south = actor(rt, "rep_south1")
    with rt.transaction() as c:
        done = complete_todo(rt, c, south, todo["id"])
    assert done["done"] and done["done_by"] == {"id": south.user_id, "name": "周敏"}
    assert pending_reminders(rt, todo["id"]) == []
    rt.clock.advance(hours=2)
    assert run_due_jobs(rt, "w1") == 0 and notes(rt, "rep_south1") == []
    with rt.transaction() as c:
        again = reopen_todo(rt, c, south, todo["id"])
    assert not again["done"] and again["done_by"] is None
    assert pending_reminders(rt, todo["id"]) == [T0 + 5 * H]  # the one already past is not sent late
    rt.clock.advance(hours=3)
    assert run_due_jobs(rt, "w1") == 1 and len(notes(rt, "rep_south1")) == 1


def test_a_reminder_that_was_taken_away_while_running_sends_nothing(rt):
    todo = make(rt, remind_at=[(T0 + H).isoformat()])
    rt.clock.advance(hours=1)
    job = rt.db.core["job"]
    with rt.connect() as c:
        claimed = dict(c.execute(sa.select(job)).mappings().one())
    t = rt.db.core["todo"]
    with rt.transaction() as c:  # done meanwhile, by a path that does not touch the jobs
        c.execute(t.update().where(t.c.id == todo["id"]).values(done_at=rt.clock()))
    from engine.platform.todos import remind

    remind(rt, claimed)
    assert notes(rt, "rep_south1") == []


def test_a_todo_on_a_record_needs_the_creator_to_read_it(rt):
    hw = record_id(rt, "customer", "C0001")  # rep_east1's customer
    with pytest.raises(NotFound):
        make(rt, by="rep_east2", link={"app": "sales_erp", "entity": "customer", "record_id": hw})
    with pytest.raises(NotFound):
        make(rt, by="rep_east1", link={"app": "sales_erp", "entity": "customer", "record_id": 999_999})
    with pytest.raises(JimuError) as e:
        make(rt, by="rep_east1", link={"app": "no_such_app", "entity": "customer", "record_id": hw})
    assert e.value.status == 404
    todo = make(rt, by="rep_east1", assignee_id=uid(rt, "rep_east2"),
                link={"app": "sales_erp", "entity": "customer", "record_id": hw})
    assert todo["link"]["title"] == "华为技术有限公司"  # the creator may read it


def test_the_link_shows_only_to_a_reader_who_may_read_the_record(rt, sign_in):
    hw = record_id(rt, "customer", "C0001")
    todo = make(rt, by="rep_east1", assignee_id=uid(rt, "rep_east2"), remind_at=[(T0 + H).isoformat()],
                link={"app": "sales_erp", "entity": "customer", "record_id": hw})
    assert sign_in("rep_east2").get(f"/api/v1/todos/{todo['id']}").json()["link"] is None
    assert sign_in("rep_east1").get(f"/api/v1/todos/{todo['id']}").json()["link"]["record_id"] == hw
    rt.clock.advance(hours=1)
    run_due_jobs(rt, "w1")
    reminder = sign_in("rep_east2").get("/api/v1/notifications").json()["items"][0]
    assert reminder["title"] == "待办提醒：回访华为" and reminder["link"] is None


def test_only_assignee_creator_and_admins_see_and_change_a_todo(rt, sign_in):
    east1, south, east2, admin = (sign_in(x) for x in ("rep_east1", "rep_south1", "rep_east2", "admin_user"))
    r = east1.post("/api/v1/todos", json={"title": "准备合同", "assignee_id": uid(rt, "rep_south1"),
                                          "due_at": "2026-03-03T18:00:00+08:00"})
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    assert r.json()["due_at"] == "2026-03-03T10:00:00"  # stored in UTC
    assert [t["id"] for t in south.get("/api/v1/todos").json()["items"]] == [tid]  # assigned to them
    assert east1.get("/api/v1/todos").json()["items"] == []  # not assigned to the creator...
    assert [t["id"] for t in east1.get("/api/v1/todos", params={"scope": "created"}).json()["items"]] == [tid]
    assert [t["id"] for t in east1.get("/api/v1/todos", params={"scope": "all"}).json()["items"]] == [tid]
    assert east2.get(f"/api/v1/todos/{tid}").status_code == 404
    assert east2.patch(f"/api/v1/todos/{tid}", json={"title": "x"}).status_code == 404
    assert east2.post(f"/api/v1/todos/{tid}/done").status_code == 404
    assert east2.get("/api/v1/todos", params={"scope": "all"}).json()["total"] == 0
    assert [t["id"] for t in admin.get("/api/v1/todos", params={"scope": "all"}).json()["items"]] == [tid]
    r = east1.patch(f"/api/v1/todos/{tid}", json={"title": "准备合同（加急）"})
    assert r.status_code == 200 and r.json()["title"] == "准备合同（加急）"
    r = south.post(f"/api/v1/todos/{tid}/done")
    assert r.json()["done"] and r.json()["done_by"]["id"] == uid(rt, "rep_south1")
    assert south.get("/api/v1/todos").json()["total"] == 0  # open ones by default
    assert south.get("/api/v1/todos", params={"state": "done"}).json()["total"] == 1
    assert south.post(f"/api/v1/todos/{tid}/undone").json()["done"] is False
    assert south.get("/api/v1/todos", params={"state": "bogus"}).status_code == 422


def test_a_todo_is_checked_with_every_problem_at_once(rt, sign_in):
    me = sign_in("rep_east1")
    r = me.post("/api/v1/todos", json={"title": " ", "assignee_id": 999_999, "remind_at": ["tomorrow"],
                                       "priority": "high"})
    assert r.status_code == 422
    assert {p["path"] for p in r.json()["details"]} == {"title", "assignee_id", "remind_at[0]", "priority"}
    tid = me.post("/api/v1/todos", json={"title": "a", "assignee_id": uid(rt, "rep_east1")}).json()["id"]
    r = me.patch(f"/api/v1/todos/{tid}", json={"link": {"app": "sales_erp"}, "assignee_id": "x"})
    assert {p["path"] for p in r.json()["details"]} == {"link", "assignee_id"}


def test_automations_create_todos_as_the_system(rt):
    with rt.transaction() as c:
        todo = create_todo(rt, c, system_actor(rt), {
            "title": "跟进沉睡客户", "assignee_id": uid(rt, "manager_south"),
            "link": ("sales_erp", "customer", record_id(rt, "customer", "C0005"))})
    assert todo["created_by"]["id"] == rt.db.system_user_id
    with pytest.raises(ValidationFailed):
        with rt.transaction() as c:
            create_todo(rt, c, system_actor(rt), {"title": "x", "assignee_id": rt.db.system_user_id + 10_000})


def test_a_leavers_open_todos_are_handed_over_with_their_reminders(rt):
    east1, east2 = uid(rt, "rep_east1"), uid(rt, "rep_east2")
    open_one = make(rt, by="manager_east", assignee_id=east1, title="月底对账", remind_at=[(T0 + H).isoformat()])
    done_one = make(rt, by="manager_east", assignee_id=east1, title="已完成的事")
    with rt.transaction() as c:
        complete_todo(rt, c, actor(rt, "rep_east1"), done_one["id"])
    moved = Org(rt, uid(rt, "admin_user")).handover(east1, east2)
    assert moved["todos"] == 1 and moved["sales_erp.customer"] == 2
    t = rt.db.core["todo"]
    with rt.connect() as c:
        owners = dict(c.execute(sa.select(t.c.id, t.c.assignee_id)).all())
    assert owners == {open_one["id"]: east2, done_one["id"]: east1}  # who did the done one stays
    rt.clock.advance(hours=1)
    assert run_due_jobs(rt, "w1") == 1
    assert notes(rt, "rep_east2") == [("todo.reminder", "待办提醒：月底对账", None)]
    assert notes(rt, "rep_east1") == []


def test_a_handover_with_no_open_todos_reports_none(rt):
    moved = Org(rt, None).handover(uid(rt, "rep_south1"), uid(rt, "manager_south"))
    assert "todos" not in moved
