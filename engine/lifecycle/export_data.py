"""``jimu export --with-data``: the app's records beside its definitions, under ``data/``.

    data/export.yaml              format, app, and the number of rows of each table and of files
    data/people.yaml              the users and departments the rows name (login, department path)
    data/records/<table>.jsonl    each of the app's own tables, every column, ids kept, in id order
    data/platform/<table>.jsonl   the app's rows of platform tables (audit, counters, files, states...)
    data/files/<sha256>           the bytes of each file a row stands for, named by their hash

Every column naming a user holds that user's login, one naming a department its path (the names from
the top department down): people get other ids in another database, records keep theirs. No password
hash, session or token is ever written. Everything is read in one snapshot, and written in the
canonical forms of data_codec.py and export_yaml.py, so the same state exports to the same bytes.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from ..errors import JimuError, msg
from .data_codec import encode, line
from .data_tables import DataTable, app_table_people, platform_tables
from .export_yaml import dump_yaml

FORMAT = 1


def data_files(runtime, app: str) -> dict[str, bytes]:
    """Bundle path -> bytes of everything under ``data/`` for ``app``."""
    inst = runtime.apps[app]
    people_cols = app_table_people(runtime, app)
    core = runtime.db.core
    with runtime.db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":  # one snapshot for every table
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            refs = _Refs(runtime, conn)
            out: dict[str, bytes] = {}
            counts: dict[str, dict[str, int]] = {"records": {}, "platform": {}}
            for t in inst.metadata.sorted_tables:
                rows = _rows(conn, t, None)
                text = "".join(line(refs.row(t, r, people_cols.get(t.name, {}), keep_id=True)) for r in rows)
                out[f"data/records/{t.name}.jsonl"] = text.encode("utf-8")
                counts["records"][str(t.name)] = len(rows)
            files: dict[str, bytes] = {}
            for spec in platform_tables():
                t = runtime.db.core_md.tables.get(spec.table)
                if t is None or "app" not in t.c:
                    continue
                rows = _rows(conn, t, t.c.app == app)
                text = "".join(line(refs.row(t, r, spec.people, keep_id=spec.keep_ids or "id" not in t.c))
                               for r in rows)
                out[f"data/platform/{t.name}.jsonl"] = text.encode("utf-8")
                counts["platform"][str(t.name)] = len(rows)
                files.update(_files(runtime, spec, rows))
            out.update({f"data/files/{h}": b for h, b in files.items()})
            out["data/people.yaml"] = dump_yaml(refs.people()).encode("utf-8")
    a = core["app"]
    with runtime.connect() as c:
        version = c.execute(sa.select(a.c.version).where(a.c.name == app)).scalar()
    manifest = {"format": FORMAT, "app": app, "version": version, "records": counts["records"],
                "platform": counts["platform"], "files": len(files)}
    out["data/export.yaml"] = dump_yaml(manifest).encode("utf-8")
    return dict(sorted(out.items()))


def _rows(conn: sa.Connection, t: sa.Table, where) -> list[dict[str, Any]]:
    q = sa.select(t).order_by(*(t.primary_key.columns or t.c))
    if where is not None:
        q = q.where(where)
    return [dict(r) for r in conn.execute(q).mappings()]


def _files(runtime, spec: DataTable, rows: Iterable[dict[str, Any]]) -> dict[str, bytes]:
    if spec.file_path is None:
        return {}
    out = {}
    for r in rows:
        path = spec.file_path(runtime, r)
        try:
            data = path.read_bytes()
        except OSError:
            raise JimuError("export.E004", msg(
                f"文件 {r.get('name') or path.name} 的内容在磁盘上找不到 ({path})",
                f"the bytes of the file {r.get('name') or path.name} are missing on disk ({path})"),
                details=[{"file": str(path)}], status=409) from None
        digest = hashlib.sha256(data).hexdigest()
        if digest != r[spec.file_hash]:
            raise JimuError("export.E004", msg(
                f"文件 {r.get('name') or path.name} 在磁盘上的内容与记录的哈希不符 ({path})",
                f"the bytes of the file {r.get('name') or path.name} on disk do not match its hash ({path})"),
                details=[{"file": str(path)}], status=409)
        out[digest] = data
    return out


class _Refs:
    """Turns user and department ids into logins and paths, remembering whom the rows name."""

    def __init__(self, runtime, conn: sa.Connection) -> None:
        core = runtime.db.core
        u, d = core["user"], core["department"]
        self.users = {r.id: r for r in conn.execute(
            sa.select(u.c.id, u.c.login, u.c.name, u.c.email, u.c.phone, u.c.active, u.c.language, u.c.time_zone,
                      u.c.department_id, u.c.manager_id, u.c.profile))}
        self.depts = {r.id: r for r in conn.execute(sa.select(d.c.id, d.c.name, d.c.code, d.c.parent_id,
                                                              d.c.head_id, d.c.active))}
        self.used_users: set[int] = set()
        self.used_depts: set[int] = set()

    def path(self, dept_id: int) -> list[str]:
        names, seen, cur = [], set(), dept_id
        while cur is not None and cur in self.depts and cur not in seen:
            seen.add(cur)
            names.append(self.depts[cur].name)
            cur = self.depts[cur].parent_id
        return names[::-1]

    def ref(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        if kind == "user":
            if value not in self.users:
                return None  # a user since deleted: nobody to name
            self.used_users.add(value)
            return self.users[value].login
        if value not in self.depts:
            return None
        self.used_depts.add(value)
        return self.path(value)

    def row(self, t: sa.Table, r: dict[str, Any], people, *, keep_id: bool) -> dict[str, Any]:
        out = {}
        for name, value in r.items():
            if name == "id" and not keep_id:
                continue
            out[name] = self.ref(people[name], value) if name in people else encode(t.c[name], value)
        return out

    def people(self) -> dict[str, Any]:
        """The users the rows name, the departments they or the rows name, and those departments'
        parents: what a target database needs to hold for every reference to find its person."""
        depts = set(self.used_depts)
        depts.update(self.users[u].department_id for u in self.used_users if self.users[u].department_id)
        for dept in list(depts):
            cur = self.depts[dept].parent_id if dept in self.depts else None
            while cur is not None and cur in self.depts and cur not in depts:
                depts.add(cur)
                cur = self.depts[cur].parent_id
        users = sorted((self.users[u] for u in self.used_users), key=lambda r: r.login)
        logins = {r.id for r in users}
        return {
            "departments": sorted(({"path": self.path(d), "code": self.depts[d].code,
                                    "active": bool(self.depts[d].active),
                                    "head": self.users[h].login if (h := self.depts[d].head_id) in logins else None}
                                   for d in depts if d in self.depts), key=lambda x: x["path"]),
            "users": [{"login": r.login, "name": r.name, "email": r.email, "phone": r.phone, "active": bool(r.active),
                       "language": r.language, "time_zone": r.time_zone,
                       "department": self.path(r.department_id) if r.department_id else None,
                       "manager": self.users[r.manager_id].login if r.manager_id in logins else None,
                       "profile": r.profile} for r in users],
        }
