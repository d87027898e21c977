"""Shared test setup: the database matrix (SQLite always, PostgreSQL when JIMU_TEST_POSTGRES_URL is
set) and CI's rule that a skipped test is a failure (JIMU_STRICT_SKIPS=1)."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SALES_ERP = ROOT / "apps" / "sales_erp"
PG_ENV = "JIMU_TEST_POSTGRES_URL"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("JIMU_STRICT_SKIPS") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        # in CI a skipped database or browser test hides a failure: report it as one
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped in strict mode (JIMU_STRICT_SKIPS=1): {reason}"


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database per test: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jimu.db'}"
        return
    yield from pg_schema_url()


def pg_schema_url():
    """A PostgreSQL schema of its own for a test (dropped after it), as a database URL; skips when
    no PostgreSQL is configured (CI fails on skips)."""
    base = postgres_url()
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
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
