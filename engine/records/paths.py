"""Relation paths in SQL: ``customer.owner_name`` becomes a column of an aliased LEFT JOIN.

One joiner per query: each distinct path prefix gets one alias, so filtering and sorting on the same
relation share a join.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..compiled import CompiledEntity, CompiledField
from ..errors import ValidationFailed, detail

# system columns a filter or sort may name, with the field-type name that describes them
SYSTEM_FIELD_TYPES = {"id": "number", "created_at": "datetime", "updated_at": "datetime", "version": "number",
                      "owner": "number", "created_by": "number", "updated_by": "number",
                      "department": "number", "deleted_at": "datetime"}


@dataclass
class Resolved:
    column: sa.ColumnElement
    field: CompiledField | None  # None for a system column
    type_name: str


@dataclass
class PathJoiner:
    runtime: object
    app: object
    entity: CompiledEntity
    table: sa.Table
    actor: object = None  # when set, every related record joined must be readable by this actor
    _aliases: dict[tuple[str, ...], sa.Table] = field(default_factory=dict)
    _joins: list[tuple[sa.Table, sa.ColumnElement]] = field(default_factory=list)
    _hidden: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict)

    def resolve(self, path: str | tuple[str, ...], *, where: str = "filter") -> Resolved:
        """The column of a path. Through a relation, a related record the actor may not read joins
        as nothing, and a field hidden from them there is unknown, so no path reveals either."""
        parts = tuple(path.split(".")) if isinstance(path, str) else path
        entity, table = self.entity, self.table
        for i, name in enumerate(parts):
            last = i == len(parts) - 1
            if i > 0 and name in self._hidden.get(parts[:i], ()):
                raise ValidationFailed("query.E001", _unknown(".".join(parts)),
                                       [detail(where, f"未知字段 '{'.'.join(parts)}'",
                                               f"unknown field '{'.'.join(parts)}'")])
            f = entity.field(name)
            if f is None and name in SYSTEM_FIELD_TYPES and last:
                return Resolved(table.c[name], None, SYSTEM_FIELD_TYPES[name])
            if f is None:
                raise ValidationFailed("query.E001", _unknown(".".join(parts)),
                                       [detail(where, f"未知字段 '{'.'.join(parts)}'",
                                               f"unknown field '{'.'.join(parts)}'")])
            if last:
                return Resolved(table.c[f.column_name], f, f.type_name)
            if not f.relation_to:
                raise ValidationFailed("query.E002", _unknown(".".join(parts)),
                                       [detail(where, f"'{name}' 不是关联字段", f"'{name}' is not a relation")])
            prefix = parts[: i + 1]
            alias = self._aliases.get(prefix)
            target = self.app.entity(f.relation_to)
            if alias is None:
                alias = self.runtime.table(self.app.name, target.name).alias(f"j{len(self._aliases)}")
                self._aliases[prefix] = alias
                on = alias.c.id == table.c[f.column_name]
                if self.actor is not None:
                    from .read_path import ReadRequest

                    scope = self.runtime.read_scope(ReadRequest(self.runtime, self.app, target, alias, self.actor))
                    if scope.where is not None:
                        on = sa.and_(on, scope.where)
                    self._hidden[prefix] = scope.hidden
                self._joins.append((alias, on))
            entity, table = target, alias
        raise ValidationFailed("query.E001", _unknown(".".join(parts)))  # empty path

    def select_from(self) -> sa.FromClause:
        src: sa.FromClause = self.table
        for alias, on in self._joins:
            src = src.outerjoin(alias, on)
        return src


def _unknown(path: str) -> dict[str, str]:
    return {"zh": f"查询条件有误: {path}", "en": f"invalid query: {path}"}
