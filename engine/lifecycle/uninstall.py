"""``jimu uninstall APP [--drop-data]``: take an installed app out of the installation.

Without ``--drop-data`` the app is detached: its current definitions (jimu_definition) and its
jimu_app row go, its tables and every platform row about its records (role assignments, saved views,
to-dos, comments, files, audit...) stay, and the tables are reported with their row counts. Installing
the same app again re-attaches them (engine/lifecycle/kept_tables.py). With ``--drop-data`` the tables
are dropped and every platform row carrying the app's name (each core table with an ``app`` column,
jobs by ``definition_app``) is deleted too. The definitions' version history (jimu_definition_version)
is kept either way, for audit and so a reinstall numbers its versions on; the event log records the
uninstall. Refused while another installed app depends on this one. One transaction: a failure
leaves tables, rows and definitions as they were, and the running app loaded.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..errors import JimuError, msg
from .depends import dependents

# platform tables an uninstall never empties: the history of definitions is kept for audit, and the
# app's own row and current definitions are removed by name above
KEPT_CORE = frozenset({"jimu_definition_version", "jimu_definition", "jimu_app"})


@dataclass
class UninstallResult:
    app: str
    version: str
    drop_data: bool
    tables: dict[str, int] = field(default_factory=dict)  # table -> rows it held
    platform_rows: dict[str, int] = field(default_factory=dict)  # platform table -> rows removed

    def summary(self) -> str:
        tables = ", ".join(f"{t} ({n} rows)" for t, n in self.tables.items()) or "none"
        tables_zh = ", ".join(f"{t} ({n} 行)" for t, n in self.tables.items()) or "无"
        if self.drop_data:
            removed = ", ".join(f"{t} {n}" for t, n in self.platform_rows.items() if n) or "none"
            return (f"uninstalled {self.app} {self.version}; dropped tables: {tables}; platform rows removed: "
                    f"{removed}\n已卸载 {self.app}，已删除数据表: {tables_zh}")
        return (f"uninstalled {self.app} {self.version}; its tables were kept: {tables}\n"
                f"已卸载 {self.app}，数据表保留: {tables_zh}（重新安装同一应用会重新使用它们；"
                f"用 --drop-data 删除 / installing it again re-attaches them; --drop-data drops them)")


def uninstall_app(runtime, app: str, *, drop_data: bool = False, actor_id: int | None = None) -> UninstallResult:
    core = runtime.db.core
    a, d = core["app"], core["definition"]
    with runtime.connect() as c:
        row = c.execute(sa.select(a.c.version).where(a.c.name == app)).first()
        docs = {r.app: r.body for r in c.execute(sa.select(d.c.app, d.c.body).where(d.c.kind == "app"))}
    if row is None or app not in runtime.apps:
        raise JimuError("uninstall.E001", msg(f"应用 '{app}' 未安装", f"app '{app}' is not installed"), status=404)
    needing = dependents(docs, app)
    if needing:
        names = ", ".join(needing)
        raise JimuError("uninstall.E002", msg(
            f"不能卸载 {app}：已安装的应用 {names} 依赖它，请先卸载 {names}",
            f"cannot uninstall {app}: the installed app(s) {names} depend on it; uninstall {names} first"),
            details=[{"app": n} for n in needing], status=409)
    inst = runtime.apps[app]
    tables = list(inst.metadata.sorted_tables)
    result = UninstallResult(app, row.version, drop_data)
    from ..identity.event_log import log_event

    with runtime.transaction() as conn:
        existing = set(sa.inspect(conn).get_table_names())
        for t in tables:
            if t.name in existing:
                result.tables[t.name] = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
        after: list = []
        if drop_data:
            from ..plugins import hooks

            after = [step for hook in hooks("drop_app_data") if (step := hook(runtime, conn, app)) is not None]
            from .backups import drop_backup_tables

            drop_backup_tables(runtime, conn, app)  # an upgrade's backups; their registry rows go below
            result.platform_rows = _delete_platform_rows(runtime.db.core_md, conn, app)
            inst.metadata.drop_all(conn, checkfirst=True)
        conn.execute(d.delete().where(d.c.app == app))
        conn.execute(a.delete().where(a.c.name == app))
        log_event(runtime, conn, "app_uninstalled", actor=actor_id, target=app,
                  detail={"version": row.version, "drop_data": drop_data, "tables": result.tables,
                          "platform_rows": result.platform_rows})
    runtime.apps.pop(app, None)  # only once it is gone from the database
    for step in after:  # what cannot roll back (files on disk) goes once the rows are gone
        step()
    return result


def _delete_platform_rows(core_md: sa.MetaData, conn: sa.Connection, app: str) -> dict[str, int]:
    """Every platform row that belongs to the app: rows of each core table (the kernel's and the
    engines') with an ``app`` column naming it, and jobs scheduled for its definitions. Children first,
    so a foreign key between two such tables does not stop it."""
    out: dict[str, int] = {}
    for t in reversed(core_md.sorted_tables):
        if t.name in KEPT_CORE:
            continue
        col = t.c["app"] if "app" in t.c else t.c["definition_app"] if "definition_app" in t.c else None
        if col is None:
            continue
        n = conn.execute(t.delete().where(col == app)).rowcount
        out[t.name] = max(n or 0, 0)
    return out
