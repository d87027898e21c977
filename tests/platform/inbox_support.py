"""Shared setup of the inbox tests (calendars, notifications, to-dos, the inbox): the sales app with
its demo organisation on a clock that stands still, a platform admin, and sign-in as any of them."""
from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine.identity.actor import load_actor
from engine.identity.org import Org
from engine.identity.passwords import hash_password
from engine.install import install_bundle
from engine.platform.clock import FixedClock
from engine.runtime import open_runtime

SALES_ERP = Path(__file__).resolve().parents[2] / "apps" / "sales_erp"
DEMO_PASSWORD = "jimu-demo-2026"  # apps/sales_erp/seed/org.yaml
T0 = dt.datetime(2026, 3, 2, 1, 0)  # Monday 2 March 2026, 09:00 in Shanghai


@contextlib.contextmanager
def sales_erp(db_url: str):
    rt = open_runtime(db_url)
    rt.clock = FixedClock(T0)
    install_bundle(rt, SALES_ERP, demo=True)
    with rt.transaction() as c:  # a platform admin (the explicit bypass), besides the app's admin role
        Org(rt, rt.db.system_user_id).create_user(c, "admin_user", "平台管理员", is_admin=True,
                                              password_hash=hash_password(DEMO_PASSWORD))
    try:
        yield rt
    finally:
        rt.db.dispose()


class SignIn:
    """``sign_in("rep_east1")`` -> a TestClient signed in as that user (cookie and CSRF header)."""

    def __init__(self, app) -> None:
        self.app, self.clients = app, []

    def __call__(self, login: str) -> TestClient:
        c = TestClient(self.app)
        c.__enter__()
        self.clients.append(c)
        r = c.post("/api/v1/auth/login", json={"login": login, "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return c

    def close(self) -> None:
        for c in self.clients:
            c.__exit__(None, None, None)


def uid(rt, login: str) -> int:
    u = rt.db.core["user"]
    with rt.connect() as c:
        return c.execute(sa.select(u.c.id).where(u.c.login == login)).scalar_one()


def actor(rt, login: str):
    return load_actor(rt, uid(rt, login))


def record_id(rt, entity: str, code: str) -> int:
    t = rt.table("sales_erp", entity)
    with rt.connect() as c:
        return c.execute(sa.select(t.c.id).where(t.c.code == code)).scalar_one()
