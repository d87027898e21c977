"""The outbox: every committed write's events, and how far each handler has got through them."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from ..storage.capabilities import capabilities

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def add_tables(md: sa.MetaData) -> dict[str, sa.Table]:
    event = sa.Table(
        "jimu_event", md,
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        # the writing transaction's id where the database has transaction snapshots (set by the
        # column's default, whoever inserts); 0 elsewhere, and in rows older than the column.
        # Readers take events by snapshot: see event_window.py
        sa.Column("xact", sa.BigInteger(), nullable=False, server_default="0",
                  info={"after_add": _order_by_xact}),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),  # record.created, record.updated, ... flow.* later
        sa.Column("app", sa.String(64)),
        sa.Column("entity", sa.String(128)),
        sa.Column("record_id", sa.BigInteger()),
        sa.Column("version", sa.Integer()),
        sa.Column("actor", sa.BigInteger()),
        # a record event's changes are its audit entry's (same app, entity, record and version), read
        # at dispatch instead of written twice; other events carry their payload here
        sa.Column("payload", _JSON),
        # how many events led to this one: 0 for a user's write, the cause's depth + 1 for what a
        # handler emits or writes while handling it (events.emit); ``cause`` is that event's id
        sa.Column("depth", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("cause", sa.BigInteger()),
        sa.Index("ix_jimu_event_record", "app", "entity", "record_id"),
    )
    sa.event.listen(event, "after_create", lambda _t, conn, **_kw: _order_by_xact(conn))
    cursor = sa.Table(  # one row per handler: where it is in the outbox; everything before, handled once
        "jimu_event_cursor", md,
        sa.Column("handler", sa.String(128), primary_key=True),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        # where events carry transaction ids: every event visible in ``snapshot`` has been handled, and
        # of those visible in ``batch_snapshot`` the ones up to last_id (platform/event_window.py)
        sa.Column("snapshot", sa.Text()),
        sa.Column("batch_snapshot", sa.Text()),
        sa.Column("failures", sa.Integer(), nullable=False, default=0),
        sa.Column("last_error", sa.Text()),
        sa.Column("retry_at", sa.DateTime()),
        sa.Column("updated_at", sa.DateTime()),
    )
    return {"event": event, "event_cursor": cursor}


def _order_by_xact(conn: sa.Connection) -> None:
    """Where transactions have ids, new events take their transaction's (rows already there keep 0,
    so they come first, in id order, as they did) and readers get an index in (xact, id) order.
    Elsewhere ids alone are in commit order and no index is added to the write path."""
    caps = capabilities(conn.dialect)
    if caps.xact_id_sql is None:
        return
    conn.exec_driver_sql(f"ALTER TABLE jimu_event ALTER COLUMN xact SET DEFAULT ({caps.xact_id_sql})")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_jimu_event_xact ON jimu_event (xact, id)")
