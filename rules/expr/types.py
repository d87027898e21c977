"""Static types of the expression language, checked when a definition loads.

Field types of the platform map onto these (the kernel's field-type registry says which): a money
field is MONEY, a select is SELECT (text-like), a relation is a RecordType, a sub-table column a
ListType. ANY accepts and is accepted by everything (used for JSON data of unknown shape).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping


@dataclass(frozen=True)
class Type:
    name: str

    def __str__(self) -> str:
        return self.name


TEXT = Type("text")
NUMBER = Type("number")
MONEY = Type("money")
PERCENT = Type("percent")
BOOLEAN = Type("boolean")
DATE = Type("date")
DATETIME = Type("datetime")
TIME = Type("time")
SELECT = Type("select")
USER = Type("user")  # a user id; CURRENT_USER() returns a RecordType instead
BLANK = Type("blank")  # the type of a literal nothing; fits anywhere
ERROR = Type("error")  # an expression known to yield an error value
ANY = Type("any")

NUMERIC = frozenset({NUMBER, MONEY, PERCENT})
TEXTUAL = frozenset({TEXT, SELECT, USER})
TEMPORAL = frozenset({DATE, DATETIME})


@dataclass(frozen=True)
class ListType(Type):
    """A sub-table column or any list: ``lines.subtotal`` is ListType(MONEY)."""

    item: Type = ANY

    def __init__(self, item: Type) -> None:
        object.__setattr__(self, "name", f"list<{item.name}>")
        object.__setattr__(self, "item", item)


@dataclass(frozen=True, eq=False)
class RecordType(Type):
    """A record reachable by a path (``customer``, ``CURRENT_USER()``). ``fields`` may be a lazy
    mapping (a callable returning one) so recursive shapes (user -> department -> head -> user)
    need no infinite structure. Equality is by entity name."""

    entity: str = ""
    _fields: Mapping[str, Type] | Callable[[], Mapping[str, Type]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)  # label -> field name, for {braces}

    def __init__(self, entity: str, fields, labels: Mapping[str, str] | None = None) -> None:
        object.__setattr__(self, "name", f"record<{entity}>")
        object.__setattr__(self, "entity", entity)
        object.__setattr__(self, "_fields", fields)
        object.__setattr__(self, "labels", labels or {})

    @property
    def fields(self) -> Mapping[str, Type]:
        f = self._fields
        return f() if callable(f) else f

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecordType) and other.entity == self.entity

    def __hash__(self) -> int:
        return hash(("record", self.entity))


def is_numeric(t: Type) -> bool:
    return t in NUMERIC


def is_textual(t: Type) -> bool:
    return t in TEXTUAL


def fits(actual: Type, expected: Type) -> bool:
    """May a value of type ``actual`` be passed where ``expected`` is asked for? Excel coerces
    freely (numbers act as logicals, numeric text as numbers), so this only rejects what can never
    make sense: a record where a scalar is wanted, a list where a scalar is wanted, and the reverse
    where a list is required."""
    if actual in (ANY, BLANK, ERROR) or expected is ANY:
        return True
    if isinstance(expected, ListType):
        return isinstance(actual, ListType) and fits(actual.item, expected.item)
    if isinstance(actual, (ListType, RecordType)) or isinstance(expected, RecordType):
        return actual == expected
    return True
