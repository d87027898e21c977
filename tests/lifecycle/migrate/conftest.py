"""Module-scoped databases for the upgrade stories: an install of the demo sales ERP takes seconds, so
each module installs once per database and its tests upgrade the same app step by step (pytest runs a
module's tests in order, all on SQLite, then all on PostgreSQL)."""
from __future__ import annotations

import pytest

from tests.conftest import pg_schema_url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db(request, tmp_path_factory):
    """A fresh, empty database for one module: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'jimu.db'}"
        return
    yield from pg_schema_url()


@pytest.fixture
def second_db(request, module_db, tmp_path):
    """Another empty database of the same kind as ``module_db`` (a fresh install to compare with)."""
    if module_db.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    yield from pg_schema_url()
