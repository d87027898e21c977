"""Item 9: an engine opens a path under /api/v1/ without sign-in; nothing wider, nothing of the kernel."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from engine.api.app import create_app
from engine.errors import JimuError
from engine.install import install_bundle
from engine.runtime import open_runtime
from tests.identity import test_gate

SAMPLE = "tests.hooks.sample_engine"


@pytest.fixture
def sample_rt(db_url, monkeypatch):
    monkeypatch.setenv("JIMU_EXTRA_ENGINES", SAMPLE)
    rt = open_runtime(db_url)
    install_bundle(rt, test_gate.__file__.rsplit("/tests/", 1)[0] + "/apps/sales_erp")
    yield rt
    rt.db.dispose()


@pytest.fixture
def sample_app(sample_rt):
    return create_app(sample_rt)


def test_the_sample_ping_answers_without_sign_in(sample_app):
    with TestClient(sample_app) as anon:
        r = anon.post("/api/v1/hooks/sample/ping")
        assert r.status_code == 200 and r.json() == {"pong": True}
        assert anon.post("/api/v1/hooks/sample/ping/more").status_code == 401  # the exact path only
        assert anon.get("/api/v1/apps").status_code == 401


def test_every_other_route_stays_401_with_the_sample_engine(sample_app):
    opened = {("POST", "/api/v1/hooks/sample/ping")}
    checked = 0
    with TestClient(sample_app) as anon:
        for path in test_gate._api_paths(sample_app):
            url = test_gate._concrete(path)
            for method in test_gate.METHODS:
                if (method, path) in test_gate.OPEN or (method, path) in opened:
                    continue
                if path == "/api/v1/hooks/sample/ping":  # open for any method: the router says 405
                    assert anon.request(method, url).status_code == 405
                    continue
                test_gate._assert_401(anon.request(method, url, json={"x": 1}), f"{method} {url}")
                checked += 1
    assert checked >= 60


@pytest.mark.parametrize("path", ["/api/v1/*", "/api/v1/records*", "/api/v1/records/*", "/api/v1/records/x/y",
                                  "/api/v2/hooks/x", "/hooks/x", "/api/v1/hooks*", "/api/v1/hooks/*",
                                  "/api/v1/hooks/x*", "/api/v1/apps", "/api/v1/auth/x", "/api/v1/a/../records",
                                  "/api/v1/hooks/*/ping"])
def test_a_wide_or_kernel_path_is_refused_at_registration(path):
    from engine.runtime import Runtime

    rt = Runtime.__new__(Runtime)
    rt.public_paths = set()
    with pytest.raises(JimuError) as e:
        rt.add_public_path(path)
    assert e.value.code == "engine.E_PUBLIC_PATH"
    d = e.value.details[0]
    assert d["message"]["zh"] and d["message"]["en"] and path in d["message"]["en"]
    assert rt.public_paths == set()


@pytest.mark.parametrize("entry", ["/api/v1/hooks/*", "/api/v1/apps"])
def test_an_entry_over_routes_of_no_engine_stops_the_app(sample_rt, entry):
    sample_rt.public_paths.add(entry)  # put in by hand, past add_public_path
    with pytest.raises(JimuError) as e:
        create_app(sample_rt)
    assert e.value.code == "engine.E_PUBLIC_PATH"


def test_a_prefix_over_only_the_engines_own_routes_is_accepted(sample_rt):
    sample_rt.add_public_path("/api/v1/hooks/sample/*")
    with TestClient(create_app(sample_rt)) as anon:
        assert anon.post("/api/v1/hooks/sample/ping").status_code == 200


def test_an_entry_put_in_by_hand_over_a_kernel_route_is_not_honoured(sample_rt, sample_app):
    sample_rt.public_paths.add("/api/v1/app*")  # after the app was built: the gate still refuses it
    with TestClient(sample_app) as anon:
        assert anon.get("/api/v1/apps").status_code == 401
