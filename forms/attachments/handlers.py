"""Files in the record write pipeline.

prepare  the client's list of ids becomes the stored list of ``{id, name, size, content_type}``,
         taken from the record's current value or the file table (never from the client), so sending
         back what a read returned is "unchanged" to every later check;
check    each file new to the record exists, was uploaded by the acting user for this app, entity
         and field, is bound to no record, and meets the field's limits; the count is checked too;
persist  new files are bound to the record (``record_id``), removed ones unbound. Unbound files are
         deleted a day after their upload by the cleanup step (cleanup.py). A deleted record keeps
         its files bound, so restoring it brings them back.
"""
from __future__ import annotations

from typing import Any, Iterable

import sqlalchemy as sa

from engine.errors import Conflict, msg
from engine.records.pipeline import Write, WriteBatch

from .kinds import KEYS, KINDS, count_problem, file_problem, limits

_WRITES = ("create", "update")


def _fields(batch: WriteBatch) -> list:
    return [f for f in batch.entity.fields if f.type_name in KINDS]


def _ids(value: Iterable[dict] | None) -> list[str]:
    return [item["id"] for item in value or ()]


def _rows(batch: WriteBatch, ids: set[str]) -> dict[str, Any]:
    if not ids:
        return {}
    t = batch.runtime.db.core["file"]
    out, wanted = {}, sorted(ids)
    for i in range(0, len(wanted), 900):  # SQLite caps bound parameters per statement
        for row in batch.conn.execute(sa.select(t).where(t.c.id.in_(wanted[i: i + 900]))):
            out[row.id] = row
    return out


def _sent(batch: WriteBatch, name: str) -> list[Write]:
    return [w for w in batch.writes if w.op in _WRITES and name in w.input and w.values.get(name)]


def normalise_files(batch: WriteBatch) -> None:
    for f in _fields(batch):
        writes = _sent(batch, f.name)
        rows = _rows(batch, {i for w in writes for i in _ids(w.values[f.name])})
        for w in writes:
            old = {item["id"]: item for item in (w.old or {}).get(f.name) or ()}
            value = []
            for item in w.values[f.name]:
                row = rows.get(item["id"])
                if item["id"] in old:
                    value.append(old[item["id"]])
                elif row is not None:
                    value.append({k: getattr(row, k) for k in KEYS})
                else:
                    value.append({"id": item["id"]})  # refused by check_files
            w.values[f.name] = value


def check_files(batch: WriteBatch) -> None:
    uid = batch.actor.user_id
    app, entity = batch.app.name, batch.entity.name
    for f in _fields(batch):
        lim = limits(f.type_name, f.definition)
        writes = [w for w in _sent(batch, f.name) if not getattr(w, "recompute", False)]
        olds = {id(w): set(_ids((w.old or {}).get(f.name))) for w in writes}
        rows = _rows(batch, {i for w in writes for i in _ids(w.values[f.name]) if i not in olds[id(w)]})
        taken: set[str] = set()  # files claimed by an earlier write of the batch
        for w in writes:
            value = w.values[f.name]
            if _ids(value) != _ids((w.old or {}).get(f.name)):
                problem = count_problem(lim, len(value))
                if problem:
                    w.error(f.name, problem, code="file.E005")
            for n, item in enumerate(value, 1):
                fid = item["id"]
                if fid in olds[id(w)]:
                    continue  # already on this record: the limits it met when it came still hold
                row = rows.get(fid)
                if (row is None or row.uploaded_by != uid or (row.app, row.entity, row.field) != (app, entity, f.name)
                        or row.record_id not in (None, w.id) or fid in taken):
                    # one message for all of these: it must not tell whether someone else's file exists
                    w.error(f.name, msg(f"第 {n} 个文件不存在，或不是你为这个字段上传的",
                                        f"file {n} does not exist or was not uploaded by you for this field"),
                            code="file.E006")
                    continue
                taken.add(fid)
                problem = file_problem(lim, row.name, row.size, row.content_type)
                if problem:
                    w.error(f.name, problem[1], code=problem[0])


def bind_files(batch: WriteBatch) -> None:
    fields = _fields(batch)
    if not fields:
        return
    t = batch.runtime.db.core["file"]
    here = (t.c.app == batch.app.name, t.c.entity == batch.entity.name)
    for f in fields:
        for w in batch.writes:
            if w.op not in _WRITES or f.name not in w.changes:
                continue
            before, after = (set(_ids(v)) for v in w.changes[f.name])
            added, removed = sorted(after - before), sorted(before - after)
            if added:
                res = batch.conn.execute(t.update().where(
                    t.c.id.in_(added), *here, t.c.field == f.name,
                    sa.or_(t.c.record_id.is_(None), t.c.record_id == w.id)).values(record_id=w.id))
                if res.rowcount != len(added):  # taken by another write, or cleaned up, since the check
                    again = msg("请重新上传", "upload it again")
                    raise Conflict("file.E409", msg("文件已被其他记录使用或已被清理，请重新上传",
                                                    "a file was taken by another record or cleaned up; "
                                                    "upload it again"),
                                   [{"path": f.name, "message": again, "code": "file.E409"}])
            if removed:
                batch.conn.execute(t.update().where(t.c.id.in_(removed), *here, t.c.record_id == w.id)
                                   .values(record_id=None))


def register(runtime) -> None:
    runtime.pipeline.on("prepare", normalise_files)
    runtime.pipeline.on("check", check_files)
    runtime.pipeline.on("persist", bind_files)
