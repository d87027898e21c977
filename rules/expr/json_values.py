"""JSON at the edges of the language: data given as JSON becomes runtime values and a scope
(``infer_scope``), results become JSON (``to_json_value``, ``dumps``) with numbers in their exact
shortest decimal form, never through float."""
from __future__ import annotations

import datetime as _dt
import json
import re
from decimal import Decimal
from typing import Any, Mapping

from .types import ANY, BOOLEAN, DATE, DATETIME, NUMBER, TEXT, ListType, RecordType, Type
from .values import NUM, ExcelError, number_to_text, to_decimal

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DATETIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?\Z")
_LISTS = (list, tuple)
_MIXED = Type("any")  # ANY for values seen to disagree; kept apart from "unknown" (null) while merging


def parse_temporal(s: str) -> _dt.date | _dt.datetime | None:
    """"YYYY-MM-DD" as a date, an ISO date-time as a naive datetime (an offset is dropped: the
    language's datetimes are wall-clock times of the evaluation's zone); anything else None."""
    if len(s) == 10 and _DATE_RE.match(s):
        try:
            return _dt.date.fromisoformat(s)
        except ValueError:
            return None
    if 16 <= len(s) <= 32 and _DATETIME_RE.match(s):
        try:
            return _dt.datetime.fromisoformat(s).replace(tzinfo=None)
        except ValueError:
            return None
    return None


def from_json(v: Any) -> Any:
    """A JSON value (as json.loads gives it, numbers ideally already Decimal) as a runtime value:
    numbers Decimal, date strings dates, objects Mappings, lists tuples."""
    t = type(v)
    if t is str:
        d = parse_temporal(v) if len(v) >= 10 and v[:1].isdigit() else None
        return v if d is None else d
    if t is Decimal or v is None or t is bool:
        return v
    if t is dict:
        return {k: from_json(x) for k, x in v.items()}
    if t in _LISTS:
        return tuple(from_json(x) for x in v)
    if t in (int, float):
        d = to_decimal(v)
        return d if d.is_finite() else NUM  # inf and nan are no numbers of the language
    return v


def infer_scope(data: Mapping[str, Any], entity: str = "data") -> RecordType:
    """The RecordType of JSON data: numbers NUMBER, "YYYY-MM-DD" DATE, ISO date-times DATETIME,
    booleans BOOLEAN, null ANY, objects nested RecordTypes, lists of objects ListType(RecordType).
    Keys serve as field names (braces reach keys that are not identifiers)."""
    return RecordType(entity, {k: type_of(v, f"{entity}.{k}") for k, v in data.items()})


def type_of(v: Any, entity: str) -> Type:
    t = type(v)
    if t is bool:
        return BOOLEAN
    if t in (Decimal, int, float):
        return NUMBER
    if t is str:
        d = parse_temporal(v)
        if d is None:
            return TEXT
        return DATETIME if type(d) is _dt.datetime else DATE
    if t is _dt.datetime:
        return DATETIME
    if t is _dt.date:
        return DATE
    if isinstance(v, Mapping):
        return infer_scope(v, entity)
    if t in _LISTS:
        return ListType(_item_type(v, entity))
    return ANY


def _item_type(items: Any, entity: str) -> Type:
    """One type for all of a list's items (objects merge their fields); blanks say nothing."""
    t: Type | None = None
    for x in items:
        if x is not None:
            xt = type_of(x, entity)
            t = xt if t is None else _merge(t, xt)
    return ANY if t is None else t


def _merge(a: Type, b: Type) -> Type:
    """The type of values that are sometimes ``a`` and sometimes ``b``: records merge their fields,
    disagreeing kinds are ANY. Depends on the set of item types only, not on their order."""
    if isinstance(a, RecordType) and isinstance(b, RecordType):
        fa, fb = a.fields, b.fields
        merged = {k: (_merge(fa[k], fb[k]) if k in fa and k in fb else fa.get(k, fb.get(k)))
                  for k in {**fa, **fb}}
        return RecordType(a.entity, merged)
    if isinstance(a, ListType) and isinstance(b, ListType):
        return ListType(_merge(a.item, b.item))
    if a is _MIXED or b is _MIXED:
        return _MIXED
    if a is ANY or b is ANY:  # null (or an empty list's items) says nothing about the kind
        return a if b is ANY else b
    return a if a == b else _MIXED


def shape_of(v: Any) -> Any:
    """A hashable summary of a JSON value's shape: equal shapes infer equal scopes, so a compiled
    expression may be reused for them (a sub-table's length does not matter, its items' shapes do)."""
    t = type(v)
    if t is dict:
        return tuple((k, shape_of(x)) for k, x in v.items())
    if t in _LISTS:
        return ("[", frozenset(shape_of(x) for x in v if x is not None))
    if t is str:
        d = parse_temporal(v) if len(v) >= 10 and v[:1].isdigit() else None
        return str if d is None else type(d)
    if t in (int, float):
        return Decimal
    return t


MISSING = "missing"  # the shape of a key the data does not have


def paths_trie(paths: Any) -> dict:
    """Read paths as a trie: {("lines", "subtotal"), ("amount",)} -> {"lines": {"subtotal": {}},
    "amount": {}}.
    An empty node means the whole value is read (a record passed to a function, say)."""
    trie: dict = {}
    for path in sorted(paths, key=len):
        node = trie
        for i, name in enumerate(path):
            if name in node and not node[name] and i < len(path):
                break  # a shorter path already reads this value whole
            node = node.setdefault(name, {})
    return trie


def project(data: Mapping[str, Any], trie: Mapping[str, Any]) -> tuple[dict, tuple]:
    """The runtime record and the shape of ``data`` restricted to what an expression reads (``trie``).
    An expression never looks past its read paths, so converting and shaping only them changes
    nothing but the cost."""
    record: dict = {}
    shape: list = []
    for key, sub in trie.items():
        if key not in data:
            shape.append((key, MISSING))
            continue
        v = data[key]
        t = type(v)
        if sub and t is dict:
            x, s = project(v, sub)
        elif sub and t is list:
            items = [project(i, sub) if type(i) is dict else (from_json(i), shape_of(i)) for i in v]
            x = tuple(i[0] for i in items)
            s = ("[", frozenset(i[1] for i in items if i[0] is not None))
        elif t is str:
            d = parse_temporal(v) if len(v) >= 10 and v[:1].isdigit() else None
            x, s = (v, str) if d is None else (d, type(d))
        elif t is Decimal or t is bool or v is None:
            x, s = v, t
        else:
            x, s = from_json(v), shape_of(v)
        record[key] = x
        shape.append((key, s))
    return record, tuple(shape)


# --- results ----------------------------------------------------------------------------------------

def to_json_value(v: Any) -> Any:
    """A runtime value as JSON-able Python: numbers as Decimals whose str() is their shortest exact
    form (1.50 -> 1.5, 1E+2 -> 100), dates "YYYY-MM-DD", datetimes ISO, blank None, errors their
    text ("#DIV/0!"), lists lists, records dicts. ``dumps`` writes it without going through float."""
    t = type(v)
    if t is Decimal:
        return shortest(v)
    if v is None or t is str or t is bool:
        return v
    if t is ExcelError:
        return v.code
    if t is _dt.datetime:
        return v.isoformat(timespec="seconds") if not v.microsecond else v.isoformat()
    if t is _dt.date:
        return v.isoformat()
    if t is _dt.time:
        return v.isoformat(timespec="seconds") if not v.microsecond else v.isoformat()
    if t in _LISTS:
        return [to_json_value(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): to_json_value(x) for k, x in v.items()}
    if t in (int, float):
        return shortest(to_decimal(v))
    return str(v)


def shortest(d: Decimal) -> Decimal:
    """The same number with no trailing zeros and, when it fits, no exponent (str() prints it so)."""
    if not d.is_finite():
        return d
    return Decimal(number_to_text(d))


def dumps(v: Any) -> str:
    """JSON text of a value, either a runtime value or a to_json_value result (the same rules apply):
    numbers in their shortest exact form written as their own digits, never through float."""
    t = type(v)
    if t is str:
        return json.dumps(v, ensure_ascii=False)
    if t is Decimal:
        return number_to_text(v) if v.is_finite() else "null"
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is ExcelError:
        return '"' + v.code + '"'
    if t in _LISTS:
        return "[" + ", ".join(dumps(x) for x in v) + "]"
    if isinstance(v, Mapping):
        items = (json.dumps(str(k), ensure_ascii=False) + ": " + dumps(x) for k, x in v.items())
        return "{" + ", ".join(items) + "}"
    return dumps(to_json_value(v))
