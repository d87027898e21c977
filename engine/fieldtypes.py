"""The field-type registry: what each kind of field stores, accepts, shows and can be filtered by.

The kernel registers the basic types here; the form engine extends a registry with its own (rich
text, attachments, sub-tables, formulas...). A registry is an object passed to the loader and the
compiler, never a module-level global.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
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


MAX_ID = 2**63 - 1  # ids are 64-bit integers
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def text_problem(s: str) -> dict[str, str] | None:
    """The message for text no database stores alike (issue 11 item 8), else None: PostgreSQL
    refuses NUL in text, and UTF-8 cannot encode a lone surrogate (``"\\ud800"`` in JSON)."""
    m = _BAD_TEXT.search(s)
    if m is None:
        return None
    if m.group() == "\x00":
        return {"zh": "文本不能包含 NUL 字符 (\\u0000)", "en": "text cannot contain the NUL character (\\u0000)"}
    return {"zh": "文本不能包含孤立的代理字符 (如 \\ud800)",
            "en": "text cannot contain a lone surrogate (such as \\ud800)"}


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
    # text input (an import cell, a CSV value) -> stored value; None: ``parse`` takes the text as is
    parse_text: Callable[[Mapping[str, Any], str], Any] | None = None
    # stored value -> what a person reads (exports, print, titles) in "zh" or "en"; None: str(dump)
    display: Callable[[Mapping[str, Any], Any, str], str] | None = None
    # the JSON Schema of the API input for a field of this type; None: no constraint
    json_schema: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None
    # a value the engine computed -> rounded as the field stores it (``parse`` refuses what a person
    # types with more decimals than the field holds; computed values are rounded instead)
    round_value: Callable[[Mapping[str, Any], Any], Any] | None = None
    stored: bool = True  # False: no column of its own (a sub-table keeps its rows in a table)
    computed: bool = False  # the engine computes the value (formula, rollup, lookup, autonumber)
    references_core: str | None = None  # "user" or "department": the value is the id of one
    # (definition, column, op, value) -> a condition for a list filter, or None to leave the operator to
    # the generic code; for values the generic operators cannot compare (a multi-select's list)
    filter_clause: Callable[[Mapping[str, Any], Any, str, Any], Any] | None = None
    # Hooks for types whose shape depends on the app (a formula's result, a lookup's target field) or
    # that keep their values elsewhere (a sub-table's rows). All optional; see engine/compiled.py.
    column_for: Callable[[Any, Any], sa.types.TypeEngine] | None = None  # (app, field) -> column type
    expr_type_for: Callable[[Any, Any], T.Type] | None = None  # (app, field) -> expression type
    tables_for: Callable[[Any, Any, Any, sa.MetaData], dict] | None = None  # (app, entity, field, md)
    # (runtime, app, entity, field, ids, conn) -> {id: stored value} for a type with no column
    load_values: Callable[..., dict] | None = None
    # (reader, field, {id: stored value}, conn) -> {id: API value}, when dump alone cannot say it
    api_values: Callable[..., dict] | None = None
    # definition -> what its options_schema cannot say, as (code, path inside the field, zh, en);
    # the bundle checker reports each with its file and line
    check_definition: Callable[[Mapping[str, Any]], Iterable[tuple[str, tuple, str, str]]] | None = None

    def references_entity(self, field_def: Mapping[str, Any]) -> str | None:
        return field_def.get("to") if self.name == "relation" else None

    def from_text(self, field_def: Mapping[str, Any], text: str) -> Any:
        if type(text) is str:  # an import cell: refused like a JSON value (issue 11 item 8)
            bad = text_problem(text)
            if bad is not None:
                raise FieldValueError(bad["zh"], bad["en"])
        if self.parse_text is not None:
            return self.parse_text(field_def, text)
        return self.parse(field_def, text)

    def show(self, field_def: Mapping[str, Any], value: Any, lang: str = "zh") -> str:
        if value is None:
            return ""
        if self.display is not None:
            return self.display(field_def, value, lang)
        dumped = self.dump(field_def, value)
        return "" if dumped is None else str(dumped)

    def input_schema(self, field_def: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.json_schema(field_def) if self.json_schema is not None else {}


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


# --- text input, display and input schemas of the kernel's types ------------------------------------
# What an import cell or a CSV value may hold is looser than the API (thousands separators, 是/否,
# 2026年1月5日); what a person reads in an export or a printout is the value as they would write it,
# so that text parses back to the same value.
_CURRENCY_MARKS = ("¥", "$", "€", "£", "元", "RMB", "CNY", "USD", "EUR")


def _number_text(f, text: str) -> str:
    """``¥1,234.50`` -> ``1234.50``: full-width forms folded, currency marks, spaces and thousands
    separators dropped, an accounting ``(12.00)`` made negative."""
    s = unicodedata.normalize("NFKC", text).strip()
    marks = (*_CURRENCY_MARKS, f["currency"]) if f.get("currency") else _CURRENCY_MARKS
    sign = ""
    if s[:1] in ("-", "+"):
        sign, s = s[0], s[1:].lstrip()
    for mark in marks:  # a mark before or after the number, never inside it
        if s.upper().startswith(mark):
            s = s[len(mark):].lstrip()
        if s.upper().endswith(mark):
            s = s[: -len(mark)].rstrip()
    s = sign + re.sub(r"[\s,_']", "", s)
    if s.startswith("(") and s.endswith(")"):
        s = "-" + s[1:-1]
    return s


def _decimal_from_text(parse):
    def from_text(f, text):
        return parse(f, _number_text(f, text) if isinstance(text, str) else text)

    return from_text


def plain_decimal(d: Decimal) -> str:
    """A decimal as a person writes it: no exponent, no trailing zeros (1.50 -> 1.5, 1E+2 -> 100)."""
    if d == 0:
        return "0"
    n = d.normalize()
    return format(n, "f")


def _show_number(f, v, lang):
    if "precision" in f:  # the places the designer asked for
        return format(v, f".{f['precision']}f")
    return plain_decimal(v)


def _show_money(f, v, lang):
    return format(v, f",.{f.get('precision', MONEY_DEFAULT_PLACES)}f")


def _number_schema(f):
    s: dict = {"type": ["number", "string", "null"]}
    if "min" in f:
        s["minimum"] = f["min"]
    if "max" in f:
        s["maximum"] = f["max"]
    return s


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MIDNIGHT = re.compile(r"[ T]0?0:00(?::00(?:\.0+)?)?$")


def _date_parts(text: str) -> dt.date | None:
    m = _DATE_TEXT.match(text) or _COMPACT_DATE.match(text)
    if m is None:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _date_from_text(f, text):
    """2026-01-05, 2026/1/5, 2026.1.5, 2026年1月5日, 20260105; a spreadsheet's midnight time is dropped."""
    if not isinstance(text, str):
        return _parse_date(f, text)
    s = _MIDNIGHT.sub("", unicodedata.normalize("NFKC", text).strip())
    if s == "":
        return None
    d = _date_parts(s)
    if d is None:
        raise FieldValueError(f"不是有效的日期: {text}（例如 2026-01-05、2026/1/5、2026年1月5日）",
                              f"is not a valid date: {text} (e.g. 2026-01-05, 2026/1/5)")
    return d


_DATETIME_TEXT = re.compile(
    r"^(?P<date>.+?)(?:[ T]+(?P<h>\d{1,2})[:时点](?P<m>\d{1,2})(?:[:分](?P<s>\d{1,2})秒?)?分?)?"
    r"\s*(?P<zone>Z|UTC|[+-]\d{2}:?\d{2})?$", re.IGNORECASE)


def _datetime_from_text(f, text):
    """``2026-01-05 09:30``, ``2026/1/5 9:30:15``, ``2026年1月5日 9时30分``, ISO 8601; ``UTC``, ``Z`` or an
    offset may follow. Without a zone the time is taken as UTC, as the API does."""
    if not isinstance(text, str):
        return _parse_datetime(f, text)
    s = unicodedata.normalize("NFKC", text).strip()
    if s == "":
        return None
    try:
        return _parse_datetime(f, s)  # ISO 8601 as the API takes it
    except FieldValueError:
        pass
    m = _DATETIME_TEXT.match(s)
    d = _date_parts(m.group("date").strip()) if m else None
    if m is None or d is None:
        raise FieldValueError(f"不是有效的日期时间: {text}（例如 2026-01-05 09:30）",
                              f"is not a valid date and time: {text} (e.g. 2026-01-05 09:30)")
    try:
        t = dt.time(int(m.group("h") or 0), int(m.group("m") or 0), int(m.group("s") or 0))
    except ValueError:
        raise FieldValueError(f"时间不正确: {text}", f"the time is not valid: {text}") from None
    zone = (m.group("zone") or "").upper()
    tz = dt.timezone.utc
    if zone not in ("", "Z", "UTC"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return _parse_datetime(f, dt.datetime.combine(d, t, tzinfo=tz))


def _show_datetime(f, v, lang):
    """UTC unless the caller passes an aware value in the reader's zone, which then shows its offset."""
    if v.tzinfo is None:
        return v.strftime("%Y-%m-%d %H:%M:%S") + " UTC"
    off = v.strftime("%z")
    return v.strftime("%Y-%m-%d %H:%M:%S ") + f"{off[:3]}:{off[3:]}"


_TRUE_TEXT = frozenset({"是", "true", "1", "yes", "y", "t", "真", "对", "√", "✓", "✔"})
_FALSE_TEXT = frozenset({"否", "false", "0", "no", "n", "f", "假", "错", "×", "✗", "✘"})


def _bool_from_text(f, text):
    if not isinstance(text, str):
        return _parse_bool(f, text)
    s = unicodedata.normalize("NFKC", text).strip().casefold()
    if s == "":
        return None
    if s in _TRUE_TEXT:
        return True
    if s in _FALSE_TEXT:
        return False
    raise FieldValueError(f"应为 是/否: {text}", f"must be yes or no (是/否, true/false, 1/0): {text}")


def _show_bool(f, v, lang):
    return ("是" if v else "否") if lang == "zh" else ("Yes" if v else "No")


def option_by_text(options, text: str) -> Mapping[str, Any] | None:
    """The option a person meant by ``text``: its value, else its Chinese or English label, else either
    ignoring case and width (a spreadsheet may hold ``vip`` for ``VIP``)."""
    options = list(options or ())
    for o in options:
        if o["value"] == text:
            return o
    for o in options:
        if text in (o.get("label") or {}).values():
            return o
    folded = unicodedata.normalize("NFKC", text).strip().casefold()
    for o in options:
        names = [o["value"], *(o.get("label") or {}).values()]
        if any(unicodedata.normalize("NFKC", str(n)).strip().casefold() == folded for n in names):
            return o
    return None


def option_label(options, value: Any, lang: str) -> str:
    """The label of the option ``value`` in ``lang`` (the value itself when no option has it)."""
    for o in options or ():
        if o["value"] == value:
            label = o.get("label") or {}
            return str(label.get(lang) or label.get("zh") or value)
    return str(value)


def _select_from_text(f, text):
    if not isinstance(text, str):
        return _parse_select(f, text)
    if text.strip() == "":
        return None
    o = option_by_text(f.get("options"), text)
    return _parse_select(f, o["value"] if o is not None else text.strip())


def _show_select(f, v, lang):
    return option_label(f.get("options"), v, lang)


def _select_schema(f):
    return {"type": ["string", "null"], "enum": [*(o["value"] for o in f.get("options", ())), None]}


RELATION_INPUT_SCHEMA = {
    "oneOf": [
        {"type": "integer", "minimum": 1},
        {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer", "minimum": 1}}},
        {"type": "null"},
    ]
}


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
    json_schema=lambda f: {"type": ["string", "null"], "maxLength": f.get("max_length", DEFAULT_TEXT_LENGTH)},
)


# --- number and money ------------------------------------------------------------------------------
def round_half_up(d: Decimal, places: int) -> Decimal:
    """Half away from zero to ``places`` decimals: how computed values are stored."""
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def within_places(d: Decimal, places: int, shown: int | None = None) -> Decimal:
    """A typed value at the field's precision, never rounded silently: 800.005 in a field of 2
    places is refused (issue 11 item 19), 800.000 is 800.00. ``shown``: the places a person counts
    (a percent's percentage has two fewer than its stored fraction)."""
    q = round_half_up(d, places)
    if q != d:
        n = places if shown is None else shown
        raise FieldValueError(f"最多 {n} 位小数", f"at most {n} decimal places")
    return q


def float_value(v: float) -> str:
    """A float (an xlsx cell) as the number a spreadsheet shows: 15 significant digits, so a cell
    holding 0.1 + 0.2 is 0.3 and not 0.30000000000000004."""
    return format(v, ".15g")


def _decimal_parser(default_places: int):
    def parse(f, v):
        if v is None or v == "":
            return None
        if isinstance(v, bool):
            raise FieldValueError("应为数字", "must be a number")
        if isinstance(v, float):
            v = float_value(v)
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
        return within_places(d, places)

    return parse


def _decimal_rounder(default_places: int):
    def round_value(f, v):
        return round_half_up(v, f.get("precision", default_places)) if isinstance(v, Decimal) else v

    return round_value


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
    parse_text=_decimal_from_text(_decimal_parser(NUMBER_DEFAULT_PLACES)),
    display=_show_number,
    json_schema=_number_schema,
    round_value=_decimal_rounder(NUMBER_DEFAULT_PLACES),
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
    parse_text=_decimal_from_text(_decimal_parser(MONEY_DEFAULT_PLACES)),
    display=_show_money,
    json_schema=_number_schema,
    round_value=_decimal_rounder(MONEY_DEFAULT_PLACES),
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
    parse_text=_date_from_text,
    display=lambda f, v, lang: v.isoformat(),
    json_schema=lambda f: {"type": ["string", "null"], "format": "date"},
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
    parse_text=_datetime_from_text,
    display=_show_datetime,
    json_schema=lambda f: {"type": ["string", "null"], "format": "date-time"},
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
    parse_text=_bool_from_text,
    display=_show_bool,
    json_schema=lambda f: {"type": ["boolean", "null"]},
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
                    "visible_if": {"type": "string", "minLength": 1,
                                   "description": "Offered only when this expression holds for the record."},
                    "renamed_from": {"type": "string", "minLength": 1, "maxLength": 64,
                                     "description": "The value this option had before: an upgrade gives "
                                                    "the records holding it the new value."},
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
    parse_text=_select_from_text,
    display=_show_select,
    json_schema=_select_schema,
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
    if not 0 < i <= MAX_ID or (isinstance(v, (Decimal, float)) and i != v):
        raise FieldValueError("应为关联记录的 id", "must be the id of a related record")
    return i


RELATION = FieldType(
    name="relation",
    options_schema={"to": {"type": "string", "minLength": 1},
                    "filter": {"type": "string", "minLength": 1,
                               "description": "Only target records passing this expression over the target's "
                                              "fields may be chosen (picker, saves, imports): \"active = TRUE\"."}},
    required_options=("to",),
    column=lambda f: sa.BigInteger(),
    parse=_parse_relation,
    dump=_same,
    expr_type=lambda f: T.ANY,  # the compiler replaces it with the target entity's RecordType
    filter_ops=EQ_OPS,
    label={"zh": "关联记录", "en": "Relation"},
    json_schema=lambda f: RELATION_INPUT_SCHEMA,
)


def kernel_field_types() -> FieldTypeRegistry:
    """A new registry with the kernel's basic field types."""
    return FieldTypeRegistry([TEXT, NUMBER, MONEY, DATE, DATETIME, BOOLEAN, SELECT, RELATION])
