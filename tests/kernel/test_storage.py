"""Money and numbers are exact on both databases; dates are dates; the schema is real tables."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from engine.storage.coltypes import ExactDecimal
from engine.storage.database import open_database


def test_exact_decimal_round_trip_sum_and_compare(db_url):
    db = open_database(db_url)
    md = sa.MetaData()
    t = sa.Table("money_probe", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("amount", ExactDecimal(2)),
                 sa.Column("rate", ExactDecimal(6)))
    md.create_all(db.engine)
    values = [Decimal("12345678901234.56"), Decimal("0.10"), Decimal("0.20"), Decimal("1.005"), Decimal("-7.995")]
    with db.begin() as c:
        c.execute(t.insert(), [{"amount": v, "rate": Decimal("0.000001") * (i + 1)} for i, v in enumerate(values)])
    with db.engine.connect() as c:
        got = c.execute(sa.select(t.c.amount).order_by(t.c.id)).scalars().all()
        # stored values are rounded half away from zero to the column's scale (1.005 -> 1.01, -7.995 -> -8.00)
        assert got == [Decimal("12345678901234.56"), Decimal("0.10"), Decimal("0.20"), Decimal("1.01"),
                       Decimal("-8.00")]
        assert all(type(v) is Decimal for v in got)
        total = c.execute(sa.select(sa.func.sum(t.c.amount))).scalar()
        assert Decimal(total) == Decimal("12345678901227.87")  # exact, summed by the database itself
        assert c.execute(sa.select(sa.func.count()).where(t.c.amount > Decimal("0.15"))).scalar() == 3
        assert c.execute(sa.select(t.c.rate).where(t.c.id == 3)).scalar() == Decimal("0.000003")
    db.dispose()


def test_float_numeric_would_have_lost_money_on_sqlite(tmp_path):
    """Why ExactDecimal exists: SQLite's NUMERIC stores a REAL, so sums drift."""
    eng = sa.create_engine(f"sqlite:///{tmp_path / 'f.db'}")
    md = sa.MetaData()
    t = sa.Table("f", md, sa.Column("a", sa.Numeric(38, 2)))
    md.create_all(eng)
    with eng.begin() as c:
        c.execute(t.insert(), [{"a": Decimal("123456789012345.67")}] * 3)
        assert c.execute(sa.select(sa.func.sum(t.c.a))).scalar() != Decimal("370370367037037.01")


def test_installed_tables_have_typed_columns_and_indexed_relations(erp):
    insp = sa.inspect(erp.db.engine)
    contact = {c["name"]: c for c in insp.get_columns("sales_erp__contact")}
    assert {"id", "created_at", "created_by", "updated_at", "updated_by", "owner", "department", "version",
            "deleted_at", "customer", "name", "is_primary"} <= set(contact)
    fks = insp.get_foreign_keys("sales_erp__contact")
    assert any(fk["referred_table"] == "sales_erp__customer" and fk["constrained_columns"] == ["customer"]
               for fk in fks)
    indexed = {tuple(ix["column_names"]) for ix in insp.get_indexes("sales_erp__contact")}
    assert ("customer",) in indexed
    customer_ix = {tuple(ix["column_names"]) for ix in insp.get_indexes("sales_erp__customer")}
    assert ("region", "level") in customer_ix
    with erp.connect() as c:
        t = erp.table("sales_erp", "customer")
        d = c.execute(sa.select(t.c.first_deal_on).where(t.c.code == "C0001")).scalar()
    assert d == dt.date(2024, 3, 18)


def test_sqlite_uses_wal(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'w.db'}")
    with db.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.dispose()
