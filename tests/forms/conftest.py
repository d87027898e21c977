"""Form-engine test setup: install a test bundle from tests/forms/bundles/<name>, get API clients.

``forms_env("fieldtypes")`` installs that bundle into the test's database (SQLite, and PostgreSQL
when configured) and returns an ``Env`` with the runtime, an admin API client and ``client_for``
to act as another user.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.api.app import create_app
from engine.identity.api_tokens import create_token
from engine.install import install_bundle
from engine.runtime import Runtime, open_runtime

BUNDLES = Path(__file__).resolve().parent / "bundles"
SALES_ERP = Path(__file__).resolve().parents[2] / "apps" / "sales_erp"


@dataclass
class Env:
    rt: Runtime
    admin: TestClient
    app_name: str
    _clients: list = field(default_factory=list)

    def client_for(self, login: str, *, is_admin: bool = False, roles: tuple[tuple[str, str], ...] = ()) -> TestClient:
        """A client acting as user ``login`` (made when missing), with ``roles`` as (app, role) pairs."""
        users = self.rt.db.core["user"]
        import sqlalchemy as sa

        with self.rt.transaction() as c:
            uid = c.execute(sa.select(users.c.id).where(users.c.login == login)).scalar()
            if uid is None:
                uid = c.execute(users.insert().values(login=login, name=login, is_admin=is_admin,
                                                      active=True)).inserted_primary_key[0]
            ra = self.rt.db.core["role_assignment"]
            for app, role in roles:
                c.execute(ra.insert().values(user_id=uid, app=app, role=role))
            token = create_token(self.rt, c, uid, "forms tests").token
        client = TestClient(create_app(self.rt), headers={"Authorization": f"Bearer {token}"})
        client.__enter__()
        self._clients.append(client)
        return client

    def url(self, entity: str, suffix: str = "") -> str:
        return f"/api/v1/records/{self.app_name}/{entity}{suffix}"

    def close(self) -> None:
        for c in self._clients:
            c.__exit__(None, None, None)


@pytest.fixture
def forms_env(db_url):
    made: list[Env] = []

    def make(bundle: str | Path, *, demo: bool = False) -> Env:
        path = bundle if isinstance(bundle, Path) else BUNDLES / bundle
        rt = open_runtime(db_url)
        result = install_bundle(rt, path, demo=demo)
        env = Env(rt, None, result.app.name)  # type: ignore[arg-type]
        env.admin = env.client_for("forms_admin", is_admin=True)
        made.append(env)
        return env

    yield make
    for env in made:
        env.close()
        env.rt.db.dispose()
