"""The job table: scheduling at a time, after a delay and on a cron; idempotent keys; runs once after
an outage; retries with backoff, then dead and visible to admins; a lost worker's job taken over."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine.api.app import create_app
from engine.errors import ValidationFailed
from engine.identity.api_tokens import create_token
from engine.platform.clock import FixedClock
from engine.platform.jobs import cancel_jobs, claim_due_jobs, run_claimed_job, run_due_jobs, schedule_job
from engine.runtime import open_runtime

T0 = dt.datetime(2026, 3, 2, 10, 2)  # a Monday, 18:02 in Shanghai


@pytest.fixture
def rt(db_url):
    rt = open_runtime(db_url)
    rt.clock = FixedClock(T0)
    yield rt
    rt.db.dispose()


def recorder(rt, name="test.record"):
    """A handler that notes (job id, time of the run)."""
    runs: list[tuple[int, dt.datetime]] = []
    rt.job_handlers.register(name, lambda r, job: runs.append((job["id"], r.clock())))
    return runs


def failing(rt, name="test.fail", message="mail server unreachable"):
    calls = []

    def fn(_rt, job):
        calls.append(job["attempts"])
        raise ConnectionError(message)

    rt.job_handlers.register(name, fn)
    return calls


def row(rt, job_id):
    job = rt.db.core["job"]
    with rt.connect() as c:
        return c.execute(sa.select(job).where(job.c.id == job_id)).mappings().first()


def test_jobs_run_when_the_clock_reaches_them(rt):
    runs = recorder(rt)
    now_id = schedule_job(rt, None, "test.record", payload={"n": 1})
    later = schedule_job(rt, None, "test.record", T0 + dt.timedelta(hours=1))
    after = schedule_job(rt, None, "test.record", delay=dt.timedelta(minutes=30))
    shanghai = dt.timezone(dt.timedelta(hours=8))
    aware = schedule_job(rt, None, "test.record", dt.datetime(2026, 3, 2, 19, 2, tzinfo=shanghai))
    assert row(rt, aware)["run_at"] == T0 + dt.timedelta(minutes=60)  # stored as naive UTC
    assert run_due_jobs(rt, "w1") == 1
    assert runs == [(now_id, T0)]
    assert run_due_jobs(rt, "w1") == 0  # done jobs do not run again
    rt.clock.advance(minutes=29)
    assert run_due_jobs(rt, "w1") == 0
    rt.clock.advance(minutes=1)
    assert run_due_jobs(rt, "w1") == 1 and runs[-1] == (after, T0 + dt.timedelta(minutes=30))
    rt.clock.advance(minutes=30)
    assert run_due_jobs(rt, "w1") == 2 and {j for j, _ in runs[-2:]} == {later, aware}
    r = row(rt, later)
    assert (r["status"], r["attempts"], r["finished_at"], r["locked_by"]) == ("done", 1, rt.clock(), None)
    assert row(rt, now_id)["payload"] == {"n": 1}


def test_a_job_belongs_to_the_transaction_that_scheduled_it(rt):
    recorder(rt)
    with pytest.raises(RuntimeError):
        with rt.transaction() as c:
            schedule_job(rt, c, "test.record", key="rolled-back")
            raise RuntimeError("the write that asked for the job failed")
    assert run_due_jobs(rt, "w1") == 0
    with rt.transaction() as c:
        first = schedule_job(rt, c, "test.record", key="rolled-back")
    assert first and run_due_jobs(rt, "w1") == 1


def test_a_key_schedules_once_and_cancelling_frees_it(rt):
    runs = recorder(rt)
    a = schedule_job(rt, None, "test.record", delay=dt.timedelta(days=2), key="todo:7:remind")
    b = schedule_job(rt, None, "test.record", delay=dt.timedelta(days=5), key="todo:7:remind")
    assert a == b
    job = rt.db.core["job"]
    with rt.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(job).where(job.c.key == "todo:7:remind")).scalar() == 1
    assert row(rt, a)["run_at"] == T0 + dt.timedelta(days=2)  # the first scheduling stands
    other = schedule_job(rt, None, "test.record", delay=dt.timedelta(days=2), key="todo:70:remind")
    odd = schedule_job(rt, None, "test.record", delay=dt.timedelta(days=2), key="todo_7%x")
    assert cancel_jobs(rt, None, key_prefix="todo:7:") == 1  # not todo:70, and _ % are not wildcards
    assert cancel_jobs(rt, None, key_prefix="todo_") == 1 and row(rt, odd) is None
    assert row(rt, a) is None and row(rt, other) is not None
    again = schedule_job(rt, None, "test.record", delay=dt.timedelta(days=1), key="todo:7:remind")
    assert again != a
    rt.clock.advance(days=1)
    assert run_due_jobs(rt, "w1") == 1 and runs == [(again, rt.clock())]
    # a done job keeps its key: scheduling it again does not run it twice
    assert schedule_job(rt, None, "test.record", key="todo:7:remind") == again
    assert run_due_jobs(rt, "w1") == 0
    assert cancel_jobs(rt, None, key="todo:7:remind") == 0  # history is not cancelled
    assert cancel_jobs(rt, None, handler="test.record") == 1  # todo:70 was still waiting
    with pytest.raises(ValueError):
        cancel_jobs(rt, None)


def test_a_job_records_the_definition_version_it_was_scheduled_on(rt):
    d = rt.db.core["definition"]
    with rt.transaction() as c:
        c.execute(d.insert().values(app="crm", kind="flow", name="approval", version="1.2.0", hash="h120",
                                    body={"flow": "approval"}))
    first = schedule_job(rt, None, "test.record", delay=dt.timedelta(days=2), definition=("crm", "flow", "approval"))
    with rt.transaction() as c:
        c.execute(d.update().where(d.c.name == "approval").values(version="1.3.0", hash="h130"))
    second = schedule_job(rt, None, "test.record", delay=dt.timedelta(days=2), definition=("crm", "flow", "approval"))
    r1, r2 = row(rt, first), row(rt, second)
    assert (r1["definition_app"], r1["definition_kind"], r1["definition_name"]) == ("crm", "flow", "approval")
    assert (r1["definition_version"], r1["definition_hash"]) == ("1.2.0", "h120")
    assert (r2["definition_version"], r2["definition_hash"]) == ("1.3.0", "h130")
    unknown = row(rt, schedule_job(rt, None, "test.record", definition=("crm", "flow", "gone")))
    assert unknown["definition_name"] == "gone" and unknown["definition_version"] is None


def test_cron_fires_in_its_time_zone(rt):
    runs = recorder(rt)
    sh = schedule_job(rt, None, "test.record", cron="0 9 * * 1-5")  # 09:00 on weekdays, Shanghai
    berlin = schedule_job(rt, None, "test.record", cron="0 9 * * *", time_zone="Europe/Berlin")
    assert row(rt, sh)["run_at"] == dt.datetime(2026, 3, 3, 1, 0)  # Tuesday 09:00 +08:00
    assert row(rt, berlin)["run_at"] == dt.datetime(2026, 3, 3, 8, 0)  # 09:00 +01:00
    rt.clock.set(dt.datetime(2026, 3, 3, 1, 0))  # Tuesday 09:00 in Shanghai, 02:00 in Berlin
    assert run_due_jobs(rt, "w1") == 1 and runs == [(sh, rt.clock())]
    assert row(rt, sh)["run_at"] == dt.datetime(2026, 3, 4, 1, 0)
    rt.clock.set(dt.datetime(2026, 3, 6, 1, 0))  # Friday: the Shanghai job, and Berlin's missed one
    assert run_due_jobs(rt, "w1") == 2
    assert row(rt, sh)["run_at"] == dt.datetime(2026, 3, 9, 1, 0)  # skips the weekend
    assert row(rt, berlin)["run_at"] == dt.datetime(2026, 3, 6, 8, 0)
    rt.clock.set(dt.datetime(2026, 3, 30, 7, 0))  # after the change to summer time
    run_due_jobs(rt, "w1")
    assert row(rt, berlin)["run_at"] == dt.datetime(2026, 3, 31, 7, 0)  # 09:00 +02:00


def test_a_recurring_job_missed_during_an_outage_runs_once(rt):
    runs = recorder(rt)
    jid = schedule_job(rt, None, "test.record", cron="*/5 * * * *")
    assert row(rt, jid)["run_at"] == dt.datetime(2026, 3, 2, 10, 5)
    rt.clock.set(dt.datetime(2026, 3, 2, 10, 57))  # down for ten ticks
    assert run_due_jobs(rt, "w1") == 1
    assert run_due_jobs(rt, "w2") == 0
    assert runs == [(jid, dt.datetime(2026, 3, 2, 10, 57))]
    r = row(rt, jid)
    assert r["status"] == "pending" and r["run_at"] == dt.datetime(2026, 3, 2, 11, 0) > rt.clock()
    assert r["attempts"] == 0 and r["last_run_at"] == dt.datetime(2026, 3, 2, 10, 57)
    rt.clock.advance(minutes=3)
    assert run_due_jobs(rt, "w1") == 1 and len(runs) == 2


def test_bad_cron_and_time_zone_are_refused(rt):
    for cron in ("61 * * * *", "every day", "0 0 9 * * *", ""):
        with pytest.raises(ValidationFailed) as e:
            schedule_job(rt, None, "test.record", cron=cron)
        assert e.value.code == "job.E001" and e.value.message["zh"]
    with pytest.raises(ValidationFailed) as e:
        schedule_job(rt, None, "test.record", cron="0 9 * * *", time_zone="Mars/Olympus")
    assert e.value.code == "job.E002"
    assert schedule_job(rt, None, "test.record", cron="@daily")


@pytest.fixture
def admin_api(rt):
    users = rt.db.core["user"]
    with rt.transaction() as c:
        uid = c.execute(users.insert().values(login="jobs_admin", name="Jobs Admin", is_admin=True, active=True)
                        ).inserted_primary_key[0]
        plain = c.execute(users.insert().values(login="jobs_user", name="Jobs User", active=True)
                          ).inserted_primary_key[0]
        token = create_token(rt, c, uid, "jobs tests").token
        plain_token = create_token(rt, c, plain, "jobs tests").token
    app = create_app(rt)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as admin, \
            TestClient(app, headers={"Authorization": f"Bearer {plain_token}"}) as user:
        yield admin, user


def test_failures_retry_with_backoff_then_the_job_is_dead_and_shown_to_admins(rt, admin_api):
    calls = failing(rt)
    jid = schedule_job(rt, None, "test.fail", max_attempts=3, payload={"to": "a@example.com"})
    assert run_due_jobs(rt, "w1") == 1
    r = row(rt, jid)
    assert r["status"] == "failed" and r["attempts"] == 1
    assert r["run_at"] == T0 + dt.timedelta(seconds=30)
    assert r["last_error"].startswith("ConnectionError: mail server unreachable")
    assert run_due_jobs(rt, "w1") == 0  # waits for its backoff
    rt.clock.advance(seconds=30)
    assert run_due_jobs(rt, "w1") == 1
    assert row(rt, jid)["run_at"] == rt.clock() + dt.timedelta(seconds=60)  # doubled
    rt.clock.advance(seconds=60)
    assert run_due_jobs(rt, "w1") == 1
    r = row(rt, jid)
    assert (r["status"], r["attempts"], r["finished_at"]) == ("dead", 3, rt.clock())
    assert calls == [1, 2, 3]
    rt.clock.advance(hours=5)
    assert run_due_jobs(rt, "w1") == 0

    admin, user = admin_api
    ok = schedule_job(rt, None, "test.fail", delay=dt.timedelta(days=1))
    res = admin.get("/api/v1/admin/jobs", params={"status": "dead,failed"})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["total"] == 1 and [j["id"] for j in body["items"]] == [jid]
    item = body["items"][0]
    assert item["status"] == "dead" and "mail server unreachable" in item["last_error"]
    assert item["handler"] == "test.fail" and item["attempts"] == 3 and item["payload"] == {"to": "a@example.com"}
    assert {j["id"] for j in admin.get("/api/v1/admin/jobs").json()["items"]} >= {jid, ok}
    assert admin.get(f"/api/v1/admin/jobs/{jid}").json()["status"] == "dead"
    assert admin.get("/api/v1/admin/jobs/999999").status_code == 404
    bad = admin.get("/api/v1/admin/jobs", params={"status": "broken"})
    assert bad.status_code == 422 and bad.json()["code"] == "job.E003"
    assert user.get("/api/v1/admin/jobs").status_code == 403


def test_backoff_is_capped_at_an_hour(rt):
    failing(rt)
    jid = schedule_job(rt, None, "test.fail", max_attempts=20)
    for _ in range(10):
        run_due_jobs(rt, "w1")
        rt.clock.set(row(rt, jid)["run_at"])
    r = row(rt, jid)
    assert r["attempts"] == 10 and r["status"] == "failed"
    assert r["run_at"] - r["last_run_at"] == dt.timedelta(hours=1)  # 30 s × 2^9 would be over 4 h


def test_an_unknown_handler_fails_the_job_visibly(rt):
    jid = schedule_job(rt, None, "nobody.home", max_attempts=1)
    assert run_due_jobs(rt, "w1") == 1
    r = row(rt, jid)
    assert r["status"] == "dead" and "nobody.home" in r["last_error"] and "未注册" in r["last_error"]


def test_a_recurring_job_out_of_attempts_waits_for_its_next_tick(rt):
    calls = failing(rt)
    jid = schedule_job(rt, None, "test.fail", cron="0 * * * *", max_attempts=2)  # hourly
    rt.clock.set(dt.datetime(2026, 3, 2, 11, 0))
    run_due_jobs(rt, "w1")
    rt.clock.advance(seconds=30)
    run_due_jobs(rt, "w1")
    r = row(rt, jid)
    assert calls == [1, 2]
    assert (r["status"], r["attempts"], r["run_at"]) == ("pending", 0, dt.datetime(2026, 3, 2, 12, 0))
    assert "mail server unreachable" in r["last_error"]  # kept until a run succeeds


def test_a_lost_workers_job_is_taken_over_after_its_lease(rt):
    runs = recorder(rt)
    jid = schedule_job(rt, None, "test.record")
    [claimed] = claim_due_jobs(rt, "crashed-worker", lease=dt.timedelta(minutes=10))
    assert row(rt, jid)["locked_by"] == "crashed-worker"
    assert run_due_jobs(rt, "w2") == 0  # still leased
    rt.clock.advance(minutes=10, seconds=1)
    assert run_due_jobs(rt, "w2") == 1
    assert runs == [(jid, rt.clock())]
    r = row(rt, jid)
    assert (r["status"], r["attempts"], r["locked_by"]) == ("done", 2, None)
    # the first worker comes back with its stale claim: it does not run the job again
    assert run_claimed_job(rt, "crashed-worker", claimed, lease=dt.timedelta(minutes=10)) == 0
    assert len(runs) == 1 and row(rt, jid)["status"] == "done"


def test_a_job_lost_on_its_last_attempt_is_dead(rt):
    recorder(rt)
    jid = schedule_job(rt, None, "test.record", max_attempts=1)
    claim_due_jobs(rt, "crashed-worker")
    rt.clock.advance(hours=1)
    assert run_due_jobs(rt, "w2") == 0
    r = row(rt, jid)
    assert r["status"] == "dead" and "crashed-worker" in r["last_error"]


def test_a_job_cancelled_while_running_is_not_brought_back(rt):
    job_ids = []

    def cancel_myself(r, job):
        job_ids.append(job["id"])
        cancel_jobs(r, None, key=job["key"])

    rt.job_handlers.register("test.cancel", cancel_myself)
    jid = schedule_job(rt, None, "test.cancel", cron="*/5 * * * *", key="report:9:alert")
    rt.clock.advance(minutes=5)
    assert run_due_jobs(rt, "w1") == 1 and job_ids == [jid]
    assert row(rt, jid) is None


def test_done_jobs_are_purged_after_thirty_days_dead_ones_stay(rt):
    recorder(rt)
    failing(rt)
    done = schedule_job(rt, None, "test.record", key="old")
    dead = schedule_job(rt, None, "test.fail", max_attempts=1)
    run_due_jobs(rt, "w1")
    rt.clock.advance(days=29)
    recent = schedule_job(rt, None, "test.record")
    run_due_jobs(rt, "w1")
    rt.clock.advance(days=2)
    schedule_job(rt, None, "jobs.purge")
    assert run_due_jobs(rt, "w1") == 1
    assert row(rt, done) is None and row(rt, dead)["status"] == "dead" and row(rt, recent)["status"] == "done"
    assert schedule_job(rt, None, "test.record", key="old") != done  # its key is free again


def test_item10_a_job_is_freed_when_its_workers_heartbeat_stops_not_while_it_beats(rt):
    from engine.platform.jobs import heartbeat

    runs = recorder(rt)
    jid = schedule_job(rt, None, "test.record")
    stale = dt.timedelta(seconds=30)
    heartbeat(rt, "w1", stale_after=stale)
    claim_due_jobs(rt, "w1")
    for _ in range(4):  # w1 beats on through a job longer than its lease: the lease follows the beats
        rt.clock.advance(minutes=4)
        heartbeat(rt, "w1", stale_after=stale)
        assert run_due_jobs(rt, "w2") == 0
    assert row(rt, jid)["locked_until"] == rt.clock() + dt.timedelta(minutes=10)
    rt.clock.advance(seconds=31)  # silent for 31 s (a second of slack for a clock in whole seconds)
    assert run_due_jobs(rt, "w2") == 0
    rt.clock.advance(seconds=1)  # now it is taken to be dead, 9.5 minutes before its lease ends
    assert run_due_jobs(rt, "w2") == 1 and runs == [(jid, rt.clock())]
    assert row(rt, jid)["status"] == "done"
