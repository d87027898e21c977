"""A write holds its app's shape: an upgrade (``engine/lifecycle/migrate.py``) may not change the
tables under a write that was built from the old definitions.

People keep saving while an app is upgraded. A write that was parsed and checked against the old
definitions and then waited for the upgrade's locks would, once the upgrade commits, insert into a
column that was renamed or dropped: a server error, in this process or any other. So every write
transaction first takes the app's lock in shared mode (PostgreSQL: a shared advisory lock, which an
upgrade takes exclusively; SQLite's write transaction already holds the database's one write lock),
then checks that the app as stored is the one the write was built from. If not, the write is refused
with a 409 and nothing is written; the runtime loads the new definitions, so trying again works.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..errors import Conflict, msg

_CHECKED = "jimu.app_shape_checked"  # conn.info: (the transaction, the apps it has checked)


def app_lock_key(app: str) -> str:
    return f"jimu.app:{app}"


def lock_app_exclusively(conn: sa.Connection, app: str) -> None:
    """An upgrade's side: in-flight writes of the app finish first, new ones wait for its commit."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": app_lock_key(app)})


def hold_app_shape(runtime, conn: sa.Connection, app) -> None:
    """In a write transaction: refuse (409, app.E409) when ``app`` (the CompiledApp the write was built
    from) is no longer the installed one. Once per transaction and app."""
    tx = conn.get_transaction()
    held = conn.info.get(_CHECKED)
    if held is None or held[0] is not tx:  # the transaction itself is kept: an id() is reused
        held = conn.info[_CHECKED] = (tx, set())
    if app.name in held[1]:
        return
    apps = runtime.db.core["app"]
    if conn.dialect.name == "postgresql":
        # two statements: the hash is read in a snapshot taken after the lock was granted (one statement
        # would read the snapshot from before it waited, the upgrade it waited for unseen)
        conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(hashtextextended(:k, 0))"),
                     {"k": app_lock_key(app.name)})
    stored = conn.execute(sa.select(apps.c.hash).where(apps.c.name == app.name)).scalar()
    if stored is not None and stored != app.hash:
        loaded = runtime.apps.get(app.name)
        if loaded is None or loaded.compiled.hash != stored:
            runtime.load_installed()  # another process upgraded it: this one follows
        raise Conflict("app.E409", msg(
            f"应用 {app.name} 刚刚升级，本次保存未写入任何内容；请重新打开后再试",
            f"the app {app.name} was just upgraded; nothing was saved — open it again and retry"),
            details=[{"app": app.name}])
    held[1].add(app.name)
