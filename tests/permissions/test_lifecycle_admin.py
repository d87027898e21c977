"""Issue 13: every route of the app lifecycle API (engine/api/apps_lifecycle.py) is for platform admins.
The routes are read from the router itself, so a route added later is in this matrix without a line
here: a signed-in user who is not a platform admin gets 403 (the app's own admin role included), an
anonymous caller 401, and nothing is uploaded or changed."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from engine.api.apps_lifecycle import router

ROUTES = sorted((method, route.path) for route in router.routes for method in route.methods)
EXPECTED = {("GET", "/api/v1/admin/apps"), ("POST", "/api/v1/admin/bundles"),
            ("GET", "/api/v1/admin/bundles/{upload_id}/plan"), ("POST", "/api/v1/admin/bundles/{upload_id}/apply"),
            ("PUT", "/api/v1/apps/{app}/definitions/{kind}/{name}"), ("POST", "/api/v1/apps/{app}/revert")}


def concrete(path: str) -> str:
    values = {"upload_id": "0" * 32, "app": "sales_erp", "kind": "roles", "name": "roles"}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def test_the_matrix_covers_the_routes_the_issue_names():
    assert EXPECTED <= set(ROUTES)


@pytest.fixture
def matrix(erp, login, app, tmp_path, monkeypatch):
    monkeypatch.setenv("JIMU_UPLOAD_DIR", str(tmp_path / "uploads"))
    return erp, login, app, tmp_path / "uploads"


@pytest.mark.parametrize("user", ["rep_east1", "erp_admin"])
def test_users_who_are_not_platform_admins_get_403_on_every_route(matrix, user):
    erp, login, _app, uploads = matrix
    client = login(user)
    roles = erp.app("sales_erp").documents["roles"]
    for method, path in ROUTES:
        r = client.request(method, concrete(path), json=roles if method == "PUT" else None)
        assert (r.status_code, r.json()["code"]) == (403, "perm.E_ADMIN"), (user, method, path, r.text)
    assert not uploads.exists() or list(uploads.iterdir()) == []
    assert erp.app("sales_erp").documents["roles"] == roles


def test_anonymous_callers_get_401_on_every_route(matrix):
    _erp, _login, app, _uploads = matrix
    with TestClient(app) as anon:
        for method, path in ROUTES:
            assert anon.request(method, concrete(path)).status_code == 401, (method, path)
