"""Seed and demo data shipped in a bundle's ``seed/`` folder, loaded through the bulk write path.

```yaml
demo: true            # only loaded when demo data is asked for
records:
  customer:
    - {_key: huawei, name: 华为技术有限公司, owner: rep_east1}
  contact:
    - {customer: "@huawei", name: 张伟}    # "@key" in a relation field: a record loaded earlier
  visit:
    - {customer: "@huawei", host: rep_east1, team: sales_east}   # member: a login; department: a code
```
Entities load in the order their ``@key`` references need (networkx topological sort), so a file may
list them in any order. ``jimu check`` checks all of this (engine/bundle/value_check.py) with the same
``seed_rows`` and ``load_order``; a problem found only at install (a validation, a unique value) is
reported like a check's: file, JSON path and line.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import networkx as nx
import sqlalchemy as sa

from .bundle.documents import Document
from .bundle.errors import BundleError, PathPart, problem, seed_invalid
from .compiled import CompiledApp
from .errors import ValidationFailed

Parts = tuple[PathPart, ...]


@dataclass(frozen=True)
class SeedRow:
    doc: Document
    parts: Parts  # ("records", entity, index in its file)
    data: dict[str, Any]

    @property
    def demo(self) -> bool:
        return is_demo(self.doc)


def is_demo(doc: Document) -> bool:
    return isinstance(doc.data, dict) and doc.data.get("demo") is True


def is_ref(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("@")


def at(doc: Document, parts: Parts, code: str, zh: str, en: str) -> BundleError:
    return problem(code, doc.name, parts, doc.line_of(parts), zh, en)


def seed_rows(app: CompiledApp, docs: list[Document]) -> tuple[dict[str, list[SeedRow]], list[tuple[Document, str]]]:
    """Every record of the seed files by entity, in file order; and the (file, entity) pairs that name
    no entity of the app."""
    rows: dict[str, list[SeedRow]] = {}
    unknown = []
    for doc in docs:
        records = doc.data.get("records") if isinstance(doc.data, dict) else None
        for entity, items in (records or {}).items() if isinstance(records, dict) else ():
            if entity not in app.entities:
                unknown.append((doc, entity))
                continue
            for i, r in enumerate(items if isinstance(items, list) else ()):
                if isinstance(r, dict):
                    rows.setdefault(entity, []).append(SeedRow(doc, ("records", entity, i), r))
    return rows, unknown


def relation_refs(field_defs, data: Mapping[str, Any], parts: Parts = ()) -> Iterator[tuple[Parts, Mapping, str]]:
    """(path, relation field definition, "@key") for every reference in a record, sub-table rows included."""
    by_name = {fd.get("name"): fd for fd in field_defs or ()}
    for key, value in data.items():
        fd = by_name.get(key)
        if fd is None:
            continue
        if fd.get("type") == "relation" and is_ref(value):
            yield parts + (key,), fd, value
        elif isinstance(fd.get("fields"), list) and isinstance(value, list):
            for j, row in enumerate(value):
                if isinstance(row, dict):
                    yield from relation_refs(fd["fields"], row, parts + (key, j))


def load_order(app: CompiledApp, rows: dict[str, list[SeedRow]]) -> list[str]:
    """The entities in an order where every ``@key`` refers to an entity loaded before; raises
    ``nx.NetworkXUnfeasible`` when references go round in a cycle."""
    g = nx.DiGraph()
    g.add_nodes_from(rows)
    for entity, items in rows.items():
        fields = app.entities[entity].definition.get("fields") or ()
        for r in items:
            for _parts, fd, _ref in relation_refs(fields, r.data):
                if fd["to"] in rows and fd["to"] != entity:
                    g.add_edge(fd["to"], entity)
    return list(nx.lexicographical_topological_sort(g))


def load_seed(runtime, app: CompiledApp, docs: list[Document], conn: sa.Connection,
              demo: bool = False) -> dict[str, int]:
    """Insert the organisation, then every seed record, inside the caller's transaction; returns counts
    per entity. Any problem raises ``seed.invalid`` naming the file, the JSON path and the line."""
    from .identity.org_seed import load_org

    docs = [d for d in docs if isinstance(d.data, dict) and (demo or not is_demo(d))]
    counts = {k: v for k, v in load_org(runtime, app.name, docs, conn).items() if v}
    rows, unknown = seed_rows(app, docs)
    if unknown:
        raise seed_invalid([at(d, ("records", e), "seed.E001", f"没有实体 '{e}'", f"no entity '{e}'")
                            for d, e in unknown])
    try:
        order = load_order(app, rows)
    except nx.NetworkXUnfeasible:
        doc = next(iter(rows.values()))[0].doc
        raise seed_invalid([at(doc, ("records",), "seed.E003", "种子记录的 @引用 形成循环",
                                "the @key references of the seed records go round in a cycle")]) from None
    people = _People(runtime, conn)
    keys: dict[str, tuple[str, int]] = {}
    for entity in order:
        ent = app.entities[entity]
        fields = ent.definition.get("fields") or ()
        data, key_of, problems = [], [], []
        for r in rows[entity]:
            values = copy.deepcopy({k: v for k, v in r.data.items() if k != "_key"})  # the document stays as read
            key_of.append(r.data.get("_key"))
            for parts, fd, ref in relation_refs(fields, values):
                hit = keys.get(ref[1:])
                if hit is None or hit[0] != fd["to"]:
                    problems.append(at(r.doc, r.parts + parts, "seed.E003", f"引用了未知的键 {ref}",
                                       f"refers to an unknown key {ref}"))
                else:
                    _put(values, parts, hit[1])
            problems += people.resolve(r, ent, values)
            data.append(values)
        if problems:
            raise seed_invalid(problems)
        try:
            ids = runtime.records(app.name, entity).create_many(data, conn=conn)
        except ValidationFailed as e:
            raise seed_invalid([_located(rows[entity], d) for d in e.details]) from None
        for k, i in zip(key_of, ids):
            if k:
                keys[k] = (entity, i)
        counts[entity] = len(ids)
    return counts


def _put(values: dict, parts: Parts, value: Any) -> None:
    target: Any = values
    for p in parts[:-1]:
        target = target[p]
    target[parts[-1]] = value


_STEP = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


def _located(rows: list[SeedRow], d: Mapping[str, Any]) -> BundleError:
    """A bulk-write problem at ``[i].lines[2].qty`` placed at its seed file, record and line."""
    steps: list[PathPart] = [int(n) if n else name for n, name in _STEP.findall(str(d.get("path", "")))]
    if steps and isinstance(steps[0], int) and steps[0] < len(rows):
        r = rows[steps[0]]
        doc, parts = r.doc, r.parts + tuple(steps[1:])
    else:
        r = rows[0]
        doc, parts = r.doc, r.parts[:2]
    m = d.get("message") or {}
    return at(doc, parts, "seed.E002", m.get("zh", ""), m.get("en", ""))


class _People:
    """Logins and department codes of seed records turned into ids, each looked up once."""

    def __init__(self, runtime, conn: sa.Connection) -> None:
        self.rt, self.conn = runtime, conn
        self.cache: dict[tuple[str, str], int | None] = {}

    def id_of(self, kind: str, key: str) -> int | None:
        if (kind, key) not in self.cache:
            t = self.rt.db.core[kind]
            col = t.c.login if kind == "user" else t.c.code
            self.cache[(kind, key)] = self.conn.execute(sa.select(t.c.id).where(col == key)).scalar()
        return self.cache[(kind, key)]

    def resolve(self, r: SeedRow, ent, values: dict) -> list[BundleError]:
        out = []
        if isinstance(values.get("owner"), str):
            out += self._one(r, values, "owner", ("owner",), "user")
        out += self._fields(r, ent.definition.get("fields") or (), values, ())
        return out

    def _fields(self, r: SeedRow, field_defs, values: dict, parts: Parts) -> list[BundleError]:
        out = []
        for fd in field_defs:
            v = values.get(fd.get("name"))
            if fd.get("type") in ("user", "department") and isinstance(v, str) and v.strip():
                out += self._one(r, values, fd["name"], parts + (fd["name"],), fd["type"])
            elif isinstance(fd.get("fields"), list) and isinstance(v, list):
                for j, row in enumerate(v):
                    if isinstance(row, dict):
                        out += self._fields(r, fd["fields"], row, parts + (fd["name"], j))
        return out

    def _one(self, r: SeedRow, values: dict, name: str, parts: Parts, kind: str) -> list[BundleError]:
        key = values[name].strip()
        found = self.id_of(kind, key)
        if found is None:
            zh, en = ("登录名为 {} 的用户", "user with the login {}") if kind == "user" else \
                ("编码为 {} 的部门", "department with the code {}")
            return [at(r.doc, r.parts + parts, "seed.E005", f"没有{zh.format(key)}", f"no {en.format(key)}")]
        values[name] = found
        return []
