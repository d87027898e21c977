"""Column types that keep values exact on every backend.

SQLAlchemy's ``Numeric`` passes through float on SQLite, so there a decimal is stored as an INTEGER
scaled by ``10**scale`` (money with scale 2 stores 12.34 as 1234): exact, sortable, indexable and
summable by SQL itself. PostgreSQL stores NUMERIC(38, scale). Values are rounded half away from zero
to the scale when stored, as the expression language promises.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, Numeric
from sqlalchemy.types import TypeDecorator

from .capabilities import capabilities


class ExactDecimal(TypeDecorator):
    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)
        self._factor = Decimal(10) ** scale

    def load_dialect_impl(self, dialect):
        if dialect_stores_scaled(dialect):
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(38, self.scale, asdecimal=True))

    def quantize(self, value) -> Decimal | None:
        if value is None:
            return None
        d = value if type(value) is Decimal else Decimal(str(value))
        return d.quantize(self._quantum, rounding=ROUND_HALF_UP)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        q = self.quantize(value)
        if dialect_stores_scaled(dialect):
            return int(q.scaleb(self.scale))
        return q

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect_stores_scaled(dialect):
            return Decimal(int(value)).scaleb(-self.scale)
        return self.quantize(value)

    def coerce_compared_value(self, op, value):
        # literals compared with the column are scaled the same way
        return self


def dialect_stores_scaled(dialect) -> bool:
    return not capabilities(dialect).exact_decimal
