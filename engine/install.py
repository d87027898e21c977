"""Installing a bundle: check, compile, then create its tables, store its definitions and load its
seed data in ONE transaction — a failed install leaves the database as it was.

Upgrading an installed app that holds data is a later step (a plan, then a migration); the stored
definitions (documents, hashes and physical names) are what it will diff against. Until then
``upgrade=True`` stores new versions of changed definitions that need no table change (the manifest,
roles, the engines' kinds) and refuses a changed entity (install.E002).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import sqlalchemy as sa

from .bundle.checker import check_bundle
from .compiled import CompiledApp, compile_app
from .definition_store import store_definitions, stored_hashes
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
            return (f"updated {a.name} {a.version}: new versions of {changed}"
                    f" / 已更新 {a.label.get('zh', a.name)}: {changed}")
        seeded = ", ".join(f"{k} {v}" for k, v in self.seeded.items()) or "none"
        if self.kept:
            seeded += f"; re-attached kept tables (seeds not loaded) / 重新使用保留的数据表: {', '.join(self.kept)}"
        return (f"installed {a.name} {a.version}: {len(a.entities)} entities; records loaded: {seeded}"
                f" / 已安装 {a.label.get('zh', a.name)}")


def install_bundle(runtime, path: str | os.PathLike | bytes, *, demo: bool = False, if_missing: bool = False,
                   upgrade: bool = False, actor_id: int | None = None, origin: str = "bundle",
                   overwrite_local: bool = False) -> InstallResult:
    """Install the bundle at ``path``. An installed app is left alone when its hash (which covers every
    kind) is unchanged; with ``upgrade`` its changed definitions are stored as new versions, as long as
    no entity changed (that needs a migration: a later step refuses nothing less). ``origin`` is where
    the versions it stores come from; definitions changed locally are kept over a vendor bundle's
    (engine/lifecycle/local_changes.py) unless ``overwrite_local``."""
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
            result = _store_new_versions(runtime, compiled, actor_id, origin, kept_local)
            result.kept_local = kept_local
            return result
        raise JimuError("install.E001", msg(
            f"{compiled.name} 已安装 (版本 {existing.version})；升级已有数据的应用尚未支持",
            f"{compiled.name} is already installed (version {existing.version}); upgrading an app that holds "
            "data is not supported yet"), status=409)
    inst = runtime.add_app(compiled)
    undo = None
    try:
        with runtime.transaction() as conn:
            kept = kept_tables(conn, inst.metadata, compiled.name)  # left by `jimu uninstall` (no --drop-data)
            inst.metadata.create_all(conn)
            versions = store_definitions(runtime, compiled, conn, actor_id=actor_id, origin=origin)
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


def _store_new_versions(runtime, compiled: CompiledApp, actor_id: int | None, origin: str = "bundle",
                        kept_local=()) -> InstallResult:
    """The app manifest, roles and the engines' kinds may change in place; entities may not yet (their
    tables would have to change with them): refused with the entities named, nothing stored."""
    with runtime.transaction() as conn:
        stored = stored_hashes(runtime, conn, compiled.name)
        before = {n: h for (k, n), h in stored.items() if k == "entity"}
        after = {n: e.hash for n, e in compiled.entities.items()}
        changed = sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))
        if changed:
            names = ", ".join(changed)
            raise JimuError("install.E002", msg(
                f"{compiled.name} 的实体有变化 ({names})：需要修改数据表的升级尚未支持；"
                "只能更新应用清单、角色和其他定义",
                f"entities of {compiled.name} changed ({names}): an upgrade that changes tables is not supported "
                "yet; only the manifest, roles and other definitions can be updated"), status=409)
        versions = store_definitions(runtime, compiled, conn, actor_id=actor_id, origin=origin, kept=set(kept_local))
    runtime.add_app(compiled)  # its grants and definitions as now stored
    return InstallResult(compiled, "upgraded", {}, versions)
