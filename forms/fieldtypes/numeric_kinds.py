"""Numeric kinds: percent (a fraction shown as a percentage) and rating (whole stars 1..max).

A percent is stored as the fraction the expression language computes with (15% is 0.15), so
``amount * discount`` needs no division by 100; people read and type it with a % sign.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from engine.fieldtypes import (
    ORDERED_OPS,
    FieldType,
    FieldValueError,
    float_value,
    plain_decimal,
    round_half_up,
    within_places,
)
from engine.storage.coltypes import ExactDecimal
from rules.expr import types as T

PERCENT_DEFAULT_PLACES = 2  # places of the percentage: 12.34%
_HUNDRED = Decimal(100)


def _places(f) -> int:
    """Places of the stored fraction: two more than the percentage shows."""
    return f.get("precision", PERCENT_DEFAULT_PLACES) + 2


def _to_decimal(v, zh: str, en: str) -> Decimal:
    if isinstance(v, bool):
        raise FieldValueError(zh, en)
    if isinstance(v, float):
        v = float_value(v)
    try:
        d = Decimal(v.strip()) if isinstance(v, str) else Decimal(v)
    except (InvalidOperation, TypeError, ValueError):
        raise FieldValueError(zh, en) from None
    if not d.is_finite():
        raise FieldValueError(zh, en)
    return d


# --- percent -------------------------------------------------------------------------------------------
_PERCENT_MSG = ("应为百分比，例如 0.15 或 \"15%\"", 'must be a percentage, e.g. 0.15 or "15%"')


def _parse_percent(f, v):
    """0.15 (or "0.15") is 15%; a string with a % sign ("15%") is read as a percentage."""
    if v is None or v == "":
        return None
    if isinstance(v, str) and v.strip().endswith("%"):
        d = _to_decimal(v.strip()[:-1], *_PERCENT_MSG) / _HUNDRED
    else:
        d = _to_decimal(v, *_PERCENT_MSG)
    if abs(d) >= Decimal(10) ** (16 - _places(f)):  # a scaled integer on SQLite stays inside 64 bits
        raise FieldValueError("数值过大", "the number is too large")
    return within_places(d, _places(f), shown=_places(f) - 2)  # places of the percentage a person types


def _percent_from_text(f, text):
    """``15%``, ``15 %``, ``１５％`` are 15%; a number without a sign is the fraction, as in the API and
    in a spreadsheet cell (0.15 formatted as 15%)."""
    if not isinstance(text, str):
        return _parse_percent(f, text)
    s = re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", text))
    return _parse_percent(f, s)


def _show_percent(f, v, lang):
    shown = (v * _HUNDRED).quantize(Decimal(1).scaleb(-(_places(f) - 2)), rounding=ROUND_HALF_UP)
    return plain_decimal(shown) + "%"


PERCENT = FieldType(
    name="percent",
    options_schema={"precision": {"description": "decimal places of the percentage (2: 12.34%)",
                                  "type": "integer", "minimum": 0, "maximum": 6}},
    column=lambda f: ExactDecimal(_places(f)),
    parse=_parse_percent,
    dump=lambda f, v: v,
    expr_type=lambda f: T.PERCENT,
    filter_ops=ORDERED_OPS,
    label={"zh": "百分比", "en": "Percent"},
    parse_text=_percent_from_text,
    display=_show_percent,
    json_schema=lambda f: {"type": ["number", "string", "null"],
                           "description": "a fraction (0.15) or a percentage text (\"15%\")"},
    round_value=lambda f, v: round_half_up(v, _places(f)) if isinstance(v, Decimal) else v,
)


# --- rating --------------------------------------------------------------------------------------------
RATING_DEFAULT_MAX = 5


class WholeNumber(TypeDecorator):
    """An INTEGER column whose values are the language's numbers (Decimal): ``rating >= 4`` and
    ``rating = 4`` then compare like any other number in formulas and rules."""

    impl = sa.Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else int(value)

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)

_STARS = re.compile(r"^[★⭐☆\s]+$")


def _max(f) -> int:
    return f.get("max", RATING_DEFAULT_MAX)


def _parse_rating(f, v):
    if v is None or v == "":
        return None
    top = _max(f)
    problem = FieldValueError(f"应为 1 到 {top} 的整数", f"must be a whole number from 1 to {top}")
    d = _to_decimal(v, problem.message["zh"], problem.message["en"])
    if d != d.to_integral_value() or not 1 <= d <= top:
        raise problem
    return Decimal(int(d))


def _rating_from_text(f, text):
    """``4``, ``4/5``, ``4星``, ``4 stars`` or the stars themselves (``★★★★☆``)."""
    if not isinstance(text, str):
        return _parse_rating(f, text)
    s = unicodedata.normalize("NFKC", text).strip()
    if s and _STARS.match(s):
        return _parse_rating(f, s.count("★") + s.count("⭐"))
    m = re.match(r"^(\d+)\s*(?:/\s*\d+|星|颗星|stars?)?$", s, re.IGNORECASE)
    return _parse_rating(f, m.group(1) if m else s)


RATING = FieldType(
    name="rating",
    options_schema={"max": {"description": "the most stars (5 by default)", "type": "integer",
                            "minimum": 1, "maximum": 10}},
    column=lambda f: WholeNumber(),
    parse=_parse_rating,
    dump=lambda f, v: None if v is None else int(v),
    expr_type=lambda f: T.NUMBER,
    filter_ops=ORDERED_OPS,
    label={"zh": "评分", "en": "Rating"},
    parse_text=_rating_from_text,
    display=lambda f, v, lang: "★" * int(v) + "☆" * max(_max(f) - int(v), 0),
    json_schema=lambda f: {"type": ["integer", "null"], "minimum": 1, "maximum": _max(f)},
)

FIELD_TYPES = (PERCENT, RATING)
