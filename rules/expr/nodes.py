"""The checked tree: what the parser and type checker produce and every backend consumes.

The Python backend (compile_py) and the SQL backend (sql_backend) both walk these nodes; neither
re-parses text. Every node carries its static type and where it stands in the source, so a backend
that cannot handle a node can point at it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .types import Type


@dataclass(frozen=True)
class Pos:
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Node:
    type: Type
    pos: Pos | None


@dataclass(frozen=True)
class Literal(Node):
    value: Any  # Decimal, str, bool or None (blank)


@dataclass(frozen=True)
class FieldRef(Node):
    """A field of the scope, possibly through relations and into a sub-table column.

    ``path`` is the chain of field names from the scope (``("customer", "credit_limit")``); a step
    into a list-typed field maps the rest of the path over its items, so ``("lines", "subtotal")``
    has a ListType. ``list_from`` is the index of the first list step, or None."""

    path: tuple[str, ...]
    list_from: int | None = None


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-", "+" or "%" (postfix percent)
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str  # + - * / ^ & = <> < <= > >=  ("==" and "!=" are normalised to "=" and "<>")
    left: Node
    right: Node


@dataclass(frozen=True)
class Call(Node):
    """A function call; the words AND/OR/NOT become calls of the functions of the same name."""

    name: str  # upper-case registry name
    args: tuple[Node, ...]


@dataclass(frozen=True)
class PathOn(Node):
    """A path followed on a record-valued expression: ``CURRENT_USER().department.head``."""

    base: Node
    path: tuple[str, ...]


def walk(node: Node):
    """Every node of a tree, parents before children."""
    yield node
    if isinstance(node, Unary):
        yield from walk(node.operand)
    elif isinstance(node, Binary):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, Call):
        for a in node.args:
            yield from walk(a)
    elif isinstance(node, PathOn):
        yield from walk(node.base)
