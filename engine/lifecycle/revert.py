"""``jimu revert APP VERSION``: put an installed app's definitions back as they were at VERSION.

The state at VERSION is read from the version history (``jimu_definition_version``, which only
grows): take the last install that stored a definition with that app version (the largest row id),
not counting what reverts stored (each revert notes its rows in the event log, ``app_reverted``):
a revert re-creates a state, it is not a new one, and the rows it stores say nothing of what it
removed. Each definition is then its last version stored up to that install, and one first stored
after it is absent. Those bodies are written as a bundle (export_definitions) into a temporary folder and go
through the ordinary path: the plan is shown, then ``install_bundle(..., upgrade=True)`` stores them
as NEW versions (history is never rewritten) and refuses what any upgrade would refuse.

The history records what each install stored, not what it removed: a definition removed before
VERSION (and still absent now) is restored too, since the history cannot tell when it went.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import JimuError, msg
from .revert_renames import undo_renames


@dataclass
class RevertResult:
    plan: Any  # lifecycle.plan.Plan
    install: Any = None  # install.InstallResult; None for a dry run

    def summary(self) -> str:
        if self.install is not None:
            return self.install.summary()
        if self.plan.action == "unchanged":
            return "the definitions are already as at that version; nothing to do / 定义已与该版本一致，无需操作"
        return "dry run: nothing installed / 仅预览，未安装"


def bodies_at(runtime, app: str, version: str) -> dict[tuple[str, str], Any]:
    """(kind, name) -> body as it was when ``app`` was last installed at ``version``."""
    v = runtime.db.core["definition_version"]
    with runtime.connect() as c:
        known = [r.app_version for r in c.execute(
            sa.select(v.c.app_version, sa.func.max(v.c.id).label("last")).where(v.c.app == app)
            .group_by(v.c.app_version).order_by(sa.text("last")))]
        if not known:
            raise JimuError("revert.E001", msg(f"应用 {app} 没有已存的版本", f"the app {app} has no stored versions"),
                            details=[{"app": app}], status=404)
        at_version = c.execute(sa.select(v.c.id, v.c.kind, v.c.name, v.c.version)
                               .where(v.c.app == app, v.c.app_version == version)).all()
        by_revert = _reverted_rows(runtime, c, app)
        chosen = [r.id for r in at_version if (r.kind, r.name, r.version) not in by_revert] \
            or [r.id for r in at_version]
        until = max(chosen, default=None)
        if until is None:
            raise JimuError("revert.E002", msg(
                f"应用 {app} 没有版本 {version}；已有的版本: {', '.join(known)}",
                f"the app {app} has no version {version}; its versions are: {', '.join(known)}"),
                details=[{"app": app, "version": k} for k in known], status=404)
        rows = c.execute(sa.select(v.c.kind, v.c.name, v.c.body).where(v.c.app == app, v.c.id <= until)
                         .order_by(v.c.id)).all()
    out: dict[tuple[str, str], Any] = {}
    for r in rows:  # in stored order: the last one of each definition wins
        out[(r.kind, r.name)] = r.body
    return out


def current_bodies(runtime, app: str) -> dict[tuple[str, str], Any]:
    d = runtime.db.core["definition"]
    with runtime.connect() as c:
        return {(r.kind, r.name): r.body for r in c.execute(sa.select(d.c.kind, d.c.name, d.c.body)
                                                            .where(d.c.app == app))}


def _reverted_rows(runtime, conn: sa.Connection, app: str) -> set[tuple[str, str, int]]:
    """(kind, name, version) of every definition version a revert of ``app`` stored."""
    e = runtime.db.core["event_log"]
    out: set[tuple[str, str, int]] = set()
    for detail in conn.execute(sa.select(e.c.detail).where(e.c.kind == "app_reverted", e.c.target == app)).scalars():
        out.update((k, n, int(ver)) for k, n, ver in (detail or {}).get("stored") or ())
    return out


def revert_app(runtime, app: str, version: str, *, dry_run: bool = False, actor_id: int | None = None,
               on_plan=None, options=None) -> RevertResult:
    """Revert ``app`` to ``version``; ``on_plan(plan)`` sees the plan before anything is installed;
    ``options`` (lifecycle.migrate_values.UpgradeOptions) are what an upgrade may be told."""
    from ..install import install_bundle
    from .export import export_definitions, not_installed
    from .plan import plan_bundle

    if app not in runtime.apps:
        raise not_installed(app)
    bodies = undo_renames(current_bodies(runtime, app), bodies_at(runtime, app, version))
    with tempfile.TemporaryDirectory(prefix="jimu-revert-") as tmp:
        folder = Path(tmp) / app
        export_definitions(runtime, app, folder, bodies=bodies)
        plan = plan_bundle(runtime, folder, overwrite_local=True)  # a revert puts back local changes too
        if on_plan is not None:
            on_plan(plan)
        if dry_run or plan.action == "unchanged":
            return RevertResult(plan)
        result = install_bundle(runtime, folder, upgrade=True, actor_id=actor_id, options=options,
                                origin="revert")
    from ..identity.event_log import log_event

    with runtime.transaction() as conn:
        log_event(runtime, conn, "app_reverted", actor=actor_id, target=app,
                  detail={"to": version, "stored": [list(s) for s in result.versions]})
    return RevertResult(plan, result)
