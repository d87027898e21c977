"""The platform's append-only event log: sign-ins and failures, role and permission changes, API
token use, handovers, admin bypass, exports. Entries are only ever inserted; admins filter them.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

KINDS = ("signin", "signin_failed", "signout", "token_created", "token_revoked", "token_used", "user_created",
         "user_changed", "password_changed", "role_assigned", "role_removed", "department_changed",
         "handover", "admin_bypass", "export", "print", "calendar_changed", "event_chain_stopped",
         "app_uninstalled", "app_reverted")
# the app lifecycle API (engine/api/apps_lifecycle.py): each step of a bundle upload and local edits
KINDS += ("bundle_uploaded", "bundle_planned", "bundle_applied", "bundle_refused", "definition_edited")


TARGET_LENGTH = 256  # the column's length (storage/core_tables.py)


def log_event(runtime, conn: sa.Connection, kind: str, *, actor: int | None, target: str | None = None,
              detail: dict[str, Any] | None = None, ip: str | None = None) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    if target is not None and len(target) > TARGET_LENGTH:  # a typed login or a URL can be any length
        target = target[:TARGET_LENGTH - 1] + "…"
    conn.execute(runtime.db.core["event_log"].insert().values(
        at=runtime.clock(), actor=actor, kind=kind, target=target, ip=ip, detail=detail or {}))


def query_events(runtime, *, kind: str | None = None, actor: int | None = None, since: dt.datetime | None = None,
                 until: dt.datetime | None = None, target: str | None = None, limit: int = 100,
                 offset: int = 0) -> dict:
    t = runtime.db.core["event_log"]
    conds = []
    if kind:
        conds.append(t.c.kind == kind)
    if actor is not None:
        conds.append(t.c.actor == actor)
    if since:
        conds.append(t.c.at >= since)
    if until:
        conds.append(t.c.at < until)
    if target:
        conds.append(t.c.target == target)
    with runtime.connect() as c:
        total = c.execute(sa.select(sa.func.count()).select_from(t).where(*conds)).scalar_one()
        rows = c.execute(sa.select(t).where(*conds).order_by(t.c.id.desc()).limit(limit).offset(offset)).mappings()
        items = [{**dict(r), "at": r["at"].isoformat() + "Z"} for r in rows]
    return {"items": items, "total": total}
