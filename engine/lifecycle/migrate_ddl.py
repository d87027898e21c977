"""The table changes of an upgrade, inside the caller's transaction (SQLite and PostgreSQL both roll
DDL back), ending with the layout a fresh install of the new bundle would make: the same table,
column and index names, the same column types.

Both databases alter in place: RENAME TO, RENAME COLUMN, ADD COLUMN, DROP COLUMN (SQLite 3.35+). A
retyped column is emptied (PostgreSQL: ALTER TYPE ... USING NULL; SQLite, which cannot change a
column's type: the old column dropped and a new one added) and its converted values written by id
afterwards. SQLite's table rebuild (create, copy, drop, rename) is not used: with foreign keys on —
which cannot be turned off inside a transaction — dropping a table that other rows point at counts
as a violation that the rename does not undo, so the commit would fail. Index names carry the table's
and column's names, so indexes are made to match the new definition last."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.schema import CreateColumn


@dataclass
class TableChange:
    """One table kept across the upgrade: its new definition and what happens to its columns."""
    new: sa.Table
    from_name: str  # its physical name before (a renamed entity's or sub-table's old name)
    renames: dict[str, str] = field(default_factory=dict)  # new column -> old column
    adds: list[str] = field(default_factory=list)
    drops: list[str] = field(default_factory=list)
    retypes: list[str] = field(default_factory=list)  # new column names whose values are converted



def apply(conn: sa.Connection, changes: list[TableChange], created: list[sa.Table], dropped: list[str]) -> None:
    """``created``: new tables (parents first); ``dropped``: old table names (children first)."""
    sqlite = conn.dialect.name == "sqlite"
    q = conn.dialect.identifier_preparer.quote
    for ch in changes:
        if ch.from_name != ch.new.name:
            conn.exec_driver_sql(f"ALTER TABLE {q(ch.from_name)} RENAME TO {q(ch.new.name)}")
            if not sqlite:  # what PostgreSQL named after the table: as a fresh install names it
                conn.exec_driver_sql(f"ALTER SEQUENCE IF EXISTS {q(ch.from_name + '_id_seq')} "
                                     f"RENAME TO {q(ch.new.name + '_id_seq')}")
                conn.exec_driver_sql(f"ALTER INDEX IF EXISTS {q(ch.from_name + '_pkey')} "
                                     f"RENAME TO {q(ch.new.name + '_pkey')}")
    for t in created:
        t.create(conn)
    for ch in changes:
        _alter(conn, ch, sqlite)
        _match_indexes(conn, ch.new)
    for name in dropped:
        conn.exec_driver_sql(f"DROP TABLE {q(name)}")


def _alter(conn: sa.Connection, ch: TableChange, sqlite: bool) -> None:
    q = conn.dialect.identifier_preparer.quote
    t = q(ch.new.name)
    for new, old in ch.renames.items():
        conn.exec_driver_sql(f"ALTER TABLE {t} RENAME COLUMN {q(old)} TO {q(new)}")
    if sqlite:  # SQLite drops no indexed column: its indexes go first (made again at the end)
        going = set(ch.drops) | set(ch.retypes)
        for ix in sa.inspect(conn).get_indexes(ch.new.name):
            if going & set(ix["column_names"]):
                conn.exec_driver_sql(f"DROP INDEX {q(ix['name'])}")
        for name in ch.retypes:
            conn.exec_driver_sql(f"ALTER TABLE {t} RENAME COLUMN {q(name)} TO {q('_jimu_old_' + name)}")
    for name in ch.drops:  # PostgreSQL drops its indexes and keys with it
        conn.exec_driver_sql(f"ALTER TABLE {t} DROP COLUMN {q(name)}")
    for name in ch.adds + (ch.retypes if sqlite else []):
        _add_column(conn, ch.new, name, sqlite)
    for name in ch.retypes:  # emptied here: the converted values are written by id afterwards
        if sqlite:
            conn.exec_driver_sql(f"ALTER TABLE {t} DROP COLUMN {q('_jimu_old_' + name)}")
        else:
            sql_type = ch.new.c[name].type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {t} ALTER COLUMN {q(name)} TYPE {sql_type} USING NULL")


def _add_column(conn: sa.Connection, table: sa.Table, name: str, sqlite: bool) -> None:
    q = conn.dialect.identifier_preparer.quote
    col = table.c[name]
    ddl = str(CreateColumn(col).compile(dialect=conn.dialect))
    fks = list(col.foreign_keys)
    ref = f" REFERENCES {q(fks[0].column.table.name)} ({q(fks[0].column.name)})" if fks else ""
    if sqlite:  # SQLite takes the reference with the column (its default is NULL)
        conn.exec_driver_sql(f"ALTER TABLE {q(table.name)} ADD COLUMN {ddl}{ref}")
        return
    conn.exec_driver_sql(f"ALTER TABLE {q(table.name)} ADD COLUMN {ddl}")
    if fks:
        conn.exec_driver_sql(f"ALTER TABLE {q(table.name)} ADD FOREIGN KEY ({q(name)}){ref}")


def _match_indexes(conn: sa.Connection, t: sa.Table) -> None:
    """The table's indexes as its definition names them: ones it no longer has (or whose columns
    changed) dropped, missing ones made (a renamed table's, a new indexed field's)."""
    have = {ix["name"]: (tuple(ix["column_names"]), bool(ix.get("unique")))
            for ix in sa.inspect(conn).get_indexes(t.name)}
    want = {ix.name: (tuple(c.name for c in ix.columns), bool(ix.unique)) for ix in t.indexes}
    q = conn.dialect.identifier_preparer.quote
    for name, shape in have.items():
        if name.startswith("ix_") and want.get(name) != shape:
            conn.exec_driver_sql(f"DROP INDEX {q(name)}")
    for ix in t.indexes:
        if have.get(ix.name) != want[ix.name]:
            ix.create(conn)
