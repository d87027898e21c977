"""The record service: create, update, delete, restore, bulk create — all through the pipeline.

Every stage runs inside one transaction (guards may need row locks; dependent updates of other
records belong with the row), then after-commit handlers see the result. Problems from parsing and
every check stage are collected and raised together, so a caller hears about all of them at once.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import sqlalchemy as sa

from ..errors import Conflict, NotFound, ValidationFailed, msg
from ..fieldtypes import MAX_ID, FieldValueError
from ..identity.actor import Actor, system_actor
from .app_shape import hold_app_shape
from .pipeline import Write, WriteBatch
from .read_path import RecordReader

# system columns a caller may set: version (the version it last saw) and owner (assignment)
_WRITABLE_SYSTEM = {"version", "owner"}
_SYSTEM = {"id", "created_at", "created_by", "updated_at", "updated_by", "department", "deleted_at"}


class RecordService:
    def __init__(self, runtime, app: str, entity: str, actor: Actor | None = None) -> None:
        self.runtime = runtime
        self.app = runtime.app(app)
        self.entity = self.app.entity(entity)
        self.table = runtime.table(app, entity)
        self.actor = actor if actor is not None else system_actor(runtime)

    @contextmanager
    def _write_tx(self, conn: sa.Connection | None) -> Iterator[sa.Connection]:
        """The write's transaction, holding the app's shape (records/app_shape.py)."""
        with self.runtime.transaction(conn) as c:
            hold_app_shape(self.runtime, c, self.app)
            yield c

    def reader(self) -> RecordReader:
        return RecordReader(self.runtime, self.app, self.entity, self.actor)

    # --- public operations -----------------------------------------------------------------------
    def create(self, data: dict[str, Any], conn: sa.Connection | None = None) -> dict:
        with self._write_tx(conn) as c:
            ids = self._create([data], c, bulk=False)
            return self._written(ids[0], c)

    def create_many(self, rows: list[dict[str, Any]], conn: sa.Connection | None = None) -> list[int]:
        """The bulk path: the same stages, batched; all rows or none."""
        return self._create(rows, conn, bulk=True)

    def update(self, record_id: int, data: dict[str, Any], expected_version: int | None = None,
               conn: sa.Connection | None = None) -> dict:
        data = dict(data)
        if "version" in data:
            expected_version = _int_or_none(data.pop("version"))
        with self._write_tx(conn) as c:
            old = self._load_for_write(c, record_id)
            self._check_version(old, expected_version)
            current = self._field_values(old, c)
            w = Write(op="update", input=data, values=dict(current), old=current,
                      row=old, id=record_id, department=old["department"],
                      expected_version=expected_version, version=old["version"], owner=old["owner"])
            self._parse_into(w, data, creating=False)
            batch = self._batch([w], c, bulk=False)
            self._run_checks(batch)
            w.changes = {k: (w.old[k], v) for k, v in w.values.items() if v != w.old[k]}
            if w.changes or w.owner != old["owner"]:
                self.runtime.pipeline.run("persist", batch)
                self.runtime.after_commit(c, batch)
            return self._written(record_id, c)

    def update_many(self, items: list[tuple[int, dict[str, Any]]], conn: sa.Connection | None = None) -> None:
        """The bulk path of updates (an import that matches records): the same stages as ``update``,
        batched; all or none. Error paths are "[k].field", k the item's index; a record the actor
        may not read is a 404, one they may not change a 403 for the whole batch, as with one."""
        t = self.table
        with self._write_tx(conn) as c:
            q = sa.select(t).where(t.c.id.in_([rid for rid, _ in items]), t.c.deleted_at.is_(None))
            scope = self.reader().scope
            if scope.where is not None:
                q = q.where(scope.where)
            if self.runtime.db.caps.row_locks:
                q = q.with_for_update()
            rows = {r["id"]: dict(r) for r in c.execute(q).mappings()}
            missing = [rid for rid, _ in items if rid not in rows]
            if missing:
                raise NotFound("record.E404", msg(f"记录 {missing[0]} 不存在", f"record {missing[0]} not found"))
            olds = [rows[rid] for rid, _ in items]
            writes = []
            for (rid, data), old, current in zip(items, olds, self._field_values_many(olds, c)):
                data = {k: v for k, v in data.items() if k != "version"}
                w = Write(op="update", input=data, values=dict(current), old=current, row=old, id=rid,
                          department=old["department"], version=old["version"], owner=old["owner"])
                self._parse_into(w, data, creating=False)
                writes.append(w)
            batch = self._batch(writes, c, bulk=True)
            self._run_checks(batch)
            for w in writes:
                w.changes = {k: (w.old[k], v) for k, v in w.values.items() if v != w.old[k]}
            batch.writes = [w for w in writes if w.changes or w.owner != w.row["owner"]]
            if batch.writes:
                self.runtime.pipeline.run("persist", batch)
                self.runtime.after_commit(c, batch)

    def trial(self, data: dict[str, Any], record_id: int | None = None) -> tuple[Write, WriteBatch]:
        """Judge a create (or an update of ``record_id``) exactly as a save would — prepare, check and
        guard — without saving: the form state of a record being edited. Problems stay on the write
        (parsing's and every stage's); a refusal of the whole write (no permission) still raises."""
        data = dict(data)
        with self.runtime.db.engine.connect() as c:
            tx = c.begin()
            try:
                if record_id is None:
                    w = Write(op="create", input=data, values={f.name: None for f in self.entity.fields})
                    self._parse_into(w, data, creating=True)
                else:
                    data.pop("version", None)
                    old = self._load_for_write(c, record_id)
                    current = self._field_values(old, c)
                    w = Write(op="update", input=data, values=dict(current), old=current, row=old, id=record_id,
                              department=old["department"], version=old["version"], owner=old["owner"])
                    self._parse_into(w, data, creating=False)
                batch = self._batch([w], c, bulk=False)
                batch.trial = True
                for stage in ("prepare", "check", "guard"):
                    self.runtime.pipeline.run(stage, batch)
                batch.conn = None
                return w, batch
            finally:
                tx.rollback()
                from ..identity.probes import write_pending

                write_pending(self.runtime, c)

    def reassign(self, ids: list[int], owner: int, conn: sa.Connection | None = None) -> None:
        """Give records another owner (a handover), as one batch through every stage; each
        record's history shows the change of owner."""
        t = self.table
        with self._write_tx(conn) as c:
            q = sa.select(t).where(t.c.id.in_(ids), t.c.deleted_at.is_(None))
            if self.runtime.db.caps.row_locks:
                q = q.with_for_update()
            writes = []
            rows = [dict(r) for r in c.execute(q).mappings()]
            for row, values in zip(rows, self._field_values_many(rows, c)):
                writes.append(Write(op="update", input={"owner": owner}, values=values, old=dict(values), row=row,
                                    id=row["id"], version=row["version"], owner=owner,
                                    department=row["department"]))
            batch = self._batch(writes, c, bulk=True)
            self._run_checks(batch)
            self.runtime.pipeline.run("persist", batch)
            self.runtime.after_commit(c, batch)

    def delete(self, record_id: int, expected_version: int | None = None,
               conn: sa.Connection | None = None) -> dict:
        return self._soft(record_id, "delete", expected_version, conn)

    def restore(self, record_id: int, conn: sa.Connection | None = None) -> dict:
        return self._soft(record_id, "restore", None, conn)

    def history(self, record_id: int) -> list[dict]:
        self.reader().get(record_id, include_deleted=True)  # 404, and later the permission check
        from .audit import history

        return history(self.runtime, self.app, self.entity, record_id, self.reader().scope.hidden)

    # --- internals -------------------------------------------------------------------------------
    def _written(self, record_id: int, conn) -> dict:
        """The record just written, as the writer may see it, read in the write's own transaction.
        A write is judged before it commits and never answers an error after: one that leaves the
        record outside what the writer may read (a form they may submit but not read back, a record
        they gave to someone else) succeeds with its id and ``readable: false``."""
        try:
            return self.reader().get(record_id, conn=conn)
        except NotFound:
            return {"id": record_id, "readable": False}

    def _create(self, rows: list[dict[str, Any]], conn, bulk: bool) -> list[int]:
        writes = []
        for data in rows:
            if not isinstance(data, dict):
                w = Write(op="create", input={}, values={})
                w.error("", msg("记录应为对象", "a record must be an object"))
            else:
                w = Write(op="create", input=data, values={f.name: None for f in self.entity.fields})
                self._parse_into(w, data, creating=True)
            writes.append(w)
        with self._write_tx(conn) as c:
            batch = self._batch(writes, c, bulk)
            self._run_checks(batch)
            for w in writes:
                w.changes = {k: (None, v) for k, v in w.values.items() if v is not None}
            self.runtime.pipeline.run("persist", batch)
            self.runtime.after_commit(c, batch)
            return [w.id for w in writes]

    def _soft(self, record_id: int, op: str, expected_version: int | None, conn) -> dict:
        with self._write_tx(conn) as c:
            old = self._load_for_write(c, record_id, deleted=(op == "restore"))
            self._check_version(old, expected_version)
            current = self._field_values(old, c)
            w = Write(op=op, input={}, values=dict(current), old=current, row=old,
                      id=record_id,
                      version=old["version"], owner=old["owner"])
            batch = self._batch([w], c, bulk=False)
            self._run_checks(batch)
            self.runtime.pipeline.run("persist", batch)
            self.runtime.after_commit(c, batch)
            return self.reader().get(record_id, include_deleted=True, conn=c)

    def _batch(self, writes: list[Write], conn, bulk: bool) -> WriteBatch:
        return WriteBatch(app=self.app, entity=self.entity, table=self.table, actor=self.actor,
                          now=self.runtime.clock(), writes=writes, runtime=self.runtime, conn=conn, bulk=bulk)

    def _run_checks(self, batch: WriteBatch) -> None:
        p = self.runtime.pipeline
        for stage in ("prepare", "check", "guard"):
            p.run(stage, batch)
        if batch.has_errors():
            details = []
            for i, w in enumerate(batch.writes):
                for e in w.errors:
                    details.append({**e, "path": f"[{i}].{e['path']}" if batch.bulk else e["path"]})
            raise ValidationFailed("record.E422", msg("记录未通过校验", "the record did not pass validation"),
                                   details)

    def _parse_into(self, w: Write, data: dict[str, Any], creating: bool) -> None:
        parsers, values = self.entity.parsers, w.values
        for key, raw in data.items():
            parse = parsers.get(key)
            if parse is None:
                if key == "owner":
                    owner = _int_or_none(raw)
                    if owner is None or not 0 < owner <= MAX_ID:
                        w.error(key, msg("应为用户 id", "must be a user id"))
                    else:
                        w.owner = owner
                elif key in _SYSTEM or key in _WRITABLE_SYSTEM:
                    if not (key == "version" and creating is False):
                        w.error(key, msg("系统字段不可写", "system field cannot be written"))
                else:
                    w.error(key, msg(f"未知字段 '{key}'", f"unknown field '{key}'"))
                continue
            f = self.entity.by_name[key]
            if f.computed:
                if creating or raw != f.dump(w.old.get(key) if w.old else None):
                    w.error(key, msg("这个字段由系统计算，不可填写", "this field is computed and cannot be written"),
                            code="computed")
                continue
            try:
                values[key] = parse(raw)
            except FieldValueError as e:  # a sub-table reports each row's problems at its path
                for sub, message in getattr(e, "details", None) or [("", e.message)]:
                    w.error(key + sub, message)

    def _load_for_write(self, conn, record_id: int, deleted: bool = False) -> dict:
        """The stored row, locked where the backend can; a record the actor may not read is "not
        found" (a refusal would tell that it exists)."""
        t = self.table
        q = sa.select(t).where(t.c.id == record_id,
                               t.c.deleted_at.is_not(None) if deleted else t.c.deleted_at.is_(None))
        scope = self.reader().scope
        if scope.where is not None:
            q = q.where(scope.where)
        if self.runtime.db.caps.row_locks:
            q = q.with_for_update()
        row = conn.execute(q).mappings().first()
        if row is None:
            raise NotFound("record.E404", msg(f"记录 {record_id} 不存在", f"record {record_id} not found"))
        return dict(row)

    def _check_version(self, old: dict, expected: int | None) -> None:
        if expected is not None and expected != old["version"]:
            raise Conflict("record.E409", msg(
                f"记录已被他人修改 (当前版本 {old['version']}，你的版本 {expected})，请刷新后重试",
                f"the record was changed by someone else (now version {old['version']}, yours {expected}); "
                "reload and try again"), [{"path": "version", "message": msg("版本已过期", "stale version"),
                                           "current": old["version"]}])

    def stored_values(self, record_id: int, conn: sa.Connection, reader=None) -> dict[str, Any]:
        """A live record's field values as stored (sub-table rows included) plus its system columns:
        what an engine's action judges the record by. With a ``reader`` who does not bypass
        permissions, the record is read as that reader would read it — not found outside their row
        scope, fields hidden from them (on this row) blank — so an action run as a user never copies
        what that user may not see."""
        t = self.table
        query = sa.select(t).where(t.c.id == record_id, t.c.deleted_at.is_(None))
        scope = None
        if reader is not None and not reader.bypass:
            from .read_path import ReadRequest

            scope = self.runtime.read_scope(ReadRequest(self.runtime, self.app, self.entity, t, reader))
            if scope.where is not None:
                query = query.where(scope.where)
            query = query.add_columns(*scope.mask_columns())
        row = conn.execute(query).mappings().first()
        if row is None:
            raise NotFound("record.E404", msg(f"记录 {record_id} 不存在", f"record {record_id} not found"))
        hidden = scope.hidden_on(row) if scope is not None else frozenset()
        row = dict(row)
        values = {**{k: row[k] for k in ("id", "owner", "created_by", "updated_by", "created_at", "updated_at")},
                  **self._field_values(row, conn)}
        for name in hidden:
            table, _, column = name.partition(".")  # a sub-table column hidden by derivation: "lines.cost"
            if column and isinstance(values.get(table), list):
                values[table] = [{**r, column: None} if isinstance(r, dict) and column in r else r
                                 for r in values[table]]
            elif name in values and name != "id":
                values[name] = None
        return values

    def _field_values(self, row: dict, conn: sa.Connection) -> dict[str, Any]:
        return self._field_values_many([row], conn)[0]

    def _field_values_many(self, rows: list[dict], conn: sa.Connection) -> list[dict[str, Any]]:
        """Each row's field values; those kept outside the row (a sub-table's) loaded for all at once."""
        out = [{f.name: r[f.column_name] for f in self.entity.fields if f.stored} for r in rows]
        ids = [r["id"] for r in rows]
        for f in self.entity.fields:
            if not f.stored and f.ftype.load_values is not None and ids:
                loaded = f.ftype.load_values(self.runtime, self.app, self.entity, f, ids, conn)
                for r, d in zip(rows, out):
                    d[f.name] = loaded.get(r["id"])
        return out

    def recompute(self, ids: list[int], conn: sa.Connection | None = None) -> int:
        """Bring the computed values of records up to date (a rollup after a child changed, a lookup
        after its source changed), locking them first so concurrent writers cannot lose an update.
        Runs as the system, whoever caused it: the records may be ones the user cannot edit."""
        t = self.table
        with self._write_tx(conn) as c:
            q = sa.select(t).where(t.c.id.in_(sorted(set(ids))), t.c.deleted_at.is_(None)).order_by(t.c.id)
            if self.runtime.db.caps.row_locks:
                q = q.with_for_update()
            rows = [dict(r) for r in c.execute(q).mappings()]
            if not rows:
                return 0
            writes = []
            for row, values in zip(rows, self._field_values_many(rows, c)):
                writes.append(Write(op="update", input={}, values=values, old=dict(values), row=row, id=row["id"],
                                    version=row["version"], owner=row["owner"], department=row["department"],
                                    recompute=True))
            batch = self._batch(writes, c, bulk=True)
            self._run_checks(batch)
            changed = []
            for w in writes:
                w.changes = {k: (w.old[k], v) for k, v in w.values.items() if v != w.old[k]}
                if w.changes:
                    changed.append(w)
            if changed:
                batch.writes = changed
                self.runtime.pipeline.run("persist", batch)
                self.runtime.after_commit(c, batch)
            return len(changed)


def _int_or_none(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None
