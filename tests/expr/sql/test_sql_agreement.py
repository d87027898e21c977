"""THE agreement property: for any checked tree over the test scope and any rows, the rows SQL selects
(``WHERE to_sql(tree)``) are exactly the rows the Python backend selects (its value is exactly True
or a non-zero number), on SQLite and on PostgreSQL. A disagreement would make a permission filter
show rows the Python side hides, or hide rows it shows.

Trees are built directly from ``nodes`` (no parser in the loop): comparisons within and across kinds,
arithmetic (including division by zero and products past 64-bit integers), ``&``, AND/OR/NOT/XOR,
IF, IFS, SWITCH, IFERROR, ISBLANK, ISERROR, LEN/UPPER/LOWER/TRIM/LEFT/RIGHT, ROUND/TRUNC/INT/ABS/SIGN,
YEAR/MONTH/DAY/HOUR/MINUTE/SECOND, TODAY()/NOW(). Rows hold blanks, mixed-case ASCII, Chinese,
accented letters, runs of spaces, dates and datetimes around midnight, decimals up to each column's
scale, negatives and zero.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from functools import lru_cache

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rules.expr.nodes import Binary, Call, FieldRef, Literal, Unary
from rules.expr.sql_backend import sql_problems
from rules.expr.types import BLANK, BOOLEAN, DATE, DATETIME, MONEY, NUMBER, PERCENT, TEXT
from rules.expr.values import ExcelError

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                              HealthCheck.data_too_large])
DEPTH = 3

# ---- values ---------------------------------------------------------------------------------------------

ALPHABET = "aAbBzZ éÉ中文1"
text_values = st.text(ALPHABET, max_size=5)
day0 = dt.date(2024, 1, 1)
dates = st.integers(-4, 4).map(lambda n: day0 + dt.timedelta(days=n))
datetimes = st.builds(lambda d, h: dt.datetime(d.year, d.month, d.day) + dt.timedelta(hours=h),
                      dates, st.sampled_from([0, 0, 1, 12, 23]))


def scaled(scale: int, lo: int, hi: int):
    return st.integers(lo, hi).map(lambda n: D(n).scaleb(-scale))


BIG = D("92233720368547758.07")  # SQLite's largest money at scale 2: arithmetic on it overflows int64
money = st.one_of(scaled(2, -3000, 3000), st.sampled_from([BIG, -BIG, D("0.01"), D("-0.01")]))
quantities = st.integers(-3, 3).map(D)
rates = scaled(4, -20000, 20000)

def sometimes_blank(values):
    return st.one_of(st.none(), values, values)  # a blank in about a third of the cells


rows = st.lists(
    st.fixed_dictionaries({
        "amount": sometimes_blank(money),
        "qty": sometimes_blank(quantities),
        "rate": sometimes_blank(rates),
        "name": sometimes_blank(st.one_of(st.just(""), text_values)),
        "d": sometimes_blank(dates),
        "at": sometimes_blank(datetimes),
        "flag": sometimes_blank(st.booleans()),
    }),
    min_size=8, max_size=25,
)

# ---- trees ----------------------------------------------------------------------------------------------

FIELD_TYPES = {"amount": MONEY, "qty": NUMBER, "rate": PERCENT, "name": TEXT, "d": DATE, "at": DATETIME,
               "flag": BOOLEAN}


def field(name: str) -> FieldRef:
    return FieldRef(FIELD_TYPES[name], None, (name,))


def lit(value, typ) -> Literal:
    return Literal(typ, None, value)


def call(name: str, typ, *args) -> Call:
    return Call(typ, None, name, tuple(args))


number_literals = st.one_of(
    st.integers(-5, 5).map(D), scaled(2, -3000, 3000), scaled(3, -30000, 30000), st.just(D("1E+20")),
).map(lambda v: lit(v, NUMBER))
text_literals = st.one_of(text_values, st.just("")).map(lambda v: lit(v, TEXT))
bool_literals = st.booleans().map(lambda v: lit(v, BOOLEAN))
date_values = st.one_of(
    st.builds(lambda d: call("DATE", DATE, lit(D(d.year), NUMBER), lit(D(d.month), NUMBER), lit(D(d.day), NUMBER)),
              dates),
    st.just(call("TODAY", DATE)),
)
date_constants = st.one_of(date_values, st.just(call("NOW", DATETIME)))
temporal = st.one_of(st.just(field("d")), st.just(field("at")), date_constants)


@lru_cache(maxsize=None)
def numbers(depth: int):
    leaves = st.one_of(st.sampled_from([field("amount"), field("qty"), field("rate")]), number_literals)
    if depth == 0:
        return leaves
    sub = numbers(depth - 1)
    return st.one_of(
        leaves,
        st.builds(lambda op, a, b: Binary(NUMBER, None, op, a, b), st.sampled_from("+-*/"), sub, sub),
        st.builds(lambda a: Binary(NUMBER, None, "/", a, field("qty")), sub),  # qty is often 0 or blank
        st.builds(lambda a: Unary(NUMBER, None, "-", a), sub),
        st.builds(lambda a: Unary(NUMBER, None, "%", a), sub),
        st.builds(lambda t: call("LEN", NUMBER, t), texts(depth - 1)),
        st.builds(lambda f, t: call(f, NUMBER, t),
                  st.sampled_from(["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"]), temporal),
        st.builds(lambda c, a, b: call("IF", NUMBER, c, a, b), conditions(depth - 1), sub, sub),
        st.builds(lambda a, b: call("IFERROR", NUMBER, a, b), sub, sub),
        st.builds(lambda c1, a, c2, b: call("IFS", NUMBER, c1, a, c2, b), conditions(depth - 1), sub,
                  conditions(depth - 1), sub),
        st.builds(lambda x, k1, a, k2, b, rest: call("SWITCH", NUMBER, x, k1, a, k2, b, *rest), sub, sub, sub,
                  sub, sub, st.lists(sub, max_size=1)),
        st.builds(lambda f, a, n: call(f, NUMBER, a, lit(D(n), NUMBER)), st.sampled_from(["ROUND", "TRUNC"]), sub,
                  st.integers(-1, 3)),
        st.builds(lambda f, a: call(f, NUMBER, a), st.sampled_from(["ABS", "INT", "SIGN"]), sub),
        st.builds(lambda a: Binary(NUMBER, None, "*", field("flag"), a), sub),  # TRUE is 1
    )


@lru_cache(maxsize=None)
def texts(depth: int):
    leaves = st.one_of(st.just(field("name")), text_literals)
    if depth == 0:
        return leaves
    sub = texts(depth - 1)
    anything = st.one_of(sub, numbers(depth - 1), st.just(field("flag")), temporal)
    return st.one_of(
        leaves,
        st.builds(lambda a, b: Binary(TEXT, None, "&", a, b), anything, anything),
        st.builds(lambda f, a: call(f, TEXT, a), st.sampled_from(["UPPER", "LOWER", "TRIM"]), sub),
        st.builds(lambda f, a, n: call(f, TEXT, a, lit(D(n), NUMBER)), st.sampled_from(["LEFT", "RIGHT"]), sub,
                  st.integers(0, 3)),
        st.builds(lambda c, a, b: call("IF", TEXT, c, a, b), conditions(depth - 1), sub, sub),
    )


COMPARE = st.sampled_from(["=", "<>", "<", "<=", ">", ">="])


@lru_cache(maxsize=None)
def conditions(depth: int):
    cmp = lambda a, b, op: Binary(BOOLEAN, None, op, a, b)  # noqa: E731
    leaves = st.one_of(st.just(field("flag")), bool_literals,
                       st.builds(lambda a: call("ISBLANK", BOOLEAN, a),
                                 st.sampled_from([field(n) for n in FIELD_TYPES])))
    n, t = numbers(max(depth - 1, 0)), texts(max(depth - 1, 0))
    comparisons = st.one_of(
        st.builds(cmp, n, n, COMPARE),
        st.builds(cmp, t, t, COMPARE),
        st.builds(cmp, t, n, COMPARE),  # across kinds: numbers < text < logicals
        st.builds(cmp, st.just(field("flag")), st.one_of(bool_literals, t, n), COMPARE),
        # a date field against a datetime field is not SQL (sql_problems says so); constants are
        st.builds(cmp, st.sampled_from([field("d"), field("at")]), date_constants, COMPARE),
        st.builds(cmp, st.just(field("d")), st.just(field("d")), COMPARE),
        st.builds(cmp, st.just(field("at")), st.just(field("at")), COMPARE),
        st.builds(cmp, n, st.just(lit(None, BLANK)), COMPARE),
    )
    if depth == 0:
        return st.one_of(leaves, comparisons)
    sub = conditions(depth - 1)
    return st.one_of(
        leaves,
        comparisons,
        st.builds(lambda f, args: call(f, BOOLEAN, *args), st.sampled_from(["AND", "OR", "XOR"]),
                  st.lists(st.one_of(sub, n), min_size=1, max_size=3)),
        st.builds(lambda a: call("NOT", BOOLEAN, a), st.one_of(sub, n)),
        st.builds(lambda c, a, b: call("IF", BOOLEAN, c, a, b), sub, sub, sub),
        st.builds(lambda a, b: call("IFERROR", BOOLEAN, a, b), sub, sub),
        st.builds(lambda a: call("ISERROR", BOOLEAN, a), n),
    )


filters = st.one_of(conditions(DEPTH), numbers(DEPTH - 1))  # a number filters on being non-zero


# ---- the properties -------------------------------------------------------------------------------------

@SETTINGS
@given(tree=filters, data=rows)
def test_sql_selects_exactly_the_rows_python_selects(db, tree, data):
    assert sql_problems(tree, db.registry) == []
    stored = db.replace_rows(data)
    selected = db.selected_ids(tree)
    assert selected == db.python_selected(tree, stored)
    # --hypothesis-show-statistics shows how varied the examples were
    event("selects none" if not selected else "selects all" if len(selected) == len(stored) else "selects some")
    if any(type(v) is ExcelError for v in db.python_values(tree, stored).values()):
        event("some row is an error")


def _same_value(sql, python) -> bool:
    if type(python) is ExcelError:
        return sql is None
    return sql == python and type(sql) is type(python)


@settings(SETTINGS, max_examples=100)
@given(tree=st.one_of(numbers(DEPTH - 1), texts(DEPTH - 1), conditions(DEPTH - 1), temporal), data=rows)
def test_report_values_are_the_python_values(db, tree, data):
    """A tree used as a report dimension reads back the value Python computes (errors as NULL)."""
    stored = db.replace_rows(data)
    python = db.python_values(tree, stored)
    got = db.values(tree)
    wrong = {i: (got[i], python[i]) for i in python if not _same_value(got[i], python[i])}
    assert not wrong
