"""Attachment and image fields: files uploaded to disk, bound to records by the write pipeline,
served only to those who may read the record and see the field.

    storage.py        the folder, ids, streaming writes
    content_types.py  the type a file really has (its bytes over its name)
    kinds.py          the field types and the limits a definition sets
    handlers.py       prepare / check / persist handlers of record writes
    api.py            upload and download routes
    cleanup.py        the background step that deletes files no record holds
    schema.py         the jimu_file table
"""
from __future__ import annotations

from .kinds import add_field_types
from .schema import add_tables


def drop_app_data(runtime, conn, app: str):
    """``jimu uninstall --drop-data``: the bytes of the app's files, deleted once its rows are gone
    (after the commit: bytes on disk cannot roll back)."""
    import sqlalchemy as sa

    from .storage import FileStore

    t = runtime.db.core["file"]
    ids = list(conn.execute(sa.select(t.c.id).where(t.c.app == app)).scalars())
    if not ids:
        return None
    store = FileStore.of(runtime)
    return lambda: [store.remove(i) for i in ids]


def app_data_tables():
    """``jimu export --with-data``: the app's file rows keep their ids (records hold them), and their
    bytes travel with them."""
    from engine.lifecycle.data_tables import DataTable

    from .storage import FileStore

    return [DataTable("jimu_file", {"uploaded_by": "user"}, keep_ids=True,
                      file_path=lambda runtime, row: FileStore.of(runtime).path(row["id"]))]


def register(runtime) -> None:
    from . import handlers
    from .api import router
    from .cleanup import UnboundFileCleanup

    handlers.register(runtime)
    runtime.routers.append(router)
    runtime.background_steps.append(UnboundFileCleanup())


__all__ = ["add_field_types", "add_tables", "app_data_tables", "drop_app_data", "register"]
