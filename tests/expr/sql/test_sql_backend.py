"""The SQL backend node by node and function by function, on SQLite and PostgreSQL.

Each case states which rows a user expects the filter to select (worked out by hand from the rows
below) and checks that the Python backend selects the same rows, so a case also fails when the two
backends drift apart."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from rules.expr import check
from rules.expr.sql_backend import SqlCapabilities, SqlColumn, SqlUnsupported, sql_problems, to_sql
from rules.expr.types import BOOLEAN, DATE, DATETIME, MONEY, NUMBER, PERCENT, TEXT, ListType, RecordType

MAX_SCALED = D("92233720368547758.07")  # the largest money SQLite's 64-bit integers hold at scale 2

ROWS = [
    dict(amount=D("12.34"), qty=D(3), rate=D("0.1250"), name="Abc", d=dt.date(2024, 1, 2),
         at=dt.datetime(2024, 1, 2, 10, 0), flag=True),
    dict(amount=None, qty=None, rate=None, name=None, d=None, at=None, flag=None),
    dict(amount=D("-100.10"), qty=D(0), rate=D("1.5"), name="ÉCOLE", d=dt.date(2023, 5, 6),
         at=dt.datetime(2023, 5, 6), flag=False),
    dict(amount=MAX_SCALED, qty=D(7), rate=D("0.3333"), name="中文 名称", d=dt.date(2024, 6, 15),
         at=dt.datetime(2024, 6, 15, 10, 30), flag=True),
    dict(amount=D(0), qty=D(-2), rate=D(0), name="", d=dt.date(2024, 6, 16),
         at=dt.datetime(2024, 6, 15, 23, 59, 59), flag=None),
    dict(amount=D("33.37"), qty=D(1), rate=D("0.1"), name="  a   b  ", d=None, at=None, flag=False),
]

# TODAY() is 2024-06-15 and NOW() 2024-06-15 10:30 (conftest.CTX_VALUES)
CASES = [
    # blank is 0 for numbers, "" for text; comparisons never yield NULL
    ("amount < 100", {1, 2, 3, 5, 6}),
    ("NOT(amount > 100)", {1, 2, 3, 5, 6}),
    ("amount <> 0", {1, 3, 4, 6}),
    ("qty = 0", {2, 3}),
    # exact decimals, beyond what SQLite's integers can hold in a product
    ("amount * 3 > 100.10", {4, 6}),
    ("amount * 3 = 100.11", {6}),
    ("rate * 3 = 0.3", {6}),
    ("amount + rate > 92233720368547758", {4}),
    ("-amount > 50", {3}),
    ("amount% > 0.1", {1, 4, 6}),
    ("amount > 12.335", {1, 4, 6}),
    ("amount <= 12.335", {2, 3, 5}),
    ("amount = 12.340", {1}),
    # errors select nothing, and stay errors under NOT
    ("amount / qty > 4", {1, 4, 6}),
    ("NOT(amount / qty > 4)", {5}),
    ("IFERROR(amount / qty, -1) < 0", {2, 3}),
    ("ISERROR(amount / qty)", {2, 3}),
    ("ISBLANK(amount / qty)", set()),
    ("0 / 0 < 0 / 0", set()),
    ("NOT(1 / 0 = NA())", set()),
    ("ISERROR(1 / 0)", {1, 2, 3, 4, 5, 6}),
    ("IFERROR(1 / 0, amount) > 30", {4, 6}),
    # text: = and ordering ignore case, Unicode included; code-point order
    ('name = ""', {2, 5}),
    ('name = "école"', {3}),
    ('name = "ABC"', {1}),
    ('name <> "abc"', {2, 3, 4, 5, 6}),
    ('name < "b"', {1, 2, 5, 6}),
    ('name >= "中"', {4}),
    # across kinds: numbers < text < logicals
    ("name > amount", {1, 3, 4, 5, 6}),
    ("flag > name", {1, 3, 4, 6}),
    ('qty = ""', {2}),
    # dates, the clock from the query's context
    ("ISBLANK(d)", {2, 6}),
    ("d < TODAY()", {1, 2, 3, 6}),
    ("d = TODAY()", {4}),
    ("at >= TODAY()", {4, 5}),
    ("d < NOW()", {1, 2, 3, 4, 6}),
    ("d >= NOW()", {5}),
    ("at < NOW()", {1, 2, 3, 6}),
    ("d > DATE(2024, 1, 1)", {1, 4, 5}),
    ("YEAR(d) = 2024", {1, 4, 5}),
    ("NOT(YEAR(d) = 2024)", {3}),
    ("MONTH(at) = 6", {4, 5}),
    ("DAY(d) >= 15", {4, 5}),
    ("HOUR(at) >= 10", {1, 4, 5}),
    ("MINUTE(at) = 59", {5}),
    ("SECOND(at) + HOUR(d) = 59", {5}),
    ("NOT(HOUR(at) = 0)", {1, 4, 5}),
    # logic
    ("flag", {1, 4}),
    ("NOT(flag)", {2, 3, 5, 6}),
    ("flag = FALSE", {2, 3, 5, 6}),
    ("AND(flag, qty > 2)", {1, 4}),
    ("flag AND qty > 2", {1, 4}),
    ("OR(flag, qty < 0)", {1, 4, 5}),
    ("XOR(flag, amount > 20)", {1, 6}),
    ("qty", {1, 4, 5, 6}),
    ("IF(flag, amount, qty) > 5", {1, 4}),
    ('IF(qty > 2, "big", name) = "big"', {1, 4}),
    ('IFS(qty > 5, "huge", qty > 2, "big", qty >= 0, "small") = "small"', {2, 3, 6}),
    ("ISERROR(IFS(qty > 2, 1))", {2, 3, 5, 6}),
    ('SWITCH(name, "abc", 1, "école", 2, 0) > 0', {1, 3}),
    ('SWITCH(qty, 3, "x", 7, "y") = "y"', {4}),
    ('ISERROR(SWITCH(qty, 3, "x", 7, "y"))', {2, 3, 5, 6}),
    ("IF(qty > 0, amount / qty, 0) > 10", {4, 6}),
    ("ISNUMBER(amount)", {1, 3, 4, 5, 6}),
    ("ISTEXT(name)", {1, 3, 4, 5, 6}),
    ("ISLOGICAL(flag)", {1, 3, 4, 6}),
    ("ISNONTEXT(name)", {2}),
    # text functions
    ("LEN(name) = 3", {1}),
    ("LEN(name) = 5", {3, 4}),
    ("LEN(amount) = 5", {1, 6}),
    ('EXACT(UPPER(name), "ÉCOLE")', {3}),
    ('EXACT(LOWER(name), "école")', {3}),
    ('EXACT(name, "abc")', set()),
    ('TRIM(name) = "a b"', {6}),
    ('LEFT(name, 2) = "ab"', {1}),
    ('RIGHT(name, 2) = "名称"', {4}),
    ('MID(name, 2, 3) = "COL"', {3}),
    ('CONCATENATE(name, "-", qty) = "abc-3"', {1}),
    ('name & qty = ""', {2}),
    ('name & flag = "TRUEABC"', set()),
    ('name & flag = "abctrue"', {1}),
    ('d & "" = "2024-01-02"', {1}),
    # numbers
    ("ROUND(amount / 3, 2) = 4.11", {1}),
    ("ROUND(amount, -1) = 10", {1}),
    ("TRUNC(amount / 3, 1) = 4.1", {1}),
    ("ROUNDDOWN(-amount, -2) = 100", {3}),
    ("TRUNC(rate * 10) = 1", {1, 6}),
    ("INT(rate * 10) = 1", {1, 6}),
    ("ABS(amount) > 100", {3, 4}),
    ("SIGN(qty) = -1", {5}),
]


@pytest.fixture(scope="module")
def stored(db):
    return db.replace_rows(ROWS)


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0] for c in CASES])
def test_filter_selects_what_a_user_expects(db, stored, text, expected):
    tree = db.check(text)
    assert sql_problems(tree, db.registry) == []
    assert db.selected_ids(tree) == expected
    assert db.python_selected(tree, stored) == expected


AGREEMENT_ONLY = [
    # rounding to 28 significant digits, as Python's decimals do
    "amount / 3 * 3 = amount",
    "amount / qty * qty = amount",
    "2 / 3 * 3 = 2",
    "rate / 7 * 7 = rate",
    "1 / qty + 1 / qty + 1 / qty = 3 / qty",
    "amount * amount / 3 > 1000",
    "(amount + 0.000000000000000000000001) * 1000 > amount * 1000",
]


@pytest.mark.parametrize("text", AGREEMENT_ONLY)
def test_rounding_agrees_with_python(db, stored, text):
    tree = db.check(text)
    assert db.selected_ids(tree) == db.python_selected(tree, stored)


@pytest.mark.parametrize("text", ["amount * 2", "amount / qty", "YEAR(d)", "name & qty", "rate * 3 - 1",
                                  "IF(flag, amount, rate)", "LEN(name)", "flag", "d", "IF(flag, d, TODAY())",
                                  "qty > 1", "IF(flag, at, NOW())", "UPPER(name)"])
def test_report_dimension_values_match_python(db, stored, text):
    """A non-boolean tree is a value: numbers read back as Decimal, an error as NULL."""
    tree = db.check(text)
    python = db.python_values(tree, stored)
    expected = {i: (None if type(v).__name__ == "ExcelError" else v) for i, v in python.items()}
    assert db.values(tree) == expected


def test_division_by_zero_dimension_is_null(db, stored):
    values = db.values(db.check("amount / qty"))
    assert values[3] is None and values[2] is None
    assert values[1] == D("12.34") / D(3)


def test_context_value_is_required(db):
    tree = db.check("d < TODAY()")
    with pytest.raises(SqlUnsupported) as e:
        to_sql(tree, db.resolver, db.caps, {}, registry=db.registry)
    assert "TODAY" in e.value.message["en"] and "TODAY" in e.value.message["zh"]


def test_context_value_is_a_bound_parameter(db, stored):
    tree = db.check("d < TODAY()")
    cond = to_sql(tree, db.resolver, db.caps, {"TODAY": dt.date(2024, 1, 3)}, registry=db.registry)
    assert dt.date(2024, 1, 3) in cond.compile().params.values()
    with db.engine.connect() as c:
        ids = {r[0] for r in c.execute(sa.select(db.table.c.id).where(cond))}
    assert ids == {1, 2, 3, 6}


def test_literal_comparison_stays_indexable(db):
    """``amount < 100`` compares the column itself (no function around it), so an index serves it."""
    sql = str(db.sql(db.check("amount < 100")).compile(db.engine))
    assert f"{db.table.name}.amount <" in sql
    assert "coalesce" not in sql.lower()


# ---- what cannot become SQL ---------------------------------------------------------------------------

LINE = RecordType("line", {"price": MONEY})
CUSTOMER = RecordType("customer", {"name": TEXT})


PROBLEMS = [
    ("SUM(lines.price) > 1", "lines.price", "SUM(lines.price)"),
    ("d + 1 > TODAY()", "d", None),
    ("name * 2 > 1", "name", None),
    ('FIND("a", name) > 0', 'FIND("a", name)', None),
    ("ROUND(amount, qty) > 1", "ROUND(amount, qty)", None),
    ('IF(amount > 0, "pos") = FALSE', 'IF(amount > 0, "pos")', None),
    ("d = at", "d = at", None),
    ("amount ^ 2 > 4", "amount ^ 2", None),
    ('AND(name, flag)', "name", None),
]


def db_scope_fields():
    return {"amount": MONEY, "qty": NUMBER, "rate": PERCENT, "name": TEXT, "d": DATE, "at": DATETIME,
            "flag": BOOLEAN}


@pytest.mark.parametrize("text,where,_", PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_sql_problems_point_at_the_node(registry, text, where, _):
    scope = RecordType("sqltest", {**db_scope_fields(), "lines": ListType(LINE), "customer": CUSTOMER})
    tree = check(text, scope, registry)
    problems = sql_problems(tree, registry)
    assert problems, text
    pos, message = problems[0]
    start = text.index(where) + 1
    assert (pos.line, pos.column) == (1, start)
    assert message["zh"] and message["en"]
    caps = SqlCapabilities(False, False)
    with pytest.raises(SqlUnsupported) as e:
        to_sql(tree, lambda p: SqlColumn(sa.column(p[-1]), MONEY, 2), caps, {"TODAY": dt.date.today()},
               registry=registry)
    assert e.value.pos == pos


def test_relation_path_goes_to_the_resolver(registry):
    scope = RecordType("sqltest", {"customer": CUSTOMER})
    tree = check('customer.name = "ACME"', scope, registry)
    assert sql_problems(tree, registry) == []
    seen = []

    def resolver(path):
        seen.append(path)
        return SqlColumn(sa.column("customer_name"), TEXT)

    to_sql(tree, resolver, SqlCapabilities(True, True), registry=registry)
    assert seen == [("customer", "name")]


# ---- relation paths, deep expressions -------------------------------------------------------------------

CREDIT = RecordType("customer", {"credit": MONEY})


@pytest.fixture(scope="module")
def customers(db, stored):
    """A related table; ``qty`` serves as the link to it. The resolver answers ``customer.credit`` with
    a correlated scalar subquery, as the kernel does for relation paths."""
    from engine.storage.coltypes import ExactDecimal

    md = sa.MetaData()
    cust = sa.Table(db.table.name + "_c", md, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("credit", ExactDecimal(2)))
    md.create_all(db.engine)
    with db.engine.begin() as c:
        c.execute(cust.insert(), [dict(id=3, credit=D(100)), dict(id=7, credit=D(5)), dict(id=1, credit=None)])
    yield cust
    md.drop_all(db.engine)


@pytest.mark.parametrize("text,expected", [
    ("customer.credit * 2 > 10", {1}),
    ("amount / customer.credit > 0.1", {1, 4}),
    ("NOT(amount / customer.credit > 0.1)", set()),
    ("customer.credit - amount < 10", {2, 4, 5, 6}),
])
def test_relation_path_through_a_correlated_subquery(db, stored, customers, text, expected):
    scope = RecordType("sqltest", {**db_scope_fields(), "customer": CREDIT})
    tree = check(text, scope, db.registry)

    def resolver(path):
        if path[0] != "customer":
            return db.resolver(path)
        col = sa.select(customers.c.credit).where(customers.c.id == db.table.c.qty).scalar_subquery()
        return SqlColumn(col, MONEY, None if db.caps.exact_decimal else 2)

    cond = to_sql(tree, resolver, db.caps, registry=db.registry)
    with db.engine.connect() as c:
        assert {r[0] for r in c.execute(sa.select(db.table.c.id).where(cond))} == expected
        credit = dict(c.execute(sa.select(customers.c.id, customers.c.credit)).all())
    records = [{**r, "customer": {"credit": credit.get(int(r["qty"]))} if r["qty"] is not None else None}
               for r in stored]
    assert db.python_selected(tree, records) == expected


def test_long_if_chains_and_sums_run(db, stored):
    """IF(...IF(...)) in the else branch is one flat CASE and a + b + c... one call on SQLite, whose
    parser cannot nest much deeper than 20."""
    chain = "".join(f"IF(qty = {i}, {i * 10}, " for i in range(-3, 22)) + "0" + ")" * 25 + " > 20"
    total = " + ".join(["amount", "rate", "qty"] * 4) + " > 50"
    for text, expected in ((chain, {1, 4}), (total, {1, 4, 6})):
        tree = db.check(text)
        assert sql_problems(tree, db.registry) == []
        assert db.selected_ids(tree) == expected == db.python_selected(tree, stored)


def test_too_deep_for_the_database_is_reported(db):
    text = "LEN(" + "UPPER(" * 40 + "name" + ")" * 40 + ") > 1"
    tree = db.check(text)
    problems = sql_problems(tree, db.registry)
    assert [p for p, _ in problems] == [tree.pos]
    assert "deep" in problems[0][1]["en"]


def _with_current_user(registry):
    from rules.expr.registry import FunctionSpec

    user = RecordType("user", {"login": TEXT, "department": TEXT})
    r = registry.copy()
    r.register(FunctionSpec("CURRENT_USER", (), user, lambda ctx: ctx.user, {"zh": "当前用户", "en": "The user"},
                            needs_context=True, volatile=True))
    return r


def test_current_user_fields_are_bound_from_the_context(db, stored):
    registry = _with_current_user(db.registry)
    tree = check("name = CURRENT_USER().department", RecordType("sqltest", db_scope_fields()), registry)
    assert sql_problems(tree, registry) == []
    cond = to_sql(tree, db.resolver, db.caps, {"CURRENT_USER": {"login": "li", "department": "ABC"}},
                  registry=registry)
    with db.engine.connect() as c:
        assert {r[0] for r in c.execute(sa.select(db.table.c.id).where(cond))} == {1}


def test_a_record_itself_is_not_a_value(db):
    """ISBLANK(CURRENT_USER()) is FALSE in Python; a record in SQL would read as NULL, so it is refused
    rather than turned into 'blank'."""
    registry = _with_current_user(db.registry)
    tree = check("ISBLANK(CURRENT_USER())", RecordType("sqltest", db_scope_fields()), registry)
    assert sql_problems(tree, registry)
    with pytest.raises(SqlUnsupported):
        to_sql(tree, db.resolver, db.caps, {"CURRENT_USER": {"login": "li"}}, registry=registry)


def test_numbers_past_28_digits_round_as_python(db, stored):
    """Python rounds every result to 28 significant digits, ties to even. NUMERIC computes exactly,
    so PostgreSQL must round the same way; SQLite's 64-bit integers overflow instead, which its exact
    functions must not. (Stored values themselves have at most 28 digits: ExactDecimal refuses more.)"""
    if db.caps.exact_decimal:
        amounts = [D("12345678901234567890123456.78"), D("-99999999999999999999999999.99"),
                   D("12345678901234567890123456.75"), D("1234567890123456789012345.65")]
    else:
        amounts = [MAX_SCALED, -MAX_SCALED, D("92233720368547758.05"), D("-0.01")]
    rows = [dict(ROWS[1], amount=a) for a in amounts]
    try:
        wide = db.replace_rows(rows)
        for text in ("amount + 0 = amount", "amount * 1 > amount", "amount * 10 / 10 = amount",
                     "-amount < 0", "amount * amount > 0", "amount * 10 = amount * 5 * 2",
                     "amount / 3 * 3 = amount", "(amount + 0.05) * 10 > amount * 10"):
            tree = db.check(text)
            assert db.selected_ids(tree) == db.python_selected(tree, wide), text
        for text in ("amount + 0", "amount * 3", 'amount & ""', "amount / 7"):
            tree = db.check(text)
            assert db.values(tree) == db.python_values(tree, wide), text
    finally:
        db.replace_rows(ROWS)


@pytest.mark.parametrize("text, expected", [
    # issue 11 item 12: 99486 s is 27 h 38 min 06 s; in days a repeating decimal, in hours 27.635
    ("ROUND(amount / 86400 * 24, 2) = 27.64", {1}),
    ("ROUND(amount / 86400 * 24, 2) = -27.64", {2}),
    ("amount / 86400 * 24 = 27.635", {1}),
    ("amount / 3 * 3 = amount", {1, 2, 3, 4}),
    ("(1 / qty) * qty = 1", {1, 2, 3}),
])
def test_item12_products_and_quotients_settle_in_sql_as_in_python(db, text, expected):
    rows = [dict(amount=D(99486), qty=D(3)), dict(amount=D(-99486), qty=D(7)),
            dict(amount=D("33.37"), qty=D(-9)), dict(amount=None, qty=None)]
    stored = db.replace_rows([{**dict.fromkeys(ROWS[0]), **r} for r in rows])
    try:
        tree = db.check(text)
        assert db.python_selected(tree, stored) == expected
        assert db.selected_ids(tree) == expected
    finally:
        db.replace_rows(ROWS)  # the module's other tests read the shared rows
