"""Opening a database: SQLite in a file (WAL mode) by default, PostgreSQL by URL, the same code."""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from rules.expr.sql_backend import register_sqlite_functions

from .added_columns import add_missing_columns
from .capabilities import Capabilities, capabilities
from .core_tables import SYSTEM_USER_LOGIN, core_metadata

DEFAULT_URL = "sqlite:///./data/jimu.db"


def normalise_url(url: str) -> str:
    """postgresql:// URLs use the psycopg 3 driver, which is what the project installs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@dataclass
class Database:
    engine: sa.Engine
    caps: Capabilities
    core: dict[str, sa.Table] = field(repr=False)
    core_md: sa.MetaData = field(repr=False)
    system_user_id: int = 1

    def begin(self):
        return self.engine.begin()

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str | None = None) -> Database:
    url = normalise_url(url or os.environ.get("JIMU_DATABASE_URL") or DEFAULT_URL)
    kwargs = {}
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    kwargs["json_serializer"] = _json_dumps
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
    md, core = core_metadata()
    db = Database(engine=engine, caps=capabilities(engine.dialect), core=core, core_md=md)
    md.create_all(engine)
    add_missing_columns(engine, md, {WRITE_OPTION: True})  # a database made by an earlier version
    db.system_user_id = _ensure_system_user(db)
    return db


def _sqlite_begin(conn) -> None:
    """pysqlite's own transaction handling is off (see _sqlite_on_connect); a write transaction
    takes the database's write lock when it starts, so its reads and its writes see one state and
    ids can be assigned inside it; reads begin deferred and run beside it (WAL)."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")


WRITE_OPTION = "jimu_write"


def _sqlite_on_connect(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # autocommit at the driver; SQLAlchemy's "begin" event issues BEGIN
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
    # permission scopes and filters written in the formula language need these on every connection
    register_sqlite_functions(dbapi_conn)


def _ensure_system_user(db: Database) -> int:
    """Until sign-in exists, writes are made by a configured system user."""
    users = db.core["user"]
    with db.begin() as conn:
        uid = conn.execute(sa.select(users.c.id).where(users.c.login == SYSTEM_USER_LOGIN)).scalar()
        if uid is None:
            uid = conn.execute(users.insert().values(login=SYSTEM_USER_LOGIN, name="System", active=True)
                               ).inserted_primary_key[0]
    return int(uid)


def _json_default(o):
    """JSON columns hold decimals as their exact text and dates in ISO form; readers that know the
    field type (the audit history) turn them back into values."""
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, (dt.date, dt.datetime, dt.time)):
        return o.isoformat()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _json_dumps(o) -> str:
    # the C encoder of the standard library: audit entries are written on every record write
    return json.dumps(o, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
