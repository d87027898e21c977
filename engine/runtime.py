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
from .fieldtypes import FieldTypeRegistry, kernel_field_types
from .records import kernel_handlers
from .records.pipeline import Pipeline, WriteBatch
from .records.read_path import ReadPolicy, ReadRequest, ReadScope
from .storage.database import WRITE_OPTION, Database, utcnow
from .storage.tables import app_tables


@dataclass
class InstalledApp:
    compiled: CompiledApp
    metadata: sa.MetaData
    tables: dict[str, sa.Table]


@dataclass
class Runtime:
    db: Database
    field_types: FieldTypeRegistry = field(default_factory=kernel_field_types)
    functions: Any = None  # rules.expr FunctionRegistry
    pipeline: Pipeline = field(default_factory=Pipeline)
    read_policies: list[ReadPolicy] = field(default_factory=list)
    clock: Callable[[], dt.datetime] = utcnow
    apps: dict[str, InstalledApp] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.functions is None:
            from rules.expr import standard_registry

            self.functions = standard_registry()
        kernel_handlers.register(self.pipeline)

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
        md = sa.MetaData()
        inst = InstalledApp(compiled, md, app_tables(compiled, md))
        self.apps[compiled.name] = inst
        return inst

    def load_installed(self) -> None:
        """Compile every installed app from the definitions the database holds."""
        d = self.db.core["definition"]
        with self.connect() as c:
            rows = c.execute(sa.select(d.c.app, d.c.kind, d.c.body).order_by(d.c.app, d.c.name)).all()
        docs: dict[str, dict] = {}
        for app, kind, body in rows:
            entry = docs.setdefault(app, {"app": None, "entities": [], "roles": None})
            if kind == "entity":
                entry["entities"].append(body)
            else:
                entry[kind] = body
        self.apps.clear()
        for entry in docs.values():
            self.add_app(compile_app(entry["app"], entry["entities"], entry["roles"], self.field_types))

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
            with c.begin():
                yield c
            pending = c.info.pop("jimu_after_commit", [])
        for batch in pending:
            batch.conn = None
            self.pipeline.run("after_commit", batch)

    def after_commit(self, conn: sa.Connection, batch: WriteBatch) -> None:
        conn.info.setdefault("jimu_after_commit", []).append(batch)

    # --- reads -----------------------------------------------------------------------------------
    def read_scope(self, req: ReadRequest) -> ReadScope:
        """Combine the registered read policies: every policy's row filter applies, and a field is
        hidden if any policy hides it. With no policy (the kernel alone) everything is readable."""
        wheres, hidden = [], set()
        for policy in self.read_policies:
            s = policy(req)
            if s.where is not None:
                wheres.append(s.where)
            hidden |= s.hidden
        return ReadScope(sa.and_(*wheres) if wheres else None, frozenset(hidden))

    def records(self, app: str, entity: str, actor: int | None = None):
        from .records.service import RecordService

        return RecordService(self, app, entity, actor)


def open_runtime(url: str | None = None) -> Runtime:
    from .storage.database import open_database

    rt = Runtime(open_database(url))
    rt.load_installed()
    return rt
