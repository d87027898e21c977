"""The field-type registry: what each kind of field stores, accepts, shows and can be filtered by.

The kernel registers the basic types here; the form engine extends a registry with its own (rich
text, attachments, sub-tables, formulas...). A registry is an object passed to the loader and the
compiler, never a module-level global.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Mapping

import sqlalchemy as sa

from rules.expr import types as T

from .storage.coltypes import ExactDecimal

LABEL_SCHEMA = {
    "type": "object",
    "required": ["zh", "en"],
    "properties": {"zh": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}},
    "additionalProperties": False,
}

# Operators a list filter may use, by family. "blank"/"notblank" take no value.
ORDERED_OPS = frozenset({"eq", "ne", "in", "nin", "gt", "gte", "lt", "lte", "between", "blank", "notblank"})
TEXT_OPS = frozenset({"eq", "ne", "in", "nin", "contains", "startswith", "blank", "notblank"})
EQ_OPS = frozenset({"eq", "ne", "in", "nin", "blank", "notblank"})


class FieldValueError(ValueError):
    """A value a field cannot take; carries the bilingual message shown at the field."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.message = {"zh": zh, "en": en}


@dataclass(frozen=True)
class FieldType:
    name: str
    options_schema: Mapping[str, Any]  # JSON Schema properties of the type-specific keys
    column: Callable[[Mapping[str, Any]], sa.types.TypeEngine]
    parse: Callable[[Mapping[str, Any], Any], Any]  # API/JSON input -> stored Python value
    dump: Callable[[Mapping[str, Any], Any], Any]  # stored Python value -> JSON-able value
    expr_type: Callable[[Mapping[str, Any]], T.Type]
    filter_ops: frozenset[str]
    required_options: tuple[str, ...] = ()
    text_search: bool = False  # used by keyword search when it is a title field
    label: Mapping[str, str] = field(default_factory=dict)

    def references_entity(self, field_def: Mapping[str, Any]) -> str | None:
        return field_def.get("to") if self.name == "relation" else None


class FieldTypeRegistry:
    def __init__(self, types: Iterable[FieldType] = ()) -> None:
        self._types: dict[str, FieldType] = {}
        for t in types:
            self.register(t)

    def register(self, ftype: FieldType) -> None:
        if ftype.name in self._types:
            raise ValueError(f"field type {ftype.name} is already registered")
        self._types[ftype.name] = ftype

    def get(self, name: str) -> FieldType | None:
        return self._types.get(name)

    def names(self) -> list[str]:
        return sorted(self._types)

    def copy(self) -> "FieldTypeRegistry":
        return FieldTypeRegistry(self._types.values())


def _same(_f, v):
    return v


# --- text ----------------------------------------------------------------------------------------
DEFAULT_TEXT_LENGTH = 255


def _parse_text(f, v):
    if v is None or v == "":
        return None
    if not isinstance(v, str):
        if isinstance(v, (int, Decimal)) and not isinstance(v, bool):
            v = str(v)
        else:
            raise FieldValueError("应为文本", "must be text")
    limit = f.get("max_length", DEFAULT_TEXT_LENGTH)
    if len(v) > limit:
        raise FieldValueError(f"不能超过 {limit} 个字符", f"must be at most {limit} characters")
    return v


TEXT = FieldType(
    name="text",
    options_schema={"max_length": {"type": "integer", "minimum": 1, "maximum": 10000}},
    column=lambda f: sa.String(f.get("max_length", DEFAULT_TEXT_LENGTH)),
    parse=_parse_text,
    dump=_same,
    expr_type=lambda f: T.TEXT,
    filter_ops=TEXT_OPS,
    text_search=True,
    label={"zh": "单行文本", "en": "Text"},
)


# --- number and money ------------------------------------------------------------------------------
def _decimal_parser(default_places: int):
    def parse(f, v):
        if v is None or v == "":
            return None
        if isinstance(v, bool):
            raise FieldValueError("应为数字", "must be a number")
        if isinstance(v, float):
            v = repr(v)
        try:
            d = Decimal(v.replace(",", "").strip()) if isinstance(v, str) else Decimal(v)
        except (InvalidOperation, TypeError, ValueError):
            raise FieldValueError("应为数字", "must be a number") from None
        if not d.is_finite():
            raise FieldValueError("应为有限的数字", "must be a finite number")
        if "min" in f and d < Decimal(str(f["min"])):
            raise FieldValueError(f"不能小于 {f['min']}", f"must be at least {f['min']}")
        if "max" in f and d > Decimal(str(f["max"])):
            raise FieldValueError(f"不能大于 {f['max']}", f"must be at most {f['max']}")
        places = f.get("precision", default_places)
        # 18 digits before the point keeps the scaled integer inside 64 bits on SQLite
        if abs(d) >= Decimal(10) ** (18 - places):
            raise FieldValueError("数值过大", "the number is too large")
        # the value as it will be stored, so change detection, audit and events see that value
        return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)

    return parse


def _dump_decimal(f, v):
    return v


_NUMBER_OPTIONS = {
    "precision": {"type": "integer", "minimum": 0, "maximum": 10},
    "min": {"type": "number"},
    "max": {"type": "number"},
}
NUMBER_DEFAULT_PLACES = 4
MONEY_DEFAULT_PLACES = 2

NUMBER = FieldType(
    name="number",
    options_schema=_NUMBER_OPTIONS,
    column=lambda f: ExactDecimal(f.get("precision", NUMBER_DEFAULT_PLACES)),
    parse=_decimal_parser(NUMBER_DEFAULT_PLACES),
    dump=_dump_decimal,
    expr_type=lambda f: T.NUMBER,
    filter_ops=ORDERED_OPS,
    label={"zh": "数字", "en": "Number"},
)

MONEY = FieldType(
    name="money",
    options_schema={**_NUMBER_OPTIONS, "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}},
    column=lambda f: ExactDecimal(f.get("precision", MONEY_DEFAULT_PLACES)),
    parse=_decimal_parser(MONEY_DEFAULT_PLACES),
    dump=_dump_decimal,
    expr_type=lambda f: T.MONEY,
    filter_ops=ORDERED_OPS,
    label={"zh": "金额", "en": "Money"},
)


# --- dates -----------------------------------------------------------------------------------------
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_date(f, v):
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str) and _DATE_RE.match(v.strip()):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise FieldValueError("应为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD")


def _parse_datetime(f, v):
    """ISO 8601 in, naive UTC stored; a value without an offset is taken as UTC."""
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        d = v
    elif isinstance(v, str):
        s = v.strip()
        if s.endswith(("Z", "z")):
            s = s[:-1] + "+00:00"
        try:
            d = dt.datetime.fromisoformat(s)
        except ValueError:
            raise FieldValueError("应为日期时间 (ISO 8601)", "must be a date-time (ISO 8601)") from None
    else:
        raise FieldValueError("应为日期时间 (ISO 8601)", "must be a date-time (ISO 8601)")
    if d.tzinfo is not None:
        d = d.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return d.replace(microsecond=0)


DATE = FieldType(
    name="date",
    options_schema={},
    column=lambda f: sa.Date(),
    parse=_parse_date,
    dump=lambda f, v: None if v is None else v.isoformat(),
    expr_type=lambda f: T.DATE,
    filter_ops=ORDERED_OPS,
    label={"zh": "日期", "en": "Date"},
)

DATETIME = FieldType(
    name="datetime",
    options_schema={},
    column=lambda f: sa.DateTime(),
    parse=_parse_datetime,
    dump=lambda f, v: None if v is None else v.isoformat() + "Z",
    expr_type=lambda f: T.DATETIME,
    filter_ops=ORDERED_OPS,
    label={"zh": "日期时间", "en": "Date and time"},
)


# --- boolean and select ----------------------------------------------------------------------------
def _parse_bool(f, v):
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    raise FieldValueError("应为是或否 (true/false)", "must be true or false")


BOOLEAN = FieldType(
    name="boolean",
    options_schema={},
    column=lambda f: sa.Boolean(),
    parse=_parse_bool,
    dump=_same,
    expr_type=lambda f: T.BOOLEAN,
    filter_ops=EQ_OPS,
    label={"zh": "是/否", "en": "Yes/No"},
)


def _parse_select(f, v):
    if v is None or v == "":
        return None
    allowed = [o["value"] for o in f.get("options", ())]
    if v not in allowed:
        raise FieldValueError(f"不是可选的值: {v}", f"is not one of the options: {v}")
    return v


SELECT = FieldType(
    name="select",
    options_schema={
        "options": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["value", "label"],
                "properties": {
                    "value": {"type": "string", "minLength": 1, "maxLength": 64},
                    "label": LABEL_SCHEMA,
                    "color": {"type": "string"},
                },
                "additionalProperties": False,
            },
        }
    },
    required_options=("options",),
    column=lambda f: sa.String(64),
    parse=_parse_select,
    dump=_same,
    expr_type=lambda f: T.SELECT,
    filter_ops=EQ_OPS,
    label={"zh": "单选", "en": "Select"},
)


# --- relation --------------------------------------------------------------------------------------
def _parse_relation(f, v):
    """A related record by id; whether it exists (and may be read) is checked by the pipeline."""
    if v is None or v == "":
        return None
    if isinstance(v, dict) and "id" in v:
        v = v["id"]
    if isinstance(v, bool):
        raise FieldValueError("应为关联记录的 id", "must be the id of a related record")
    try:
        i = int(v)
    except (TypeError, ValueError):
        raise FieldValueError("应为关联记录的 id", "must be the id of a related record") from None
    if i <= 0 or (isinstance(v, (Decimal, float)) and i != v):
        raise FieldValueError("应为关联记录的 id", "must be the id of a related record")
    return i


RELATION = FieldType(
    name="relation",
    options_schema={"to": {"type": "string", "minLength": 1}},
    required_options=("to",),
    column=lambda f: sa.BigInteger(),
    parse=_parse_relation,
    dump=_same,
    expr_type=lambda f: T.ANY,  # the compiler replaces it with the target entity's RecordType
    filter_ops=EQ_OPS,
    label={"zh": "关联记录", "en": "Relation"},
)


def kernel_field_types() -> FieldTypeRegistry:
    """A new registry with the kernel's basic field types."""
    return FieldTypeRegistry([TEXT, NUMBER, MONEY, DATE, DATETIME, BOOLEAN, SELECT, RELATION])
