"""The record write pipeline: prepare -> check -> guard -> persist -> after commit.

Every write path (API, bulk, imports, rule and flow actions) goes through ``RecordService``, which
runs these stages over a *batch* of writes, so the bulk path batches the same work instead of
skipping it. Engines join by registering handlers here, the kernel never calls them by name.

A handler is ``handler(batch: WriteBatch) -> None``. Prepare handlers fill values; check and guard
handlers add problems to ``write.errors``; persist handlers write inside the transaction through
``batch.conn``; after-commit handlers see the committed batch (with ids and versions).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

import sqlalchemy as sa

from ..compiled import CompiledApp, CompiledEntity

STAGES = ("prepare", "check", "guard", "persist", "after_commit")
Handler = Callable[["WriteBatch"], None]


@dataclass
class Write:
    op: str  # create, update, delete, restore
    input: dict[str, Any]  # what the caller sent (API form), for messages
    values: dict[str, Any]  # the record's full new state, field name -> stored Python value
    old: dict[str, Any] | None = None  # field values before (update, delete, restore)
    row: dict[str, Any] | None = None  # the stored row before, by column name, system columns too
    id: int | None = None
    expected_version: int | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (old, new)
    version: int = 1
    owner: int | None = None
    department: int | None = None  # the owner's department (set in prepare by the identity engine)
    # True when the engine rewrites a record to bring computed values up to date (a rollup after a
    # child changed): no user input, so user-facing rules (required, linkage, stages) do not apply
    recompute: bool = False
    excused: set[str] = field(default_factory=set)  # fields not required now (hidden by a linkage rule)
    notes: dict[str, Any] = field(default_factory=dict)  # what engines learn about the write (form flags...)

    def error(self, path: str, message: dict[str, str], code: str | None = None) -> None:
        d: dict[str, Any] = {"path": path, "message": message}
        if code:
            d["code"] = code
        self.errors.append(d)


@dataclass
class WriteBatch:
    app: CompiledApp
    entity: CompiledEntity
    table: sa.Table
    actor: Any  # the acting identity.actor.Actor
    now: dt.datetime
    writes: list[Write]
    runtime: Any  # the Runtime; typed loosely to keep this module free of an import cycle
    conn: sa.Connection | None = None
    bulk: bool = False
    trial: bool = False  # judged only (form state, import dry run): nothing persists; skip side effects

    def has_errors(self) -> bool:
        return any(w.errors for w in self.writes)

    def system_values(self, w: Write) -> dict[str, Any]:
        """The system columns ``w`` will store, known from the first stage on, so every stage (a
        formula of ``created_at``, a validation ``finished_at >= created_at``) sees what the row then
        holds: one clock reading (``now``) per batch, the acting user, the owner and department as
        worked out so far. A new record's id is given only when it is written (None before)."""
        actor = self.actor.user_id
        owner = w.owner if w.owner is not None else (actor if w.op == "create" else None)
        if w.op == "create" or w.row is None:
            return {"id": w.id, "created_at": self.now, "created_by": actor, "updated_at": self.now,
                    "updated_by": actor, "owner": owner, "department": w.department, "version": 1}
        return {"id": w.id, "created_at": w.row["created_at"], "created_by": w.row["created_by"],
                "updated_at": self.now, "updated_by": actor, "owner": owner,
                "department": w.department if w.department is not None else w.row["department"],
                "version": w.version + 1}


class Pipeline:
    """Stage -> handlers. A handler registered for an app runs only for writes to that app's entities,
    for an entity only for writes to it: engines (flows, rules) register theirs for the entities that
    have a flow or a rule, so an entity without one pays nothing for them — not even a call. Each
    stage's handlers for an (app, entity) are worked out once (again after a registration)."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[tuple[tuple[str | None, str | None] | None, Handler]]] = {
            s: [] for s in STAGES}
        self._resolved: dict[tuple[str, str, str], list[Handler]] = {}

    def on(self, stage: str, handler: Handler, *, app: str | None = None, entity: str | None = None,
           before: Handler | None = None) -> None:
        """Add ``handler`` to ``stage``, at the end or just ``before`` another handler (a sub-table's
        rows are written before the audit entry that records their ids); only for ``app`` (any of its
        entities) or ``app`` and ``entity`` when given."""
        if stage not in self._handlers:
            raise ValueError(f"unknown pipeline stage {stage!r}; stages are {', '.join(STAGES)}")
        if entity is not None and app is None:
            raise ValueError("a pipeline handler for an entity needs its app too")
        key = (app, entity) if app else None
        handlers = self._handlers[stage]
        self._resolved.clear()
        if before is None:
            handlers.append((key, handler))
            return
        at = next((i for i, (_, h) in enumerate(handlers) if h is before), None)
        if at is None:
            raise ValueError(f"{before!r} is not a handler of stage {stage!r}")
        handlers.insert(at, (key, handler))

    def handlers(self, stage: str, app: str, entity: str) -> list[Handler]:
        """The handlers ``stage`` runs for a write to ``app``'s ``entity``, in order."""
        got = self._resolved.get((stage, app, entity))
        if got is None:
            got = self._resolved[(stage, app, entity)] = [
                h for key, h in self._handlers[stage]
                if key is None or (key[0] == app and key[1] in (None, entity))]
        return got

    def run(self, stage: str, batch: WriteBatch) -> None:
        for handler in self.handlers(stage, batch.app.name, batch.entity.name):
            handler(batch)
