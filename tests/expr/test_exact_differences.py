"""Issue 11 item 12: date and time arithmetic is exact in seconds, as Excel users expect.

A difference of datetimes is a number of days; 27 h 38 min 06 s is 99486/86400 days, a repeating
decimal. Products and quotients settle on the short number they are within 20 significant digits of
(``values.settle``), so ``(b - a) * 24`` is 27.635 hours and ``ROUND(…, 2)`` is 27.64, not 27.63."""
from __future__ import annotations

from decimal import Decimal

import pytest

from rules.expr import evaluate, standard_registry

D = Decimal
REGISTRY = standard_registry()


def ev(text, data=None):
    return evaluate(text, data, registry=REGISTRY)


@pytest.mark.parametrize("a, b, hours", [
    ("2026-03-01T08:00:00", "2026-03-02T11:38:06", "27.64"),  # the issue's 27 h 38 min 06 s
    ("2026-02-27T22:15:00", "2026-03-02T01:53:06", "51.64"),  # across days and a month end
    ("2026-03-02T11:38:06", "2026-03-01T08:00:00", "-27.64"),  # a negative difference, half away from 0
    ("2026-01-01T00:00:00", "2026-01-01T00:00:01", "0.00"),
    ("2024-02-28T23:59:30", "2024-03-01T00:00:00", "24.01"),  # through a leap day
])
def test_item12_hours_between_datetimes_round_as_excel(a, b, hours):
    assert ev("ROUND((b - a) * 24, 2)", {"a": a, "b": b}) == D(hours)


def test_item12_the_issue_example_is_exactly_27_635_hours():
    data = {"created_at": "2026-03-01T08:00:00", "finished_at": "2026-03-02T11:38:06"}
    assert ev("(finished_at - created_at) * 24", data) == D("27.635")
    assert ev("(finished_at - created_at) * 24 * 60", data) == D("1658.1")
    assert ev("(finished_at - created_at) * 86400", data) == D(99486)
    assert ev("(finished_at - created_at) / (1 / 24)", data) == D("27.635")


def test_item12_differences_are_wall_clock_time_in_zones_without_daylight_saving():
    """Datetimes are wall-clock times of the evaluation's zone (Asia/Shanghai, UTC: no daylight
    saving), so the night Europe moves its clocks is 2 hours from 01:30 to 03:30 like any other."""
    data = {"a": "2026-03-29T01:30:00", "b": "2026-03-29T03:30:00"}
    assert ev("(b - a) * 24", data) == D(2)
    assert ev("ROUND((b - a) * 24 * 60, 0)", {"a": "2026-03-29T01:30:00", "b": "2026-03-30T03:31:07"}) == D(1561)


@pytest.mark.parametrize("text, value", [
    ("(1 / 3) * 3", D(1)),
    ("10 / 3 * 3", D(10)),
    ("99486 / 86400 * 24", D("27.635")),
    ("1 / 7 * 7 * 100", D(100)),
])
def test_item12_repeating_decimals_come_back_like_excel(text, value):
    assert ev(text) == value


@pytest.mark.parametrize("value", [
    D("9999999999999999.99"),  # 18 digits of money: unchanged
    D("123456789012345678901234.5678"),  # 28 digits, exact
    D("1") / D(3),  # a repeating decimal near no short number keeps its 28 digits
    D("0.1234567890123456789"),
])
def test_item12_settling_never_changes_a_number_that_is_not_noise(value):
    from rules.expr.values import settle

    assert settle(value) == value
    assert ev("x * 1", {"x": value}) == value


def test_item12_settling_agrees_between_the_compiled_fast_path_and_the_operators():
    data = {"x": D(99486), "y": D(86400)}
    assert ev("x / y * 24", data) == ev("(x & \"\") / (y & \"\") * 24", data) == D("27.635")
