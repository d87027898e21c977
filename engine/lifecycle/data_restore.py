"""Installing a bundle made by ``jimu export --with-data``: its ``data/`` loaded as it was.

A restore, not a write: the rows go into the tables as they are (same ids, autonumbers, timestamps,
owners, departments, states), without the write pipeline — formulas and validations were applied
when they were written. It runs in the install's transaction, after the tables are made, instead of
the seeds (the seeds' records are among the exported rows already). Only into a database where the
app holds nothing: an installed app, or tables an uninstall kept with rows in them, are refused.

People are matched by login and department path; one the target lacks is created — a user as
exported (name, department, active flag, profile) but WITHOUT a password: sign-in refuses a user with
none, so nobody can sign in as them until an administrator sets one (``jimu users passwd``); a
department with its code unless another department has it. Never an administrator flag. On PostgreSQL each table's
id sequence is moved past the largest id loaded. Files are checked against their hash and written
to the file store; a failed install removes the ones it wrote.
"""
from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..bundle.documents import parse_document
from ..errors import JimuError, msg
from .data_codec import decode, read_lines
from .data_tables import app_table_people, platform_tables


@dataclass
class BundleData:
    files: dict[str, bytes] = field(repr=False)  # path under data/ -> bytes

    def text(self, name: str) -> str | None:
        b = self.files.get(name)
        return None if b is None else b.decode("utf-8")

    def yaml(self, name: str) -> Any:
        text = self.text(name)
        if text is None:
            return None
        doc, problems = parse_document(name, "data", text.encode("utf-8"))
        if not doc.parsed:
            raise _bad(f"{name}: " + "; ".join(p.message["en"] for p in problems))
        return doc.data


def bundle_data(path) -> BundleData | None:
    """The ``data/`` files of a bundle folder or .zip, or None when it has none (an ordinary bundle)."""
    if isinstance(path, (bytes, bytearray)):
        return None
    p = Path(path)
    if p.is_dir():
        root = p / "data"
        if not root.is_dir():
            return None
        return BundleData({f.relative_to(p).as_posix(): f.read_bytes() for f in sorted(root.rglob("*"))
                           if f.is_file()})
    if p.is_file() and zipfile.is_zipfile(p):
        from ..bundle.safe_zip import read_zip

        members = read_zip(p)
        names = [n for n in members if not n.endswith("/")]
        prefix = ""
        if not any(n == "app.yaml" for n in names):
            tops = {n.split("/", 1)[0] for n in names}
            prefix = tops.pop() + "/" if len(tops) == 1 else ""
        found = {n[len(prefix):]: b for n, b in members.items()
                 if n.startswith(prefix + "data/") and not n.endswith("/")}
        return BundleData(found) if found else None
    return None


def _bad(en: str, zh: str | None = None) -> JimuError:
    return JimuError("install.E005", msg(f"应用包的数据有误：{zh or en}", f"the bundle's data is invalid: {en}"),
                     status=400)


def refuse_installed(app: str) -> JimuError:
    return JimuError("install.E006", msg(
        f"应用包带有数据，但 {app} 已安装或数据库中已有它的记录；带数据的导出只能安装到没有该应用的数据库"
        "（可先 jimu uninstall --drop-data）",
        f"the bundle carries data, but {app} is already installed or its records are in the database; an export "
        "with data installs only where the app holds nothing (jimu uninstall --drop-data first)"),
        details=[{"app": app}], status=409)


def restore_data(runtime, app: str, data: BundleData, conn: sa.Connection) -> tuple[dict[str, int], Any]:
    """Load ``data`` into the app's tables in ``conn``; returns rows per table and an undo step for the
    files written (to call when the transaction fails). Data the database refuses (a duplicate, a
    broken reference, a value of the wrong shape: an edited export) is install.E005, never a crash."""
    try:
        return _restore(runtime, app, data, conn)
    except JimuError:
        raise
    except (sa.exc.DBAPIError, ValueError, TypeError, KeyError, AttributeError) as e:
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()
        reason = reason[0] if reason else type(e).__name__
        raise _bad(f"{type(e).__name__}: {reason}", f"数据库拒绝了这些数据 ({reason})") from None


def _restore(runtime, app: str, data: BundleData, conn: sa.Connection) -> tuple[dict[str, int], Any]:
    manifest = data.yaml("data/export.yaml")
    if not isinstance(manifest, dict) or manifest.get("format") != 1 or manifest.get("app") != app:
        raise _bad(f"data/export.yaml is missing or is not an export of {app}",
                   f"缺少 data/export.yaml 或它不是 {app} 的导出")
    inst = runtime.apps[app]
    tables = {t.name: t for t in inst.metadata.sorted_tables}
    unknown = sorted(set(manifest.get("records") or {}) - set(tables))
    if unknown:
        raise _bad(f"tables not in the app: {', '.join(unknown)}", f"应用中没有这些数据表: {', '.join(unknown)}")
    for t in tables.values():  # every table of the app must be empty: this is a restore
        if conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one():
            raise refuse_installed(app)
    for spec in platform_tables():  # and no platform table may hold rows of it (an uninstall kept them)
        t = runtime.db.core_md.tables.get(spec.table)
        if t is not None and "app" in t.c and conn.execute(
                sa.select(sa.func.count()).select_from(t).where(t.c.app == app)).scalar_one():
            raise refuse_installed(app)
    people = _People(runtime, conn, data.yaml("data/people.yaml") or {})
    counts: dict[str, int] = {}
    cols_people = app_table_people(runtime, app)
    deferred: list[tuple[sa.Table, int, dict[str, Any]]] = []
    loaded: set[str] = set()
    for name, t in tables.items():
        rows = read_lines(data.text(f"data/records/{name}.jsonl") or "")
        late = {fk.parent.name for fk in t.foreign_keys if fk.column.table.name in tables
                and (fk.column.table.name == name or fk.column.table.name not in loaded) and fk.parent.nullable}
        values = []
        for r in rows:
            v = _values(t, r, cols_people.get(name, {}), people)
            later = {k: v.pop(k) for k in late if v.get(k) is not None}
            if later:
                deferred.append((t, v["id"], later))
            values.append(v)
        if values:
            conn.execute(t.insert(), values)
        counts[name] = len(values)
        loaded.add(name)
        _check_count(manifest, "records", name, len(values))
    for t, rid, later in deferred:  # references to rows loaded after theirs (a record's parent)
        conn.execute(t.update().where(t.c.id == rid).values(**later))
    written: list[Path] = []

    def undo() -> None:
        for p in written:
            p.unlink(missing_ok=True)

    try:
        for spec in platform_tables():
            t = runtime.db.core_md.tables.get(spec.table)
            rows = read_lines(data.text(f"data/platform/{spec.table}.jsonl") or "")
            if t is None or not rows:
                continue
            values = [_values(t, r, spec.people, people) for r in rows]
            conn.execute(t.insert(), values)
            counts[spec.table] = len(values)
            _check_count(manifest, "platform", spec.table, len(values))
            if spec.file_path is not None:
                for v in values:
                    written.extend(_put_file(runtime, spec, v, data))
    except Exception:
        undo()
        raise
    if conn.dialect.name == "postgresql":
        for name, t in tables.items():
            if "id" in t.c and t.c.id.autoincrement and counts.get(name):
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                     f"(SELECT MAX(id) FROM \"{name}\"))"))
    return {k: n for k, n in counts.items() if n}, undo


def _check_count(manifest: dict, part: str, table: str, n: int) -> None:
    want = (manifest.get(part) or {}).get(table, 0)
    if want != n:
        raise _bad(f"{table} has {n} rows, data/export.yaml says {want}",
                   f"{table} 有 {n} 行，data/export.yaml 记为 {want}")


def _values(t: sa.Table, r: dict[str, Any], people_cols, people: _People) -> dict[str, Any]:
    out = {}
    for name, value in r.items():
        if name not in t.c:
            raise _bad(f"{t.name} has no column {name}", f"{t.name} 没有列 {name}")
        out[name] = people.id_of(people_cols[name], value) if name in people_cols else decode(t.c[name], value)
    return out


def _put_file(runtime, spec, v: dict[str, Any], data: BundleData) -> list[Path]:
    digest = v[spec.file_hash]
    content = data.files.get(f"data/files/{digest}")
    if content is None or hashlib.sha256(content).hexdigest() != digest:
        raise _bad(f"the file data/files/{digest} is missing or does not match its hash",
                   f"文件 data/files/{digest} 缺失或与哈希不符")
    path = spec.file_path(runtime, v)
    if path.exists():
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return [path]


class _People:
    """Logins and department paths of the data turned into the target's ids, made when missing."""

    def __init__(self, runtime, conn: sa.Connection, doc: dict[str, Any]) -> None:
        self.conn, self.core = conn, runtime.db.core
        self.depts: dict[tuple[str, ...], int] = {}
        self.users: dict[str, int] = {}
        self.doc = doc
        d = self.core["department"]
        rows = list(conn.execute(sa.select(d.c.id, d.c.name, d.c.parent_id)))
        by_id = {r.id: r for r in rows}
        for r in rows:
            self.depts.setdefault(self._path(by_id, r.id), r.id)
        self.made: set[tuple[str, ...]] = set()
        for entry in sorted(doc.get("departments") or (), key=lambda e: len(e.get("path") or ())):
            self._dept(entry)
        u = self.core["user"]
        self.users = {r.login: r.id for r in conn.execute(sa.select(u.c.id, u.c.login))}
        created = []
        for entry in doc.get("users") or ():
            if entry["login"] not in self.users:
                self.users[entry["login"]] = conn.execute(u.insert().values(
                    login=entry["login"], name=entry.get("name") or entry["login"], email=entry.get("email"),
                    phone=entry.get("phone"), active=bool(entry.get("active", True)),
                    language=entry.get("language") or "zh",
                    time_zone=entry.get("time_zone") or "Asia/Shanghai", password_hash=None,
                    department_id=self.id_of("department", entry.get("department")), profile=entry.get("profile"),
                    created_at=runtime.clock())).inserted_primary_key[0]
                created.append(entry)
        for entry in created:  # managers and heads once everyone is there
            if entry.get("manager"):
                conn.execute(u.update().where(u.c.login == entry["login"])
                             .values(manager_id=self.users.get(entry["manager"])))
        for entry in doc.get("departments") or ():
            path = tuple(entry.get("path") or ())
            if path in self.made and entry.get("head"):
                conn.execute(d.update().where(d.c.id == self.depts[path]).values(head_id=self.users.get(entry["head"])))

    @staticmethod
    def _path(by_id, dept_id) -> tuple[str, ...]:
        names, seen = [], set()
        while dept_id is not None and dept_id in by_id and dept_id not in seen:
            seen.add(dept_id)
            names.append(by_id[dept_id].name)
            dept_id = by_id[dept_id].parent_id
        return tuple(names[::-1])

    def _dept(self, entry: dict[str, Any]) -> None:
        path = tuple(entry.get("path") or ())
        if not path or path in self.depts:
            return
        d = self.core["department"]
        code = entry.get("code")
        if code and self.conn.execute(sa.select(d.c.id).where(d.c.code == code)).first() is not None:
            code = None
        self.depts[path] = self.conn.execute(d.insert().values(
            name=path[-1], code=code, parent_id=self.depts.get(path[:-1]), active=bool(entry.get("active", True)))
        ).inserted_primary_key[0]
        self.made.add(path)

    def id_of(self, kind: str, value: Any) -> int | None:
        if value is None:
            return None
        if kind == "user":
            found = self.users.get(value)
        else:
            found = self.depts.get(tuple(value))
        if found is None:
            raise _bad(f"data names the {kind} {value!r}, which data/people.yaml does not list",
                       f"数据引用了 data/people.yaml 中没有的{'用户' if kind == 'user' else '部门'} {value!r}")
        return found
