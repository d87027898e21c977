"""The platform's own tables: installed apps and their definitions, the record audit, the organisation
(users, departments, role assignments), sign-in (sessions, API tokens, attempts) and the event log.

Definitions are stored as documents with their content hash so that an upgrade can diff what the
database holds against a new bundle, and so `jimu serve` compiles apps from the database, not from
files.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _bases_are_current(conn) -> None:
    conn.exec_driver_sql("UPDATE jimu_definition SET base_version = current_version")


def core_metadata() -> tuple[sa.MetaData, dict[str, sa.Table]]:
    md = sa.MetaData()
    t = {}
    t["app"] = sa.Table(
        "jimu_app", md,
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        # installed with its demo data: an upgrade loads the demo records of entities it adds
        sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    t["backup"] = sa.Table(  # data an upgrade dropped (--allow-data-loss), kept until `jimu backups --purge`
        "jimu_backup", md,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("app", sa.String(64), nullable=False, index=True),
        sa.Column("entity", sa.String(128), nullable=False),  # customer, or quote.lines for a sub-table
        sa.Column("field", sa.String(128)),  # None: the whole table was kept
        sa.Column("table_name", sa.String(64), nullable=False),  # jimu_backup_<id>
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("plan", JSON, nullable=False),  # why: versions, the change, the field's definition
    )
    t["definition"] = sa.Table(
        "jimu_definition", md,
        sa.Column("app", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),  # app, entity, roles, or an engine's kind
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("physical", JSON),  # table and column names chosen at install, kept across upgrades
        # the row of jimu_definition_version this one is (None in a database made before versions)
        sa.Column("current_version", sa.Integer()),
        # the last version installed from a vendor bundle: a current body other than its body is a local
        # change, which an install keeps (engine/lifecycle/local_changes.py); a database made before this
        # column takes its current versions as the base (they all came from bundles)
        sa.Column("base_version", sa.Integer(), info={"after_add": _bases_are_current}),
    )
    t["definition_version"] = sa.Table(  # every version a definition has had: running work pins one
        "jimu_definition_version", md,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("app", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),  # 1, 2, 3... per definition
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("app_version", sa.String(32), nullable=False),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.Column("installed_by", sa.BigInteger()),  # a user; None from the command line
        # where the version came from: bundle (an install), upload (the lifecycle API), local (an edit in
        # place), revert...
        sa.Column("origin", sa.String(16), nullable=False, server_default="bundle"),
        sa.UniqueConstraint("app", "kind", "name", "version", name="uq_jimu_definition_version"),
    )
    t["audit"] = sa.Table(
        "jimu_audit", md,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.BigInteger()),
        sa.Column("app", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(128), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),  # create, update, delete, restore
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changes", JSON, nullable=False),  # {field: [old, new]} in API (JSON) form
        sa.Index("ix_jimu_audit_record", "app", "entity", "record_id"),
    )
    _id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    t["department"] = sa.Table(
        "jimu_department", md,
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("code", sa.String(64), unique=True),
        sa.Column("parent_id", sa.BigInteger(), sa.ForeignKey("jimu_department.id"), index=True),
        sa.Column("head_id", sa.BigInteger()),  # a user; no FK: users and departments point at each other
        sa.Column("active", sa.Boolean(), nullable=False, default=True),
    )
    t["user"] = sa.Table(
        "jimu_user", md,
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(128), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(32)),
        sa.Column("active", sa.Boolean(), nullable=False, default=True),
        sa.Column("language", sa.String(8), nullable=False, default="zh"),
        sa.Column("time_zone", sa.String(64), nullable=False, default="Asia/Shanghai"),
        sa.Column("department_id", sa.BigInteger(), sa.ForeignKey("jimu_department.id"), index=True),
        sa.Column("manager_id", sa.BigInteger(), sa.ForeignKey("jimu_user.id")),
        sa.Column("is_admin", sa.Boolean(), nullable=False, default=False),  # platform admin: explicit bypass
        sa.Column("password_hash", sa.String(256)),
        sa.Column("profile", JSON),  # profile fields a bundle declares (region, sales team...)
        sa.Column("created_at", sa.DateTime()),
    )
    t["role_assignment"] = sa.Table(
        "jimu_role_assignment", md,
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("app", sa.String(64), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("jimu_user.id"), index=True),
        sa.Column("department_id", sa.BigInteger(), sa.ForeignKey("jimu_department.id"), index=True),
        sa.CheckConstraint("(user_id IS NULL) <> (department_id IS NULL)", name="ck_role_assignment_one_target"),
    )
    t["session"] = sa.Table(
        "jimu_session", md,
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 of the cookie value
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("jimu_user.id"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime()),
        sa.Column("revoked_at", sa.DateTime()),
    )
    t["api_token"] = sa.Table(
        "jimu_api_token", md,
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("jimu_user.id"), nullable=False, index=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),  # shown in lists so a token can be recognised
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime()),
        sa.Column("last_used_at", sa.DateTime()),
        sa.Column("revoked_at", sa.DateTime()),
    )
    t["login_attempt"] = sa.Table(
        "jimu_login_attempt", md,
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(128), nullable=False, index=True),
        sa.Column("ip", sa.String(64), index=True),
        sa.Column("at", sa.DateTime(), nullable=False, index=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
    )
    t["unique_probe"] = sa.Table(  # unique-value conflicts a user was told of (identity/probes.py)
        "jimu_unique_probe", md,
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("at", sa.DateTime(), nullable=False, index=True),
        sa.Column("n", sa.Integer, nullable=False),
    )
    t["event_log"] = sa.Table(  # the platform's append-only audit log (records have jimu_audit)
        "jimu_event_log", md,
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False, index=True),
        sa.Column("actor", sa.BigInteger(), index=True),
        sa.Column("kind", sa.String(32), nullable=False, index=True),  # signin, signin_failed, role_change...
        sa.Column("target", sa.String(256)),
        sa.Column("ip", sa.String(64)),
        sa.Column("detail", JSON),
    )
    from ..platform import comments_schema, events_schema, inbox_schema, jobs_schema, views_schema  # own tables

    for service in (events_schema, jobs_schema, inbox_schema, views_schema, comments_schema):
        t.update(service.add_tables(md))
    from ..plugins import hooks

    for hook in hooks("add_tables"):  # engines above the kernel own tables too (counters, files...)
        t.update(hook(md))
    return md, t


SYSTEM_USER_LOGIN = "system"
