"""The outbox: every committed write's events, and how far each handler has got through them."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def add_tables(md: sa.MetaData) -> dict[str, sa.Table]:
    event = sa.Table(
        "jimu_event", md,
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
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
        sa.Index("ix_jimu_event_record", "app", "entity", "record_id"),
    )
    cursor = sa.Table(  # one row per handler: everything up to last_id has been handled, exactly once
        "jimu_event_cursor", md,
        sa.Column("handler", sa.String(128), primary_key=True),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False, default=0),
        sa.Column("last_error", sa.Text()),
        sa.Column("retry_at", sa.DateTime()),
        sa.Column("updated_at", sa.DateTime()),
    )
    return {"event": event, "event_cursor": cursor}
