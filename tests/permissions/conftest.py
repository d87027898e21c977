from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.api.app import create_app
from engine.identity.org import Org
from engine.identity.passwords import hash_password
from engine.install import install_bundle
from engine.runtime import open_runtime

SALES_ERP = Path(__file__).resolve().parents[2] / "apps" / "sales_erp"
VAULT = Path(__file__).resolve().parent / "bundles" / "vault"  # derived fields of hidden ones (issue 11)
DEMO_PASSWORD = "jimu-demo-2026"  # apps/sales_erp/seed/org.yaml


@pytest.fixture
def erp(db_url):
    rt = open_runtime(db_url)
    install_bundle(rt, SALES_ERP, demo=True)
    with rt.transaction() as c:  # a platform admin (the explicit bypass), besides the app's admin role
        Org(rt, rt.db.system_user_id).create_user(c, "admin_user", "平台管理员", is_admin=True,
                                              password_hash=hash_password(DEMO_PASSWORD))
    yield rt
    rt.db.dispose()


@pytest.fixture
def app(erp):
    return create_app(erp)


@pytest.fixture
def login(app):
    """``login("rep_east1")`` -> a TestClient signed in as that demo user (cookie + CSRF header)."""
    clients = []

    def make(user: str) -> TestClient:
        c = TestClient(app)
        c.__enter__()
        clients.append(c)
        r = c.post("/api/v1/auth/login", json={"login": user, "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def vault(db_url):
    """The test bundle of derived fields (bundles/vault) with its demo users and records."""
    rt = open_runtime(db_url)
    install_bundle(rt, VAULT, demo=True)
    yield rt
    rt.db.dispose()


@pytest.fixture
def vlogin(vault):
    """``vlogin("clerk1")`` -> a TestClient signed in as that user of the vault bundle."""
    app = create_app(vault)
    clients = []

    def make(user: str) -> TestClient:
        c = TestClient(app)
        c.__enter__()
        clients.append(c)
        r = c.post("/api/v1/auth/login", json={"login": user, "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)
