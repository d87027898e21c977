"""The library as a whole: every function documented for the designer, registries independent, and
no argument of any kind makes a function raise or hang."""
import datetime as dt
import sys
import types
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.expr.functions import standard_registry
from rules.expr.registry import FunctionSpec
from rules.expr.types import ANY, NUMBER, Type
from rules.expr.values import DIV0, ERRORS_BY_CODE

from .conftest import Caller, pinned_context

REQUIRED = """
IF IFS SWITCH AND OR NOT XOR IFERROR ISBLANK ISNUMBER ISTEXT ISERROR TRUE FALSE
SUM AVERAGE MIN MAX COUNT COUNTA COUNTBLANK COUNTIF SUMIF AVERAGEIF PRODUCT ROUND ROUNDUP ROUNDDOWN INT
TRUNC ABS MOD POWER SQRT CEILING FLOOR SIGN LARGE SMALL MEDIAN LN LOG EXP PI FIXED
CONCATENATE CONCAT TEXTJOIN LEFT RIGHT MID LEN UPPER LOWER PROPER TRIM SUBSTITUTE REPLACE FIND SEARCH TEXT
VALUE REPT EXACT
TODAY NOW DATE DATEVALUE YEAR MONTH DAY HOUR MINUTE SECOND WEEKDAY WEEKNUM DATEDIF DAYS EDATE EOMONTH
NETWORKDAYS WORKDAY
""".split()

REGISTRY = standard_registry()
SPECS = [REGISTRY.get(n) for n in REGISTRY.names()]


def test_every_required_function_is_registered():
    missing = [n for n in REQUIRED if n not in REGISTRY]
    assert missing == []


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_function_is_documented(spec: FunctionSpec):
    assert set(spec.description) == {"zh", "en"}
    assert spec.description["zh"].strip() and spec.description["en"].strip()
    assert "\n" not in spec.description["zh"] + spec.description["en"]
    assert any("\u4e00" <= c <= "\u9fff" for c in spec.description["zh"])  # the zh line is Chinese
    assert spec.signature().startswith(spec.name + "(")
    assert all(p.name.isidentifier() for p in spec.params)
    assert spec.category in {"logic", "math", "text", "date", "aggregate"}
    assert isinstance(spec.return_type([ANY] * max(spec.min_args(), 1)), Type)


def test_reference_lists_every_function():
    ref = REGISTRY.reference()
    assert [r["name"] for r in ref] == REGISTRY.names()
    sumif = next(r for r in ref if r["name"] == "SUMIF")
    assert sumif["signature"] == "SUMIF(range, criteria, [sum_range])"


def test_registries_are_independent():
    a, b = standard_registry(), standard_registry()
    extra = FunctionSpec("CURRENT_USER", (), ANY, lambda: None, {"zh": "当前用户", "en": "Current user"})
    a.register(extra)
    assert "CURRENT_USER" in a and "CURRENT_USER" not in b
    a.replace(FunctionSpec("SUM", (), NUMBER, lambda: Decimal(0), {"zh": "和", "en": "sum"}))
    assert b.get("SUM").impl((Decimal(1), Decimal(2))) == 3
    assert "CURRENT_USER" not in standard_registry()


def test_sql_forms_are_attached_when_the_backend_module_exists(monkeypatch):
    attached = []
    fake = types.ModuleType("rules.expr.sql_functions")
    fake.attach_sql_forms = attached.append
    monkeypatch.setitem(sys.modules, "rules.expr.sql_functions", fake)
    registry = standard_registry()
    assert attached == [registry]


def test_lazy_functions_do_not_propagate_before_choosing():
    for name in ("IF", "IFS", "SWITCH", "IFERROR"):
        spec = REGISTRY.get(name)
        assert spec.lazy and not spec.propagate_errors


# --- nothing raises ---------------------------------------------------------------------------------

class _Cal:
    def is_workday(self, day):
        return day.day % 3 == 0


scalars = st.one_of(
    st.none(), st.booleans(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("1E+999999"), Decimal("-1E+999999"), Decimal("1E-999999"), Decimal("-0"),
                     Decimal("0.5"), Decimal("46053"), Decimal("1E+15")]),
    st.text(max_size=12),
    st.sampled_from(["2026-01-31", "2026年2月29日", "10:30 PM", "1,234.5", ">10", "<>", "a*b?", "~*", "cal",
                     "yyyy-mm-dd hh:mm", "#,##0.00;(0);\"零\";@", "0.00E+00", "[h]:mm", "ym", "md", "TRUE"]),
    st.dates(), st.datetimes(), st.times(),
    st.sampled_from(list(ERRORS_BY_CODE.values())),
)
values = st.one_of(scalars, st.lists(scalars, max_size=5).map(tuple))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_no_argument_makes_a_function_raise(spec: FunctionSpec):
    call = Caller()
    ctx = pinned_context(calendars={"cal": _Cal()})
    hi = spec.max_args()
    hi = spec.min_args() + 3 if hi is None else hi

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(values, min_size=spec.min_args(), max_size=hi))
    def run(args):
        call(spec.name, *args, ctx=ctx)  # Caller asserts the result is a language value

    run()


def test_decimal_signals_become_error_values():
    # Decimal raises on overflow; a formula gets #NUM! instead.
    call = Caller()
    assert call("PRODUCT", (Decimal("1E+999999"), Decimal("1E+999999"))) is ERRORS_BY_CODE["#NUM!"]
    assert call("SUM", Decimal("9E+999999"), Decimal("9E+999999")) is ERRORS_BY_CODE["#NUM!"]
    assert call("AVERAGE", (DIV0,)) is DIV0


def test_dates_out_of_range_are_num():
    call = Caller()
    num = ERRORS_BY_CODE["#NUM!"]
    assert call("EDATE", dt.date(9999, 12, 31), Decimal(1)) is num
    assert call("WORKDAY", dt.date(9999, 12, 31), Decimal(1)) is num
    assert call("EOMONTH", dt.date(1, 1, 1), Decimal(-1)) is num
