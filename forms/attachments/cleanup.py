"""The cleanup of files no record holds: uploaded but never attached (a form abandoned), or removed
from a record. A worker tick runs it at most every few minutes; a file goes a day after its upload,
so a form being filled in has the day to be saved. The audit keeps the names of removed files, not
their bytes.
"""
from __future__ import annotations

import datetime as dt
import time

import sqlalchemy as sa

from .storage import FileStore

GRACE = dt.timedelta(days=1)
EVERY = dt.timedelta(minutes=5)
BATCH = 500


def remove_unbound(runtime, before: dt.datetime, limit: int = BATCH) -> int:
    """Delete up to ``limit`` unbound files uploaded before ``before``: rows first (locked, so a write
    binding one of them waits and then finds it gone), bytes after the commit."""
    t = runtime.db.core["file"]
    with runtime.transaction() as c:
        q = sa.select(t.c.id).where(t.c.record_id.is_(None), t.c.uploaded_at < before).order_by(t.c.uploaded_at)
        q = q.limit(limit)
        if runtime.db.caps.row_locks:
            q = q.with_for_update(skip_locked=runtime.db.caps.skip_locked)
        ids = list(c.execute(q).scalars())
        if ids:
            c.execute(t.delete().where(t.c.id.in_(ids)))
    store = FileStore.of(runtime)
    for fid in ids:
        store.remove(fid)
    _remove_stale_parts(store, GRACE)
    return len(ids)


def _remove_stale_parts(store: FileStore, age: dt.timedelta) -> None:
    """Temporary files of uploads that died half way (a crash, a killed worker)."""
    folder = store.incoming_dir
    if not folder.is_dir():
        return
    cutoff = time.time() - age.total_seconds()
    for p in folder.glob("*.part"):
        try:
            if p.stat().st_mtime < cutoff:
                p.unlink(missing_ok=True)
        except OSError:
            pass


class UnboundFileCleanup:
    """A background step (``runtime.background_steps``): fn(runtime) -> files removed."""

    def __init__(self) -> None:
        self.last_run: dt.datetime | None = None

    def __call__(self, runtime) -> int:
        now = runtime.clock()
        if self.last_run is not None and now - self.last_run < EVERY:
            return 0
        self.last_run = now
        return remove_unbound(runtime, now - GRACE)
