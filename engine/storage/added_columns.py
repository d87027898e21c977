"""Columns a platform table gained after databases were made with it, added when a database is opened.

``create_all`` makes the tables a database lacks, never a column a table lacks: this adds those, with
the column's own type and server default (so the rows already there get it), idempotently. A column
may carry ``info={"after_add": fn}``: ``fn(conn)`` then runs in the same transaction, for what a
plain column cannot say (a default only some databases have, an index)."""
from __future__ import annotations

import sqlalchemy as sa


def add_missing_columns(engine: sa.Engine, md: sa.MetaData, write_options: dict) -> list[str]:
    """Add the columns of ``md``'s tables that the database lacks; returns them as "table.column"."""
    for attempt in (1, 2):
        try:
            return _add(engine, md, write_options)
        except sa.exc.DBAPIError:
            if attempt == 2:  # another process added them at the same moment: the second look sees them
                raise
    return []


def _add(engine: sa.Engine, md: sa.MetaData, write_options: dict) -> list[str]:
    added = []
    # one write transaction: SQLite's write lock keeps two processes from adding the same column
    with engine.connect() as conn, conn.execution_options(**write_options).begin():
        prep = conn.dialect.identifier_preparer
        for table in md.sorted_tables:
            # the columns a query returns: much cheaper than the catalog (an inspector costs PostgreSQL
            # a good part of a second, on every open)
            have = set(conn.exec_driver_sql(f"SELECT * FROM {prep.format_table(table)} LIMIT 0").keys())
            for col in table.columns:
                if col.name in have:
                    continue
                ddl = sa.schema.CreateColumn(col).compile(dialect=conn.dialect)
                conn.exec_driver_sql(f"ALTER TABLE {prep.format_table(table)} ADD COLUMN {ddl}")
                hook = col.info.get("after_add")
                if hook is not None:
                    hook(conn)
                added.append(f"{table.name}.{col.name}")
    return added
