"""The stored definitions of installed apps and their history.

``jimu_definition`` holds one row per definition (app, kind, name): the current one, with a pointer
(``current_version``) into ``jimu_definition_version``, which keeps every version a definition has had
(content, hash, app version, when, who). An install stores version 1 of each; a later install of
changed definitions stores a new version of each CHANGED one only, so what a running job (or flow
instance) started on can be read back exactly, and nothing is lost to revert to.

Each version says where it came from (``origin``: bundle, upload, local, revert); ``base_version`` on
the current row is the last version a vendor bundle installed (origin bundle or upload). A definition
whose content is not its base's was changed locally: an install of a bundle keeps it
(engine/lifecycle/local_changes.py) and leaves its base where it was, for a three-way merge later.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .compiled import CompiledApp, content_hash
from .errors import JimuError, msg


def definition_rows(app: CompiledApp) -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) -> the row to store: the app manifest, roles, entities and the engines' kinds."""
    rows = {("app", app.name): {"hash": content_hash(app.documents["app"]), "body": app.documents["app"],
                                "physical": None}}
    if app.documents["roles"] is not None:
        rows[("roles", "roles")] = {"hash": content_hash(app.documents["roles"]), "body": app.documents["roles"],
                                    "physical": None}
    for e in app.entities.values():
        rows[("entity", e.name)] = {"hash": e.hash, "body": dict(e.definition),
                                    "physical": {"table": e.table_name,
                                                 "columns": {f.name: f.column_name for f in e.fields}}}
    for kind, named in (app.documents.get("definitions") or {}).items():
        for name, body in named.items():
            rows[(kind, name)] = {"hash": content_hash(body), "body": body, "physical": None}
    return rows


def stored_hashes(runtime, conn: sa.Connection, app: str) -> dict[tuple[str, str], str]:
    d = runtime.db.core["definition"]
    return {(r.kind, r.name): r.hash for r in conn.execute(sa.select(d.c.kind, d.c.name, d.c.hash)
                                                           .where(d.c.app == app))}


VENDOR_ORIGINS = frozenset({"bundle", "upload"})  # versions that become a definition's base


def store_definitions(runtime, app: CompiledApp, conn: sa.Connection, *, actor_id: int | None = None,
                      origin: str = "bundle", kept: frozenset | set | tuple = ()) -> list[tuple[str, str, int]]:
    """Store ``app``'s definitions: a new version of each one that is new or changed (by hash), the
    current row pointing at it; definitions the app no longer has leave jimu_definition (their history
    stays). Returns (kind, name, version) of each version stored. Runs in the caller's transaction.

    With a vendor ``origin`` each definition's base becomes its current version, except the local
    changes the install ``kept`` ((kind, name) pairs): their base stays the vendor version they were
    changed from. Other origins (a local edit, a revert) leave every base as it was."""
    vendor = origin in VENDOR_ORIGINS
    now = runtime.clock()
    a, d, v = runtime.db.core["app"], runtime.db.core["definition"], runtime.db.core["definition_version"]
    if conn.execute(sa.select(a.c.name).where(a.c.name == app.name)).first() is None:
        conn.execute(a.insert().values(name=app.name, version=app.version, hash=app.hash, installed_at=now,
                                       updated_at=now))
    else:
        conn.execute(a.update().where(a.c.name == app.name).values(version=app.version, hash=app.hash,
                                                                   updated_at=now))
    old = {(r.kind, r.name): r for r in conn.execute(sa.select(d).where(d.c.app == app.name))}
    last = {(r.kind, r.name): r.n for r in conn.execute(
        sa.select(v.c.kind, v.c.name, sa.func.max(v.c.version).label("n")).where(v.c.app == app.name)
        .group_by(v.c.kind, v.c.name))}
    stored: list[tuple[str, str, int]] = []
    for (kind, name), row in definition_rows(app).items():
        before = old.get((kind, name))
        if before is not None and before.hash == row["hash"]:
            if vendor and (kind, name) not in kept and before.base_version != before.current_version:
                # the bundle now ships what was changed locally: it is the vendor's again
                conn.execute(d.update().where(d.c.app == app.name, d.c.kind == kind, d.c.name == name)
                             .values(base_version=before.current_version))
            continue
        number = last.get((kind, name), 0)
        if before is not None and number == 0:
            # a database made before versions: what it held becomes version 1, so it stays readable
            number = 1
            conn.execute(v.insert().values(app=app.name, kind=kind, name=name, version=1, hash=before.hash,
                                           body=before.body, app_version=before.version, installed_at=now,
                                           installed_by=None))
        number += 1
        conn.execute(v.insert().values(app=app.name, kind=kind, name=name, version=number, hash=row["hash"],
                                       body=row["body"], app_version=app.version, installed_at=now,
                                       installed_by=actor_id, origin=origin))
        values = {"version": app.version, "hash": row["hash"], "body": row["body"], "current_version": number}
        if vendor and (kind, name) not in kept:
            values["base_version"] = number
        if before is None:
            conn.execute(d.insert().values(app=app.name, kind=kind, name=name, physical=row["physical"], **values))
        else:  # an upgrade has made the tables match the new names (a renamed field's column)
            conn.execute(d.update().where(d.c.app == app.name, d.c.kind == kind, d.c.name == name)
                         .values(physical=row["physical"], **values))
        stored.append((kind, name, number))
    for kind, name in set(old) - set(definition_rows(app)):
        conn.execute(d.delete().where(d.c.app == app.name, d.c.kind == kind, d.c.name == name))
    return stored


def list_versions(runtime, app: str) -> list[dict[str, Any]]:
    """Every stored version of an app's definitions, newest first within each definition."""
    d, v = runtime.db.core["definition"], runtime.db.core["definition_version"]
    with runtime.connect() as c:
        current = {(r.kind, r.name): r.current_version
                   for r in c.execute(sa.select(d.c.kind, d.c.name, d.c.current_version).where(d.c.app == app))}
        base = {(r.kind, r.name): r.base_version
                for r in c.execute(sa.select(d.c.kind, d.c.name, d.c.base_version).where(d.c.app == app))}
        rows = c.execute(sa.select(v.c.kind, v.c.name, v.c.version, v.c.hash, v.c.app_version, v.c.installed_at,
                                   v.c.installed_by, v.c.origin).where(v.c.app == app)
                         .order_by(v.c.kind, v.c.name, v.c.version.desc())).mappings().all()
    return [{**r, "current": current.get((r["kind"], r["name"])) == r["version"],
             "base": base.get((r["kind"], r["name"])) == r["version"]} for r in rows]


def local_changes(runtime, conn: sa.Connection, app: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) -> the current row of each definition changed locally: its content is not that of
    its vendor base (by hash, so a local edit undone, or reverted, is the vendor's again), or it has no
    base (made locally). Each row has the body, hash, current_version and base_version."""
    d, v = runtime.db.core["definition"], runtime.db.core["definition_version"]
    base = v.alias("base")
    rows = conn.execute(
        sa.select(d.c.kind, d.c.name, d.c.body, d.c.hash, d.c.current_version, d.c.base_version,
                  base.c.hash.label("base_hash"))
        .select_from(d.outerjoin(base, sa.and_(base.c.app == d.c.app, base.c.kind == d.c.kind,
                                               base.c.name == d.c.name, base.c.version == d.c.base_version)))
        .where(d.c.app == app)).mappings()
    return {(r["kind"], r["name"]): dict(r) for r in rows if is_local(r["current_version"], r["hash"], r["base_hash"])}


def is_local(current: int | None, current_hash: str, base_hash: str | None) -> bool:
    """A definition changed in place: its content is not its vendor base's (a database made before
    versions has no current version: all it holds came from bundles)."""
    return current is not None and current_hash != base_hash


def read_version(runtime, app: str, kind: str, name: str, version: int) -> dict[str, Any]:
    """One stored version with its content; 404 (definition.E404) when there is none."""
    v = runtime.db.core["definition_version"]
    with runtime.connect() as c:
        r = c.execute(sa.select(v).where(v.c.app == app, v.c.kind == kind, v.c.name == name,
                                         v.c.version == version)).mappings().first()
    if r is None:
        raise JimuError("definition.E404", msg(f"{app} 没有 {kind} '{name}' 的第 {version} 版",
                                               f"{app} has no version {version} of {kind} '{name}'"), status=404)
    return {k: r[k] for k in ("kind", "name", "version", "hash", "app_version", "installed_at", "installed_by",
                              "origin", "body")}
