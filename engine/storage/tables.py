"""Tables made from compiled entities: one real table per entity, typed columns, indexed relations.

System columns come first on every table; relation fields become indexed foreign keys to the target
entity's table.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..compiled import CompiledApp, CompiledEntity


def system_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.BigInteger()),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.BigInteger()),
        sa.Column("owner", sa.BigInteger(), index=True),
        sa.Column("department", sa.BigInteger(), index=True),
        sa.Column("version", sa.Integer(), nullable=False, default=1),
        sa.Column("deleted_at", sa.DateTime(), index=True),
    ]


def field_column(app: CompiledApp, f, index: bool | None = None) -> sa.Column:
    """A stored field's column: its type's (or, for a type that depends on the app, worked out from
    it); a relation is an indexed foreign key to the target's table."""
    ctype = f.ftype.column_for(app, f) if f.ftype.column_for is not None else f.ftype.column(f.definition)
    if f.relation_to:
        target = app.entities[f.relation_to].table_name
        return sa.Column(f.column_name, ctype, sa.ForeignKey(f"{target}.id"), index=True)
    return sa.Column(f.column_name, ctype, index=f.index if index is None else index)


def entity_table(entity: CompiledEntity, app: CompiledApp, metadata: sa.MetaData) -> sa.Table:
    cols: list = system_columns() + [field_column(app, f) for f in entity.fields if f.stored]
    table = sa.Table(entity.table_name, metadata, *cols)
    for i, ix in enumerate(entity.indexes):
        names = [entity.by_name[n].column_name for n in ix["fields"]]
        sa.Index(f"ix_{entity.table_name}_{i}", *(table.c[n] for n in names), unique=bool(ix.get("unique")))
    return table


def app_tables(app: CompiledApp, metadata: sa.MetaData) -> dict[str, sa.Table]:
    tables = {name: entity_table(e, app, metadata) for name, e in app.entities.items()}
    for e in app.entities.values():  # then the tables some field types keep (a sub-table's rows)
        for f in e.fields:
            if f.ftype.tables_for is not None:
                f.ftype.tables_for(app, e, f, metadata)
    return tables
