"""Working calendars: weekends, public holidays and make-up working days (调休); working-day counts and
timeouts; the calendar named in NETWORKDAYS/WORKDAY; admins set calendars over the API."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.api.app import create_app
from engine.errors import NotFound, ValidationFailed
from engine.platform.calendars import (
    WorkingCalendar,
    calendars_for,
    list_calendars,
    load_calendar,
    save_calendar,
)
from rules.expr import EvalContext, compile_expression
from rules.expr.types import DATE, RecordType

from .inbox_support import SignIn, sales_erp

d = dt.date
# Spring Festival 2026 as the State Council set it: 15-23 February off (16-20 and 23 are weekdays),
# Saturday 14 and Saturday 28 February worked instead.
SPRING = WorkingCalendar("cn", {"zh": "中国", "en": "China"}, frozenset({5, 6}),
                         frozenset(d(2026, 2, day) for day in (16, 17, 18, 19, 20, 23)),
                         frozenset({d(2026, 2, 14), d(2026, 2, 28)}))


def test_holidays_and_make_up_days_decide_what_is_worked():
    assert SPRING.is_workday(d(2026, 2, 13))  # a Friday
    assert SPRING.is_workday(d(2026, 2, 14))  # a Saturday, worked (调休)
    assert not SPRING.is_workday(d(2026, 2, 15))  # a Sunday
    assert not SPRING.is_workday(d(2026, 2, 16))  # a Monday, public holiday
    assert not SPRING.is_workday(d(2026, 3, 7))  # an ordinary Saturday
    assert SPRING.is_workday(dt.datetime(2026, 2, 28, 9, 30))  # a datetime is asked about its date


def test_networkdays_counts_both_ends_and_the_calendar():
    # 9-13 Feb: 5; Sat 14: 1; 16-20 and 23: holidays; 24-27: 4; Sat 28: 1
    assert SPRING.networkdays(d(2026, 2, 9), d(2026, 2, 28)) == 11
    assert SPRING.networkdays(d(2026, 2, 28), d(2026, 2, 9)) == -11  # backwards, as Excel
    assert SPRING.networkdays(d(2026, 2, 16), d(2026, 2, 23)) == 0
    assert SPRING.networkdays(d(2026, 2, 14), d(2026, 2, 14)) == 1
    plain = WorkingCalendar("plain")
    assert plain.networkdays(d(2026, 2, 9), d(2026, 2, 28)) == 15


def test_add_workdays_steps_over_holidays_onto_make_up_days():
    assert SPRING.add_workdays(d(2026, 2, 13), 1) == d(2026, 2, 14)  # Friday + 1: the 调休 Saturday
    assert SPRING.add_workdays(d(2026, 2, 13), 2) == d(2026, 2, 24)  # then over the whole holiday
    assert SPRING.add_workdays(d(2026, 2, 24), -1) == d(2026, 2, 14)
    assert SPRING.add_workdays(d(2026, 2, 15), 0) == d(2026, 2, 15)  # no days: where it started
    assert SPRING.add_workdays(d(2026, 2, 21), 1) == d(2026, 2, 24)  # from a day off, the next worked one


def test_a_working_day_timeout_keeps_the_time_and_counts_in_the_users_zone():
    # Friday 6 Feb 20:00 UTC is already Saturday 04:00 in Shanghai
    start = dt.datetime(2026, 2, 6, 20, 0)
    assert SPRING.add_workdays(start, 1) == dt.datetime(2026, 2, 9, 20, 0)  # counted on UTC dates
    assert SPRING.add_workdays(start, 1, time_zone="Asia/Shanghai") == dt.datetime(2026, 2, 8, 20, 0)  # Mon 04:00
    # a two working day approval timeout from Friday 13 Feb 17:00 Shanghai: Sat 14 (调休), then Tue 24
    assert SPRING.add_workdays(dt.datetime(2026, 2, 13, 9, 0), 2, time_zone="Asia/Shanghai") == \
        dt.datetime(2026, 2, 24, 9, 0)
    with pytest.raises(ValidationFailed):
        SPRING.add_workdays(start, 1, time_zone="Mars/Olympus")


days = st.dates(min_value=d(2025, 12, 1), max_value=d(2026, 4, 30))


@settings(max_examples=200, deadline=None)
@given(st.frozensets(st.integers(0, 6), max_size=6), st.frozensets(days, max_size=15), st.frozensets(days, max_size=8),
       days, days)
def test_networkdays_agrees_with_asking_day_by_day(weekends, holidays, workdays, a, b):
    cal = WorkingCalendar("h", weekends=weekends, holidays=holidays - workdays, workdays=workdays)
    lo, hi = min(a, b), max(a, b)
    walked = sum(cal.is_workday(lo + dt.timedelta(days=i)) for i in range((hi - lo).days + 1))
    assert cal.networkdays(a, b) == (walked if a <= b else -walked)


@settings(max_examples=200, deadline=None)
@given(st.frozensets(st.integers(0, 6), max_size=6), st.frozensets(days, max_size=15), days,
       st.integers(-40, 40).filter(bool))
def test_add_workdays_lands_on_the_nth_working_day(weekends, holidays, start, n):
    cal = WorkingCalendar("h", weekends=weekends, holidays=holidays)
    end = cal.add_workdays(start, n)
    assert cal.is_workday(end)
    step = dt.timedelta(days=1 if n > 0 else -1)
    lo, hi = sorted((start + step, end))
    assert cal.networkdays(lo, hi) == abs(n)  # exactly |n| working days past start, the last one at end


def test_a_calendar_is_checked_with_every_problem_at_once():
    with pytest.raises(ValidationFailed) as e:
        WorkingCalendar.from_dict("cn", {"label": {"zh": "中国"}, "weekends": [0, 1, 2, 3, 4, 5, 6],
                                         "holidays": ["2026-02-16", "2026-02-30"],
                                         "workdays": ["2026-02-16"], "colour": "red"})
    paths = {p["path"] for p in e.value.details}
    assert paths == {"label", "weekends", "holidays[1]", "workdays", "colour"}


# --- stored per installation, and the expression language ------------------------------------------------

@pytest.fixture
def rt(db_url):
    with sales_erp(db_url) as rt:
        yield rt


def test_the_default_calendar_exists_from_the_start_and_is_stored_on_first_use(rt):
    assert load_calendar(rt, "default").weekends == frozenset({5, 6})
    cal_table = rt.db.core["calendar"]
    with rt.connect() as c:
        assert c.execute(cal_table.select()).first() is None
    assert [c.name for c in list_calendars(rt)] == ["default"]
    with rt.connect() as c:
        stored = c.execute(cal_table.select()).mappings().one()
    assert stored["name"] == "default" and stored["weekends"] == [5, 6]
    with pytest.raises(NotFound):
        load_calendar(rt, "cn")


def _networkdays(rt, text: str, a: dt.date, b: dt.date, conn=None):
    scope = RecordType("t", {"a": DATE, "b": DATE})
    compiled = compile_expression(text, scope, rt.functions)
    return compiled.fn({"a": a, "b": b}, EvalContext(calendars=calendars_for(rt, conn)))


def test_networkdays_and_workday_use_the_calendar_named_in_the_formula(rt):
    # the week of Labour Day 2026: Friday 1 May off, Saturday 9 May worked
    mon, sat = d(2026, 4, 27), d(2026, 5, 9)
    assert _networkdays(rt, 'NETWORKDAYS(a, b, "default")', mon, sat) == Decimal(10)  # weekends only, so far
    with rt.transaction() as c:
        save_calendar(rt, c, WorkingCalendar.from_dict("default", {
            "holidays": ["2026-05-01", "2026-05-04", "2026-05-05"], "workdays": ["2026-05-09"]}))
    assert _networkdays(rt, 'NETWORKDAYS(a, b, "default")', mon, sat) == Decimal(8)
    assert _networkdays(rt, "NETWORKDAYS(a, b)", mon, sat) == Decimal(10)  # without the name: Excel's
    assert _networkdays(rt, 'WORKDAY(a, 4, "default")', mon, sat) == d(2026, 5, 6)  # over 1, 4 and 5 May
    assert _networkdays(rt, 'WORKDAY(b, -1, "default")', mon, sat) == d(2026, 5, 8)
    # inside a transaction, the formula reads what that transaction sees
    with rt.transaction() as c:
        save_calendar(rt, c, WorkingCalendar.from_dict("default", {"weekends": [6]}))
        assert _networkdays(rt, 'NETWORKDAYS(a, b, "default")', mon, sat, conn=c) == Decimal(12)


def test_admins_set_calendars_and_everyone_reads_them(rt):
    signin = SignIn(create_app(rt))
    try:
        rep, admin = signin("rep_east1"), signin("admin_user")
        r = rep.get("/api/v1/calendars")
        assert r.status_code == 200
        assert [c["name"] for c in r.json()["items"]] == ["default"]
        body = {"label": {"zh": "华东工作日历", "en": "East China"}, "holidays": ["2026-10-01", "2026-10-02"],
                "workdays": ["2026-10-10"]}
        assert rep.put("/api/v1/admin/calendars/east", json=body).status_code == 403
        bad = admin.put("/api/v1/admin/calendars/east", json={**body, "weekends": [7]})
        assert bad.status_code == 422
        assert [p["path"] for p in bad.json()["details"]] == ["weekends"]
        r = admin.put("/api/v1/admin/calendars/east", json=body)
        assert r.status_code == 200, r.text
        got = rep.get("/api/v1/calendars/east").json()
        assert got == {"name": "east", "label": body["label"], "weekends": [5, 6],
                       "holidays": ["2026-10-01", "2026-10-02"], "workdays": ["2026-10-10"]}
        assert rep.get("/api/v1/calendars/west").status_code == 404
        assert [c["name"] for c in rep.get("/api/v1/calendars").json()["items"]] == ["default", "east"]
        assert load_calendar(rt, "east").networkdays(d(2026, 9, 28), d(2026, 10, 10)) == 9
    finally:
        signin.close()


def test_a_calendar_change_is_in_the_event_log(db_url):
    from fastapi.testclient import TestClient

    from engine.api.app import create_app
    from engine.identity.accounts import add_user
    from engine.identity.api_tokens import create_token
    from engine.identity.event_log import query_events
    from engine.runtime import open_runtime

    rt = open_runtime(db_url)
    try:
        with rt.transaction() as c:
            uid = add_user(rt, c, "cal_admin", "日历管理员", "cal-admin-pass", is_admin=True)
            token = create_token(rt, c, uid, "t").token
        with TestClient(create_app(rt), headers={"Authorization": f"Bearer {token}"}) as client:
            r = client.put("/api/v1/admin/calendars/cn2027", json={"holidays": ["2027-10-01"],
                                                                    "workdays": ["2027-10-09"]})
            assert r.status_code == 200, r.text
        events = query_events(rt, kind="calendar_changed")["items"]
        assert events[0]["target"] == "calendar:cn2027" and events[0]["actor"] == uid
    finally:
        rt.db.dispose()
