"""A database of its own for a benchmark: a temporary SQLite file, or a PostgreSQL schema that is
dropped afterwards (the server is shared)."""
from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from engine.storage.database import normalise_url


@contextlib.contextmanager
def bench_database(url: str | None, schema: str) -> Iterator[str]:
    if not url:
        yield f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
        return
    if not url.startswith("postgres"):
        yield url
        return
    admin = sa.create_engine(normalise_url(url))
    with admin.begin() as c:
        c.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    try:
        yield url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
