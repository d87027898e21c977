"""Values for expressions: a record's field values as the expression language reads them.

Related records are loaded only as deep as some expression of the scope reads (``customer.owner``
loads the customer; ``customer.region.manager`` one more level), one query per relation per batch.

Computation reads only what the writer may read: a related record outside the writer's read scope
loads as nothing, so it gives blank to every formula, lookup, default and rule (and the kernel's
check_relations still says "missing" when the link is new). Fields hidden from the writer on a
related row are named in the record under ``HIDDEN``: defaults, which copy a value into a field the
writer sees, read them as blank (``masked``); computed values read them whole and are hidden from
the writer on every read path themselves (engine/identity/derived_hidden.py). The system
(recomputation after a source changed) reads everything.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Iterable

import sqlalchemy as sa

from engine.compiled import SYSTEM_FIELD_TYPES, CompiledApp, CompiledEntity
from rules.expr import EvalContext
from rules.expr import types as T

SYSTEM_NUMBERS = tuple(k for k, t in SYSTEM_FIELD_TYPES.items() if t == T.NUMBER)


HIDDEN = "\0hidden"  # in a related record: the names hidden from the writer on that row (no field is named so)


class RelatedLoader:
    """Loads related records by id for one batch, keeping what it loaded; as ``actor`` may read them
    (rows outside their read scope are not found) unless the actor is the system or an admin."""

    def __init__(self, runtime, app: CompiledApp, conn: sa.Connection, actor=None) -> None:
        self.runtime, self.app, self.conn = runtime, app, conn
        self.actor = None if actor is None or getattr(actor, "bypass", False) else actor
        self._cache: dict[str, dict[int, dict]] = {}

    def records(self, entity: str, ids: Iterable[int]) -> dict[int, dict]:
        have = self._cache.setdefault(entity, {})
        missing = sorted({i for i in ids if i is not None and i not in have})
        if missing:
            from engine.records.read_path import ReadRequest

            ent = self.app.entity(entity)
            t = self.runtime.table(self.app.name, entity)
            scope = None
            if self.actor is not None:
                scope = self.runtime.read_scope(ReadRequest(self.runtime, self.app, ent, t, self.actor))
            conds = [t.c.deleted_at.is_(None)] + ([scope.where] if scope is not None and scope.where is not None
                                                  else [])
            extra = scope.mask_columns() if scope is not None else []
            for i in range(0, len(missing), 900):
                q = sa.select(t, *extra).where(t.c.id.in_(missing[i:i + 900]), *conds)
                for r in self.conn.execute(q).mappings():
                    rec = have[r["id"]] = stored_record(ent, r)
                    hidden = scope.hidden_on(r) if scope is not None else ()
                    if hidden:
                        rec[HIDDEN] = frozenset(hidden)
        return {i: have[i] for i in ids if i in have}


def masked(rec: dict) -> dict:
    """The record as the writer may see it: fields hidden from them on related rows read as blank."""
    out = {}
    for k, v in rec.items():
        if k == HIDDEN:
            continue
        if isinstance(v, dict):
            hidden = v.get(HIDDEN, ())
            v = masked(v)
            for name in hidden:
                if name in v:
                    v[name] = None
        out[k] = v
    return out


def stored_record(ent: CompiledEntity, row) -> dict:
    d = {f.name: row[f.column_name] for f in ent.fields if f.stored}
    for s in SYSTEM_FIELD_TYPES:  # what expressions may read of any record: id, owner, created_at...
        d[s] = row[s]
    return d


def as_expr_values(ent: CompiledEntity, values: dict) -> dict:
    """Ids as Decimals (the language's numbers): of system columns and of user and department
    fields, so ``handler = CURRENT_USER().id`` compares numbers; the rest as stored."""
    out = dict(values)
    names = list(SYSTEM_NUMBERS) + [f.name for f in ent.fields if f.ftype.references_core]
    for s in names:
        v = out.get(s)
        if isinstance(v, int) and not isinstance(v, bool):
            out[s] = Decimal(v)
    return out


def attach(loader: RelatedLoader, ent: CompiledEntity, records: list[dict], reads: Iterable[tuple[str, ...]]) -> None:
    """Replace, in ``records`` (eval copies), each relation some read path goes through by the related
    record's values, recursively; a relation to nothing (or a deleted record) becomes blank."""
    by_first: dict[str, set[tuple[str, ...]]] = {}
    for path in reads:
        if len(path) > 1:
            by_first.setdefault(path[0], set()).add(path[1:])
    for name, rest in by_first.items():
        f = ent.field(name)
        if f is None or not f.relation_to:
            continue
        target = loader.app.entity(f.relation_to)
        ids = {r.get(name) for r in records if isinstance(r.get(name), int)}
        found = loader.records(target.name, ids)
        related = {i: as_expr_values(target, v) for i, v in found.items()}
        attach(loader, target, list(related.values()), rest)
        for r in records:
            v = r.get(name)
            if isinstance(v, int):
                r[name] = related.get(v)


def eval_copy(ent: CompiledEntity, values: dict, system: dict | None = None) -> dict:
    """A record's values for evaluation: its fields plus system columns; sub-table rows copied so
    attaching relations in them never touches the write's own values."""
    out = dict(system or {})
    for k, v in values.items():
        out[k] = [dict(r) for r in v] if isinstance(v, list) and v and isinstance(v[0], dict) else v
    return as_expr_values(ent, out)


class BatchContext(EvalContext):
    """An evaluation context whose user (CURRENT_USER()) is read when an expression first asks: most
    writes evaluate nothing that needs it, and reading it is several queries."""

    def __init__(self, load_user, **kwargs) -> None:
        self._load_user = load_user
        self._user: Any = None
        self._loaded = False
        super().__init__(**kwargs)

    @property  # type: ignore[override]
    def user(self):
        if not self._loaded:
            self._user, self._loaded = self._load_user(), True
        return self._user

    @user.setter
    def user(self, value) -> None:
        if value is not None:  # EvalContext.__init__ sets None: keep loading lazily
            self._user, self._loaded = value, True


def context(runtime, actor, conn) -> EvalContext:
    """The clock, the acting user (CURRENT_USER(), read when first needed) and the working calendars."""
    from engine.identity.functions import user_record
    from engine.platform.calendars import calendars_for
    from engine.platform.clock import business_today

    now = runtime.clock()
    if isinstance(now, dt.datetime) and now.tzinfo is not None:
        now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    user_id = getattr(actor, "user_id", None) if actor is not None else None
    return BatchContext(lambda: user_record(runtime, user_id, conn) if user_id is not None else None,
                        today=business_today(runtime, now), now=now.replace(microsecond=0),
                        calendars=calendars_for(runtime, conn))


def value_or_none(v: Any) -> Any:
    """An error value (#DIV/0!...) stores as blank; the form state shows it as the error text."""
    from rules.expr.values import is_error

    return None if is_error(v) else v
