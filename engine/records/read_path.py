"""The one read path: every get, list, search, picker and export builds its query here.

Read policies (the identity engine registers one) give a row filter and a set of hidden fields for
an actor; this module applies them to every query it builds, so no caller can forget them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import sqlalchemy as sa

from ..compiled import CompiledApp, CompiledEntity
from ..errors import NotFound, ValidationFailed, detail, msg
from ..titles import render_title
from .filters import filter_clause
from .paths import PathJoiner, Resolved

MAX_PAGE_SIZE = 500
MAX_SORT_KEYS = 10
SYSTEM_OUT = ("created_at", "created_by", "updated_at", "updated_by", "owner", "department", "version",
              "deleted_at")


@dataclass(frozen=True)
class ReadScope:
    """``where`` filters rows (None: all). ``hidden`` fields are never shown, filtered, sorted or
    searched on. With ``masks`` (condition, hidden fields) a row hides only the fields hidden by every
    condition that admits it: a field shows on a row if some role admitting the row shows it."""

    where: sa.ColumnElement | None = None
    hidden: frozenset[str] = frozenset()
    masks: tuple[tuple[sa.ColumnElement, frozenset[str]], ...] = ()

    def mask_columns(self) -> list[sa.ColumnElement]:
        return [sa.case((cond, 1), else_=0).label(f"_mask{i}") for i, (cond, _) in enumerate(self.masks)]

    def hidden_on(self, row) -> frozenset[str]:
        if not self.masks:
            return self.hidden
        admitting = [h for i, (_, h) in enumerate(self.masks) if row[f"_mask{i}"]]
        return frozenset.intersection(*admitting) if admitting else self.hidden


@dataclass
class ReadRequest:
    runtime: Any
    app: CompiledApp
    entity: CompiledEntity
    table: sa.FromClause
    actor: Any  # identity.actor.Actor


ReadPolicy = Callable[[ReadRequest], ReadScope]


@dataclass
class ListQuery:
    filters: dict[str, Any] = field(default_factory=dict)
    sort: list[str] = field(default_factory=list)
    page: int = 1
    page_size: int = 20
    q: str | None = None
    deleted: bool = False  # True lists the deleted records (to restore them)
    where: tuple = ()  # further SQL conditions over the entity's table (a relation field's filter)


class RecordReader:
    def __init__(self, runtime, app: CompiledApp, entity: CompiledEntity, actor) -> None:
        self.runtime, self.app, self.entity, self.actor = runtime, app, entity, actor
        self.table = runtime.table(app.name, entity.name)
        self.scope = runtime.read_scope(ReadRequest(runtime, app, entity, self.table, actor))

    # --- queries ---------------------------------------------------------------------------------
    def _base(self, joiner: PathJoiner, deleted: bool = False) -> list[sa.ColumnElement]:
        t = self.table
        conds = [t.c.deleted_at.is_not(None) if deleted else t.c.deleted_at.is_(None)]
        if self.scope.where is not None:
            conds.append(self.scope.where)
        return conds

    def get(self, record_id: int, *, include_deleted: bool = False, conn: sa.Connection | None = None) -> dict:
        t = self.table
        conds = [t.c.id == record_id]
        if not include_deleted:
            conds.append(t.c.deleted_at.is_(None))
        if self.scope.where is not None:
            conds.append(self.scope.where)
        with self.runtime.connect(conn) as c:
            row = c.execute(sa.select(t, *self.scope.mask_columns()).where(*conds)).mappings().first()
            if row is None:
                label = self.entity.label
                raise NotFound("record.E404", msg(f"{label.get('zh', self.entity.name)} {record_id} 不存在",
                                                  f"{label.get('en', self.entity.name)} {record_id} not found"))
            return self.dump([row], c)[0]

    def list(self, query: ListQuery, conn: sa.Connection | None = None) -> dict:
        if query.page < 1 or not 1 <= query.page_size <= MAX_PAGE_SIZE:
            raise ValidationFailed("query.E003", msg("分页参数有误", "invalid paging"),
                                   [detail("page_size", f"每页 1 到 {MAX_PAGE_SIZE} 条",
                                           f"page_size must be 1 to {MAX_PAGE_SIZE}")])
        if len(query.sort) > MAX_SORT_KEYS:  # SQLite refuses long ORDER BY lists; no one sorts by more
            raise ValidationFailed("query.E007", msg("排序字段过多", "too many sort keys"),
                                   [detail("sort", f"最多 {MAX_SORT_KEYS} 个排序字段",
                                           f"at most {MAX_SORT_KEYS} sort keys")])
        joiner = PathJoiner(self.runtime, self.app, self.entity, self.table, self.actor)
        conds = self._base(joiner, query.deleted)
        for path, spec in (query.filters or {}).items():
            resolved = joiner.resolve(path, where=f"filter.{path}")
            self._check_not_hidden(path, "filter")
            conds.append(filter_clause(resolved, spec, f"filter.{path}"))
        if query.q:
            conds.append(self._search_clause(joiner, query.q))
        conds.extend(query.where)
        order = []
        for key in query.sort or ["-id"]:
            desc = key.startswith("-")
            path = key.lstrip("-+")
            self._check_not_hidden(path, "sort")
            col = joiner.resolve(path, where="sort").column
            order.append(col.desc() if desc else col.asc())
        order.append(self.table.c.id.desc())
        src = joiner.select_from()
        with self.runtime.connect(conn) as c:
            total = c.execute(sa.select(sa.func.count()).select_from(src).where(*conds)).scalar_one()
            rows = c.execute(
                sa.select(self.table, *self.scope.mask_columns()).select_from(src).where(*conds).order_by(*order)
                .limit(query.page_size).offset((query.page - 1) * query.page_size)
            ).mappings().all()
            items = self.dump(rows, c)
        return {"items": items, "total": total, "page": query.page, "page_size": query.page_size}

    def _check_not_hidden(self, path: str, where: str) -> None:
        # filtering or sorting by a hidden field would reveal it one bit at a time
        if path.split(".")[0] in self.scope.hidden:
            raise ValidationFailed("query.E001", msg("查询条件有误", "invalid query"),
                                   [detail(where, f"未知字段 '{path}'", f"unknown field '{path}'")])

    def _search_clause(self, joiner: PathJoiner, q: str) -> sa.ColumnElement:
        paths = [p for p in self.entity.searchable if p[0] not in self.scope.hidden]
        if not paths:
            return sa.false()
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return sa.or_(*(joiner.resolve(p, where="q").column.ilike(pattern, escape="\\") for p in paths))

    # --- output ----------------------------------------------------------------------------------
    def dump(self, rows, conn: sa.Connection) -> list[dict]:
        """Rows in API form: system columns, visible fields, relations as {id, title}, and a title."""
        ent = self.entity
        rel_titles: dict[str, dict[int, str]] = {}
        for f in ent.fields:
            if f.relation_to:
                ids = {r[f.column_name] for r in rows if r[f.column_name] is not None}
                if ids:
                    target = self.app.entity(f.relation_to)
                    rel_titles[f.name] = readable_titles(self.runtime, self.app, target, ids, self.actor, conn)
        own_titles = titles(self.runtime, self.app, ent, [r["id"] for r in rows], self.actor, conn) if rows else {}
        extra: dict[str, dict[int, Any]] = {}  # values of fields kept outside the row (sub-tables...)
        ids = [r["id"] for r in rows]
        for f in ent.fields:
            if not ids or f.name in self.scope.hidden:
                continue
            if not f.stored and f.ftype.load_values is not None:
                stored = f.ftype.load_values(self.runtime, self.app, ent, f, ids, conn)
            elif f.ftype.api_values is not None:
                stored = {r["id"]: r[f.column_name] for r in rows}
            else:
                continue
            if f.ftype.api_values is not None:
                extra[f.name] = f.ftype.api_values(self, f, stored, conn)
            else:
                extra[f.name] = {i: f.dump(v) for i, v in stored.items()}
        out = []
        for r in rows:
            hidden = self.scope.hidden_on(r)
            title = own_titles.get(r["id"], "")
            if any(p[0] in hidden for p in ent.title_paths):
                title = f"#{r['id']}"  # the title would show a field hidden on this row
            d: dict[str, Any] = {"id": r["id"], "title": title}
            for f in ent.fields:
                if f.name in hidden:
                    continue
                if f.name in extra:
                    d[f.name] = extra[f.name].get(r["id"])
                    continue
                if not f.stored:
                    continue
                v = r[f.column_name]
                if f.relation_to:
                    # a related record the reader may not read shows as its id alone
                    d[f.name] = None if v is None else {"id": v, "title": rel_titles[f.name].get(v)}
                else:
                    d[f.name] = f.dump(v)
            for s in SYSTEM_OUT:
                if s in hidden:  # a record granted by an engine shows only the fields granted
                    continue
                v = r[s]
                d[s] = v.isoformat() + "Z" if hasattr(v, "isoformat") else v
            out.append(d)
        return out


def readable_titles(runtime, app: CompiledApp, entity: CompiledEntity, ids, actor, conn) -> dict[int, str]:
    """Titles of the records among ``ids`` that ``actor`` may read; the others are left out."""
    table = runtime.table(app.name, entity.name)
    scope = runtime.read_scope(ReadRequest(runtime, app, entity, table, actor))
    if scope.masks and any(p[0] in scope.hidden for p in entity.title_paths):
        # per row: a record whose title some admitting role (or grant) shows keeps it
        rows = conn.execute(sa.select(table.c.id, *scope.mask_columns()).where(
            table.c.id.in_(list(ids)), *(() if scope.where is None else (scope.where,)))).mappings().all()
        blind = {r["id"] for r in rows if any(p[0] in scope.hidden_on(r) for p in entity.title_paths)}
        shown = titles(runtime, app, entity, [r["id"] for r in rows if r["id"] not in blind], actor, conn)
        return {r["id"]: f"#{r['id']}" if r["id"] in blind else shown.get(r["id"], "") for r in rows}
    if scope.where is not None:
        ids = list(conn.execute(sa.select(table.c.id).where(table.c.id.in_(list(ids)), scope.where)).scalars())
    if any(p[0] in scope.hidden for p in entity.title_paths):
        return {i: f"#{i}" for i in ids}  # the title would show a hidden field
    return titles(runtime, app, entity, ids, actor, conn)


def titles(runtime, app: CompiledApp, entity: CompiledEntity, ids, actor, conn: sa.Connection) -> dict[int, str]:
    """Each record's title from its template (``{number} {customer.name}``); paths join relations,
    and a part the actor may not read (an unreadable related record, a hidden field) shows blank."""
    ids = list(ids)
    if not ids:
        return {}
    table = runtime.table(app.name, entity.name)
    if not entity.title_paths:
        return {i: f"{entity.label.get('en', entity.name)} #{i}" for i in ids}
    joiner = PathJoiner(runtime, app, entity, table, actor)
    cols = []
    for p in entity.title_paths:
        try:
            cols.append(joiner.resolve(p, where="title"))
        except ValidationFailed:  # hidden from this actor
            cols.append(Resolved(sa.null(), None, "text"))
    q = sa.select(table.c.id, *(c.column.label(f"p{i}") for i, c in enumerate(cols))).select_from(
        joiner.select_from()).where(table.c.id.in_(ids))
    out = {}
    for row in conn.execute(q):
        out[row[0]] = render_title(entity.title, lambda n, row=row: _shown(row[n + 1], cols[n]))
    return out


def _shown(v, res) -> str:
    if v is None:
        return ""
    return str(res.field.dump(v) if res.field is not None else v)
