"""Installing a bundle: check, compile, then create its tables, store its definitions and load its
seed data in ONE transaction — a failed install leaves the database as it was.

Upgrading an installed app that holds data is a later step (a plan, then a migration); the stored
definitions (documents, hashes and physical names) are what it will diff against.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import sqlalchemy as sa

from .bundle.checker import check_bundle
from .compiled import CompiledApp, compile_app, content_hash
from .errors import JimuError, msg
from .seed import load_seed


@dataclass
class InstallResult:
    app: CompiledApp
    status: str  # installed, unchanged
    seeded: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        a = self.app
        if self.status == "unchanged":
            return f"{a.name} {a.version} is already installed; nothing to do / 已安装，无需操作"
        seeded = ", ".join(f"{k} {v}" for k, v in self.seeded.items()) or "none"
        return (f"installed {a.name} {a.version}: {len(a.entities)} entities; records loaded: {seeded}"
                f" / 已安装 {a.label.get('zh', a.name)}")


def install_bundle(runtime, path: str | os.PathLike, *, demo: bool = False, if_missing: bool = False) -> InstallResult:
    src = check_bundle(path, runtime.field_types).raise_for_errors()
    compiled = compile_app(src.app, [d for _, d in src.entities], src.roles, runtime.field_types)
    apps = runtime.db.core["app"]
    with runtime.connect() as c:
        existing = c.execute(sa.select(apps.c.version, apps.c.hash).where(apps.c.name == compiled.name)).first()
    if existing is not None:
        if existing.hash == compiled.hash or if_missing:
            return InstallResult(runtime.app(compiled.name) if compiled.name in runtime.apps else compiled,
                                 "unchanged")
        raise JimuError("install.E001", msg(
            f"{compiled.name} 已安装 (版本 {existing.version})；升级已有数据的应用尚未支持",
            f"{compiled.name} is already installed (version {existing.version}); upgrading an app that holds "
            "data is not supported yet"), status=409)
    inst = runtime.add_app(compiled)
    try:
        with runtime.transaction() as conn:
            inst.metadata.create_all(conn)
            _store_definitions(runtime, compiled, conn)
            counts = load_seed(runtime, compiled, src.seeds, conn, demo)
    except Exception:
        runtime.apps.pop(compiled.name, None)
        raise
    return InstallResult(compiled, "installed", counts)


def _store_definitions(runtime, app: CompiledApp, conn: sa.Connection) -> None:
    now = runtime.clock()
    conn.execute(runtime.db.core["app"].insert().values(name=app.name, version=app.version, hash=app.hash,
                                                         installed_at=now, updated_at=now))
    rows = [{"app": app.name, "kind": "app", "name": app.name, "version": app.version,
             "hash": content_hash(app.documents["app"]), "body": app.documents["app"], "physical": None}]
    if app.documents["roles"] is not None:
        rows.append({"app": app.name, "kind": "roles", "name": "roles", "version": app.version,
                     "hash": content_hash(app.documents["roles"]), "body": app.documents["roles"],
                     "physical": None})
    for e in app.entities.values():
        rows.append({"app": app.name, "kind": "entity", "name": e.name, "version": app.version, "hash": e.hash,
                     "body": dict(e.definition),
                     "physical": {"table": e.table_name, "columns": {f.name: f.column_name for f in e.fields}}})
    conn.execute(runtime.db.core["definition"].insert(), rows)

