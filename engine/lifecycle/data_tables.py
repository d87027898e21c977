"""Which tables hold an app's data for ``jimu export --with-data``, and which of their columns name a
user or a department (those travel as a login or a department path, never as an id: ids of people
differ between databases, ids of records do not).

- the app's own tables (``runtime.apps[app].metadata``: one per entity, plus the tables field types
  keep, a sub-table's rows): every row, ids kept, since relations are by id;
- platform tables holding rows with the app's name: the kernel's record audit and role assignments,
  and what engines declare with the ``app_data_tables()`` hook (autonumber counters, files, states).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..compiled import physical_name

People = Mapping[str, str]  # column -> "user" | "department"
SYSTEM_PEOPLE = {"created_by": "user", "updated_by": "user", "owner": "user", "department": "department"}


@dataclass(frozen=True)
class DataTable:
    """A platform table rows of which belong to an app (its ``app`` column names it).

    ``keep_ids``: its ids are named elsewhere (a file's id in a record), so they travel as they are;
    otherwise a row's own id is left out and the target numbers it anew. ``file_path(runtime, row)``:
    the bytes on disk a row stands for, exported beside it (``file_hash``: the column holding their
    sha256, checked when they are restored)."""

    table: str
    people: People = field(default_factory=dict)
    keep_ids: bool = False
    file_path: Callable[[Any, Mapping[str, Any]], Path] | None = None
    file_hash: str = "sha256"


def platform_tables() -> list[DataTable]:
    """The kernel's, then each engine's (``app_data_tables`` hook), in a stable order."""
    from ..plugins import hooks

    out = [DataTable("jimu_audit", {"actor": "user"}),
           DataTable("jimu_role_assignment", {"user_id": "user", "department_id": "department"})]
    for hook in hooks("app_data_tables"):
        out.extend(hook() or ())
    return out


def app_table_people(runtime, app: str) -> dict[str, dict[str, str]]:
    """table -> its people columns, for each of the app's own tables: an entity's system columns and
    its member/department fields; a table a field type keeps (a sub-table's rows) by the row fields of
    the entity it belongs to."""
    inst = runtime.apps[app]
    compiled = inst.compiled
    out: dict[str, dict[str, str]] = {}
    by_table = {e.table_name: e for e in compiled.entities.values()}
    for t in inst.metadata.sorted_tables:
        ent = by_table.get(t.name)
        if ent is not None:
            people = dict(SYSTEM_PEOPLE)
            for f in ent.fields:
                if f.stored and f.ftype.references_core in ("user", "department"):
                    people[f.column_name] = f.ftype.references_core
            out[t.name] = people
            continue
        parents = {fk.column.table.name for fk in t.foreign_keys}
        people = {}
        for parent in parents & by_table.keys():
            for f in by_table[parent].fields:
                for rd in f.definition.get("fields") or () if isinstance(f.definition.get("fields"), list) else ():
                    ftype = runtime.field_types.get(rd.get("type")) if isinstance(rd, Mapping) else None
                    col = physical_name(rd.get("name", ""), "f_") if ftype is not None else None
                    if ftype is not None and ftype.references_core in ("user", "department") and col in t.c:
                        people[col] = ftype.references_core
        out[t.name] = people
    return out


def app_column(table: sa.Table) -> sa.Column | None:
    return table.c["app"] if "app" in table.c else None
