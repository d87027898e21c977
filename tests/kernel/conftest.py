from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.api.app import create_app
from engine.install import install_bundle
from engine.runtime import open_runtime

SALES_ERP = Path(__file__).resolve().parents[2] / "apps" / "sales_erp"


@pytest.fixture
def runtime(db_url):
    rt = open_runtime(db_url)
    yield rt
    rt.db.dispose()


@pytest.fixture
def erp(runtime):
    """The shipped sales app, installed with its demo data."""
    install_bundle(runtime, SALES_ERP, demo=True)
    return runtime


@pytest.fixture
def client(erp):
    with TestClient(create_app(erp)) as c:
        yield c
