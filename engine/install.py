"""Installing a bundle: check, compile, then create its tables, store its definitions and load its
seed data in ONE transaction — a failed install leaves the database as it was.

Installing a changed bundle over an installed app upgrades it (``upgrade``, the default): the plan
applied in one transaction by engine/lifecycle/migrate.py — tables and columns changed, values
converted, renames followed, new versions of the changed definitions stored, seeds of new entities
loaded. What would lose or invent data is refused (install.E007) unless the options say otherwise.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .bundle.checker import check_bundle
from .compiled import CompiledApp, compile_app
from .definition_store import store_definitions
from .errors import JimuError, msg
from .lifecycle.data_restore import bundle_data, refuse_installed, restore_data
from .lifecycle.kept_tables import kept_tables
from .lifecycle.local_changes import keep_local_changes
from .seed import load_seed


@dataclass
class InstallResult:
    app: CompiledApp
    status: str  # installed, upgraded, unchanged
    seeded: dict[str, int] = field(default_factory=dict)
    versions: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, name, version) stored
    kept: list[str] = field(default_factory=list)  # tables an uninstall kept, re-attached
    kept_local: list[tuple[str, str]] = field(default_factory=list)  # (kind, name) changed locally, kept
    migration: Any = None  # lifecycle.migrate.Migration of an upgrade

    def summary(self) -> str:
        if self.kept_local:
            kept = ", ".join(f"{k} {n}" for k, n in self.kept_local)
            return f"{self._summary()}\n保留本地修改 / local changes kept: {kept}"
        return self._summary()

    def _summary(self) -> str:
        a = self.app
        if self.status == "unchanged":
            return f"{a.name} {a.version} is already installed; nothing to do / 已安装，无需操作"
        if self.status == "upgraded":
            changed = ", ".join(f"{k} {n} v{v}" for k, n, v in self.versions)
            text = (f"updated {a.name} {a.version}: new versions of {changed}"
                    f" / 已更新 {a.label.get('zh', a.name)}: {changed}")
            if self.migration is not None:
                from .lifecycle.migrate_summary import summary_lines

                text += "".join("\n  " + line for line in summary_lines(self.migration))
            return text
        seeded = ", ".join(f"{k} {v}" for k, v in self.seeded.items()) or "none"
        if self.kept:
            seeded += f"; re-attached kept tables (seeds not loaded) / 重新使用保留的数据表: {', '.join(self.kept)}"
        return (f"installed {a.name} {a.version}: {len(a.entities)} entities; records loaded: {seeded}"
                f" / 已安装 {a.label.get('zh', a.name)}")


def install_bundle(runtime, path: str | os.PathLike | bytes, *, demo: bool = False, if_missing: bool = False,
                   upgrade: bool = True, actor_id: int | None = None, options=None, origin: str = "bundle",
                   overwrite_local: bool = False) -> InstallResult:
    """Install the bundle at ``path``. An installed app is left alone when its hash (which covers every
    kind) is unchanged or with ``if_missing``; else it is upgraded (``options``: a
    lifecycle.migrate_values.UpgradeOptions — data loss, fills, option maps), or refused with
    ``upgrade=False`` (install.E001). ``origin`` is where the versions it stores come from; definitions
    changed locally are kept over a vendor bundle's (engine/lifecycle/local_changes.py) unless
    ``overwrite_local``."""
    src = check_bundle(path, runtime.field_types).raise_for_errors()
    src, kept_local = keep_local_changes(runtime, src, origin=origin, overwrite_local=overwrite_local)
    data = bundle_data(path)  # the records of a `jimu export --with-data`, or None
    compiled = compile_app(src.app, [d for _, d in src.entities], src.roles, runtime.field_types,
                           src.definitions)
    apps = runtime.db.core["app"]
    with runtime.connect() as c:
        existing = c.execute(sa.select(apps.c.version, apps.c.hash).where(apps.c.name == compiled.name)).first()
        installed = {r.name: r.version for r in c.execute(sa.select(apps.c.name, apps.c.version))}
    _check_depends(compiled, installed)
    if existing is not None and data is not None:
        raise refuse_installed(compiled.name)
    if existing is not None:
        if existing.hash == compiled.hash or if_missing:
            return InstallResult(runtime.app(compiled.name) if compiled.name in runtime.apps else compiled,
                                 "unchanged", kept_local=kept_local)
        if upgrade:
            result = _upgrade(runtime, src, compiled, options, actor_id, origin, kept_local)
            result.kept_local = kept_local
            return result
        raise JimuError("install.E001", msg(
            f"{compiled.name} 已安装 (版本 {existing.version})；未要求升级",
            f"{compiled.name} is already installed (version {existing.version}); an upgrade was not asked for"),
            status=409)
    inst = runtime.add_app(compiled)
    undo = None
    try:
        with runtime.transaction() as conn:
            kept = kept_tables(conn, inst.metadata, compiled.name)  # left by `jimu uninstall` (no --drop-data)
            inst.metadata.create_all(conn)
            versions = store_definitions(runtime, compiled, conn, actor_id=actor_id, origin=origin)
            if demo:  # an upgrade then loads the demo records of the entities it adds
                conn.execute(apps.update().where(apps.c.name == compiled.name).values(demo=True))
            if data is not None:  # a restore, in place of the seeds (refused over kept rows)
                counts, undo = restore_data(runtime, compiled.name, data, conn)
            else:  # re-attached tables hold the app's records: seeds are not loaded over them
                counts = {} if kept else load_seed(runtime, compiled, src.seeds, conn, demo)
    except Exception:
        runtime.apps.pop(compiled.name, None)
        if undo is not None:
            undo()  # the files it wrote: bytes on disk do not roll back
        raise
    return InstallResult(compiled, "installed", counts, versions, kept)


def _check_depends(compiled: CompiledApp, installed: dict[str, str]) -> None:
    """Every app ``depends`` names is installed at a version in its range, or nothing is written."""
    from .lifecycle.depends import unmet

    problems = unmet(compiled.name, compiled.documents["app"], installed)
    if problems:
        names = ", ".join(p["app"] for p in problems)
        raise JimuError("install.E003", msg(
            f"{compiled.name} 的依赖未满足 ({names})：" + "；".join(p["message"]["zh"] for p in problems),
            f"dependencies of {compiled.name} are not met ({names}): "
            + "; ".join(p["message"]["en"] for p in problems)), details=problems, status=409)


def _upgrade(runtime, src, compiled: CompiledApp, options, actor_id: int | None, origin: str = "bundle",
             kept_local=()) -> InstallResult:
    """The plan applied in one transaction (engine/lifecycle/migrate.py); the running app is swapped
    after the commit."""
    from .lifecycle.migrate import upgrade_app

    done = upgrade_app(runtime, src, compiled, options, actor_id=actor_id, origin=origin, kept=set(kept_local))
    if done.unchanged:  # another process installed this very bundle meanwhile: run what it stored
        runtime.add_app(compiled)
        return InstallResult(compiled, "unchanged")
    return InstallResult(compiled, "upgraded", done.seeded, done.versions, migration=done)
