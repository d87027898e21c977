"""The runtime: one object holding what a running Jimu needs — the database, the registries, the
pipeline, the compiled apps and their tables. Passed explicitly (the API keeps it in app.state);
there is no module-level global.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import sqlalchemy as sa

from .compiled import CompiledApp, compile_app
from .errors import JimuError, msg
from .fieldtypes import FieldTypeRegistry
from .platform.events import EventHandlers, dispatch_pending
from .platform.jobs import JobHandlers
from .plugins import hooks, platform_field_types
from .records import kernel_handlers
from .records.pipeline import Pipeline, WriteBatch
from .records.read_path import ReadPolicy, ReadRequest, ReadScope
from .storage.database import WRITE_OPTION, Database, utcnow
from .storage.tables import app_tables


def register_identity(rt: "Runtime") -> None:
    """Identity joins the kernel the way every engine does: a read policy and pipeline handlers."""
    from .identity.ownership import assign_department
    from .identity.permissions import check_write_permissions, permission_policy
    from .identity.transfer import check_owner_assignment

    rt.read_policies.append(permission_policy)
    rt.pipeline.on("prepare", assign_department)
    rt.pipeline.on("check", check_write_permissions)
    rt.pipeline.on("check", check_owner_assignment)


@dataclass
class InstalledApp:
    compiled: CompiledApp
    metadata: sa.MetaData
    tables: dict[str, sa.Table]
    grants: dict = field(default_factory=dict)  # entity -> role -> identity.permissions.Grant
    definitions: dict | None = None  # kind -> name -> the engine's compiled definition (made on first use)


@dataclass
class Runtime:
    db: Database
    field_types: FieldTypeRegistry = field(default_factory=platform_field_types)
    functions: Any = None  # rules.expr FunctionRegistry
    pipeline: Pipeline = field(default_factory=Pipeline)
    read_policies: list[ReadPolicy] = field(default_factory=list)
    clock: Callable[[], dt.datetime] = utcnow
    apps: dict[str, InstalledApp] = field(default_factory=dict)
    event_handlers: EventHandlers = field(default_factory=EventHandlers)
    job_handlers: JobHandlers = field(default_factory=JobHandlers)
    background_steps: list = field(default_factory=list)  # fn(runtime) -> int, called by each worker tick
    notification_channels: list = field(default_factory=list)  # platform.notifications.NotificationChannel
    handover_steps: list = field(default_factory=list)  # fn(runtime, conn, from_user, to_user) -> {what: n}
    settings: dict = field(default_factory=dict)  # engines' settings (files_dir...), from env by default
    routers: list = field(default_factory=list)  # API routers engines add (fastapi.APIRouter)
    public_paths: set[str] = field(default_factory=set)  # API paths open without sign-in (inbound hooks)
    bypass_noted: dict = field(default_factory=dict)  # (admin, entity) -> when the event log last heard of it
    actions: Any = None  # actions.ActionRegistry: what flows and rules do to records (kernel's + engines')

    def __post_init__(self) -> None:
        if self.functions is None:
            from .expressions import platform_registry

            self.functions = platform_registry(self.profile_field_types)
        kernel_handlers.register(self.pipeline)
        register_identity(self)
        if self.actions is None:
            from .actions import action_registry

            self.actions = action_registry()
        self.background_steps.append(dispatch_pending)  # each worker tick delivers the outbox
        from .platform.inbox import register_inbox

        register_inbox(self)  # to-do reminders, notification delivery, the to-dos of a handover
        for hook in hooks("register"):
            hook(self)

    def add_public_path(self, path: str) -> None:
        """Open ``path`` without sign-in (an engine's inbound webhook); refused with a clear error when
        it is outside /api/v1/, wider than one engine's routes, or one of the kernel's (engine/public_paths.py)."""
        from .public_paths import check_public_path

        check_public_path(path)
        self.public_paths.add(path)

    def profile_field_types(self) -> dict:
        """Profile fields of users that installed apps declare (``user_fields`` in app.yaml)."""
        from .expressions import profile_types

        return profile_types([inst.compiled.documents["app"] for inst in self.apps.values()], self.field_types)

    # --- apps ------------------------------------------------------------------------------------
    def app(self, name: str) -> CompiledApp:
        a = self.apps.get(name)
        if a is None:
            raise JimuError("app.E404", msg(f"应用 '{name}' 未安装", f"app '{name}' is not installed"), status=404)
        return a.compiled

    def table(self, app: str, entity: str) -> sa.Table:
        self.app(app).entity(entity)
        return self.apps[app].tables[entity]

    def add_app(self, compiled: CompiledApp) -> InstalledApp:
        from .identity.permissions import compile_grants
        from .plugins import field_sources

        md = sa.MetaData()
        inst = InstalledApp(compiled, md, app_tables(compiled, md))
        self.apps[compiled.name] = inst
        # checked at load (the bundle checker reports these problems); here they cannot occur
        inst.grants, _problems = compile_grants(compiled, self.functions,
                                                field_sources(compiled, self.functions, self))
        return inst

    def load_installed(self) -> None:
        """Compile every installed app from the definitions the database holds."""
        d = self.db.core["definition"]
        with self.connect() as c:
            rows = c.execute(sa.select(d.c.app, d.c.kind, d.c.name, d.c.body).order_by(d.c.app, d.c.name)).all()
        docs: dict[str, dict] = {}
        for app, kind, name, body in rows:
            entry = docs.setdefault(app, {"app": None, "entities": [], "roles": None, "definitions": {}})
            if kind == "entity":
                entry["entities"].append(body)
            elif kind in ("app", "roles"):
                entry[kind] = body
            else:  # an engine's kind: one row per definition
                entry["definitions"].setdefault(kind, {})[name] = body
        compiled = [compile_app(entry["app"], entry["entities"], entry["roles"], self.field_types,
                                entry["definitions"]) for entry in docs.values()]
        # swapped app by app, never cleared first: a request running meanwhile (a write that found its
        # app upgraded by another process reloads here) must not find its app missing
        for app in compiled:
            self.add_app(app)
        for name in set(self.apps) - {a.name for a in compiled}:
            self.apps.pop(name, None)

    def definitions(self, app: str, kind: str) -> dict[str, Any]:
        """An installed app's definitions of an engine's kind, by name, as the kind's compile step
        made them (compiled once per loaded app)."""
        self.app(app)
        inst = self.apps[app]
        if inst.definitions is None:
            from .kinds import compile_definitions, declared_kinds

            inst.definitions = compile_definitions(inst.compiled, inst.compiled.documents.get("definitions") or {},
                                                   declared_kinds())
        return dict(inst.definitions.get(kind, {}))

    def definition_version(self, app: str, kind: str, name: str, version: int, *, compiled: bool = True) -> Any:
        """The exact definition a piece of running work started on (a job's ``definition.version``):
        compiled by its kind's step, or as stored with ``compiled=False``."""
        from .definition_store import read_version
        from .kinds import declared_kinds

        body = read_version(self, app, kind, name, version)["body"]
        spec = declared_kinds().get(kind)
        if not compiled or spec is None or spec.compile is None:
            return body
        return spec.compile(self.app(app), name, body)

    # --- connections -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def connect(self, conn: sa.Connection | None = None) -> Iterator[sa.Connection]:
        if conn is not None:
            yield conn
            return
        with self.db.engine.connect() as c:
            yield c

    @contextlib.contextmanager
    def transaction(self, conn: sa.Connection | None = None) -> Iterator[sa.Connection]:
        """A transaction of our own, or the caller's: after-commit work waits for the outermost
        commit and is dropped on rollback."""
        if conn is not None:
            yield conn
            return
        with self.db.engine.connect() as c:
            c.execution_options(**{WRITE_OPTION: True})
            try:
                with c.begin():
                    yield c
            finally:
                # c.info belongs to the pooled DBAPI connection: a rolled-back batch must not wait
                # there for the next commit on it
                pending = c.info.pop("jimu_after_commit", [])
                from .identity.probes import write_pending

                write_pending(self, c)  # unique probes count even when the write was refused
        for batch in pending:
            batch.conn = None
            self.pipeline.run("after_commit", batch)

    def after_commit(self, conn: sa.Connection, batch: WriteBatch) -> None:
        conn.info.setdefault("jimu_after_commit", []).append(batch)

    # --- reads -----------------------------------------------------------------------------------
    def read_scope(self, req: ReadRequest) -> ReadScope:
        """Combine the registered read policies: every policy's row filter applies, a field is hidden
        if any policy hides it, and per-row masks are kept (identity's role union is one policy)."""
        wheres, hidden, masks = [], set(), []
        for policy in self.read_policies:
            s = policy(req)
            if s.where is not None:
                wheres.append(s.where)
            hidden |= s.hidden
            masks.extend(s.masks)
        return ReadScope(sa.and_(*wheres) if wheres else None, frozenset(hidden), tuple(masks))

    def records(self, app: str, entity: str, actor=None):
        from .records.service import RecordService

        return RecordService(self, app, entity, actor)


def open_runtime(url: str | None = None) -> Runtime:
    from .storage.database import open_database

    rt = Runtime(open_database(url))
    rt.load_installed()
    return rt
