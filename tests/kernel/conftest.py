from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.api.app import create_app
from engine.identity.api_tokens import create_token
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
    """The API as a platform admin, signed in with an API token made by the sign-in code (no CSRF
    token needed, and no password hashing per test)."""
    users = erp.db.core["user"]
    with erp.transaction() as c:
        uid = c.execute(users.insert().values(login="kernel_admin", name="Kernel Admin", is_admin=True,
                                              active=True)).inserted_primary_key[0]
        token = create_token(erp, c, uid, "kernel tests").token
    with TestClient(create_app(erp), headers={"Authorization": f"Bearer {token}"}) as c:
        yield c
