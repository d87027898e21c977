"""Fixtures for sign-in tests: a runtime with the sales app, a clock the tests move, users with
passwords, and API clients with and without credentials."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from engine.api.app import create_app
from engine.identity import passwords
from engine.identity.accounts import add_user
from engine.install import install_bundle
from engine.runtime import open_runtime
from engine.storage.database import utcnow

SALES_ERP = Path(__file__).resolve().parents[2] / "apps" / "sales_erp"
PASSWORD = "correct horse 9"


class Clock:
    """runtime.clock, moved by the test instead of by waiting."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def fast_hashing(monkeypatch):
    """argon2id with the cheapest parameters: the default costs ~0.2 s a hash by design, which
    adds up over a few hundred sign-ins. The defaults are tested on their own (test_signin)."""
    monkeypatch.setattr(passwords, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def runtime(db_url, fast_hashing):
    rt = open_runtime(db_url)
    yield rt
    rt.db.dispose()


@pytest.fixture
def erp(runtime):
    install_bundle(runtime, SALES_ERP)  # the app without its demo data: the tests make what they need
    return runtime


@pytest.fixture
def clock(erp):
    c = Clock()
    erp.clock = c
    return c


@pytest.fixture
def make_user(erp):
    """make_user(login, admin=False) -> user id; the password is PASSWORD."""
    def make(login: str, *, admin: bool = False, password: str = PASSWORD) -> int:
        with erp.transaction() as c:
            return add_user(erp, c, login, f"用户 {login}", password, is_admin=admin)
    return make


@pytest.fixture
def app(erp, clock):
    return create_app(erp)


@pytest.fixture
def anon(app):
    with TestClient(app) as c:
        yield c


def sign_in(app, login: str, password: str = PASSWORD, **client_kw) -> TestClient:
    """A browser-like client signed in with a cookie; its CSRF token is in ``client.csrf``."""
    c = TestClient(app, **client_kw)
    r = c.post("/api/v1/auth/login", json={"login": login, "password": password})
    assert r.status_code == 200, r.text
    c.csrf = r.json()["csrf_token"]
    return c
