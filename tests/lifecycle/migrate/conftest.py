"""Module-scoped databases for the upgrade stories: an install of the demo sales ERP takes seconds, so
each module installs once per database and its tests upgrade the same app step by step (pytest runs a
module's tests in order, all on SQLite, then all on PostgreSQL)."""
from __future__ import annotations

import uuid

import pytest

from tests.conftest import postgres_url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db(request, tmp_path_factory):
    """A fresh, empty database for one module: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'jimu.db'}"
        return
    base = postgres_url()
    if not base:
        pytest.skip("PostgreSQL tests need JIMU_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    yield from _pg_schema(base)


def _pg_schema(base: str):
    import sqlalchemy as sa

    from engine.storage.database import normalise_url

    schema = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(normalise_url(base))
    with admin.begin() as c:
        c.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def second_db(request, module_db, tmp_path):
    """Another empty database of the same kind as ``module_db`` (a fresh install to compare with)."""
    if module_db.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    yield from _pg_schema(postgres_url())
