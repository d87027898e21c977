"""Issue 11 item 5: sign-in throttling holds under concurrency, and a client cannot choose its own
address. Each attempt is counted before its password is checked, so 30 wrong passwords sent at once
get exactly the limit of password checks; the rest are refused (429). ``X-Forwarded-For`` is read
only from a proxy named in ``JIMU_TRUSTED_PROXIES``."""
from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from engine.api.app import create_app
from engine.identity import signin
from engine.identity.sessions import SessionSettings
from engine.identity.signin import SignInFailed, TooManyAttempts, sign_in
from engine.identity.throttle import ThrottleSettings

from .conftest import PASSWORD

LOGIN = "/api/v1/auth/login"
PARALLEL = 30


def _race(erp, monkeypatch, logins: list[str], ip: str) -> tuple[int, int, int]:
    """Sign in with a wrong password once per login, all at once; (password checks, 401s, 429s)."""
    checks = []
    real_verify, real_burn = signin.verify_password, signin.burn_time

    def slow_verify(h, p):  # a slow hash is what opened the race: make it wide
        checks.append(1)
        time.sleep(0.05)
        return real_verify(h, p)

    def slow_burn(p):
        checks.append(1)
        time.sleep(0.05)
        return real_burn(p)

    monkeypatch.setattr(signin, "verify_password", slow_verify)
    monkeypatch.setattr(signin, "burn_time", slow_burn)
    start = threading.Barrier(len(logins))
    outcomes: list[str] = []

    def attempt(login: str) -> None:
        start.wait()
        try:
            sign_in(erp, login, "wrong-password-1", ip=ip, sessions=SessionSettings(), throttle=ThrottleSettings())
            outcomes.append("ok")
        except SignInFailed:
            outcomes.append("401")
        except TooManyAttempts:
            outcomes.append("429")
        except Exception as e:  # noqa: BLE001 - any other outcome fails the test below
            outcomes.append(repr(e))

    threads = [threading.Thread(target=attempt, args=(login,)) for login in logins]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == len(logins) and set(outcomes) <= {"401", "429"}, outcomes
    return len(checks), outcomes.count("401"), outcomes.count("429")


def test_item5_parallel_wrong_passwords_get_at_most_the_limit_of_checks(erp, make_user, monkeypatch):
    make_user("wang")
    checks, refused, throttled = _race(erp, monkeypatch, ["wang"] * PARALLEL, "10.0.0.1")
    # exactly the limit: never more, and a burst never refuses itself entirely
    assert checks == ThrottleSettings().max_failures and refused == checks
    assert throttled == PARALLEL - refused
    monkeypatch.undo()
    with TestClient(create_app(erp)) as c:  # attempts that were refused were not counted: the limit still holds
        for _ in range(ThrottleSettings().max_failures - refused):
            assert c.post(LOGIN, json={"login": "wang", "password": "wrong-password-2"}).status_code == 401
        assert c.post(LOGIN, json={"login": "wang", "password": PASSWORD}).status_code == 429


def test_item5_parallel_spraying_from_one_address_is_held_to_its_limit(erp, monkeypatch):
    logins = [f"spray{i}" for i in range(PARALLEL)]  # one try per login: only the address limit applies
    checks, refused, throttled = _race(erp, monkeypatch, logins, "10.0.0.2")
    assert checks == ThrottleSettings().max_failures_per_ip and refused == checks
    assert throttled == PARALLEL - refused


def test_item5_a_forged_forwarded_for_does_not_evade_the_address_limit(erp, make_user, monkeypatch):
    monkeypatch.setenv("JIMU_LOGIN_MAX_FAILURES_PER_IP", "3")
    monkeypatch.delenv("JIMU_TRUSTED_PROXIES", raising=False)
    make_user("he")
    c = TestClient(create_app(erp), client=("203.0.113.7", 4000))
    for i in range(3):
        r = c.post(LOGIN, json={"login": f"x{i}", "password": "Spring2024"},
                   headers={"X-Forwarded-For": f"198.51.100.{i}"})
        assert r.status_code == 401
    r = c.post(LOGIN, json={"login": "he", "password": PASSWORD}, headers={"X-Forwarded-For": "198.51.100.99"})
    assert r.status_code == 429


def test_item5_behind_a_trusted_proxy_the_client_address_is_the_forwarded_one(erp, make_user, monkeypatch):
    monkeypatch.setenv("JIMU_LOGIN_MAX_FAILURES_PER_IP", "3")
    monkeypatch.setenv("JIMU_TRUSTED_PROXIES", "127.0.0.1, 10.9.0.0/16")
    make_user("he")
    app = create_app(erp)
    proxy = TestClient(app, client=("10.9.1.1", 4000))
    for i in range(3):  # the attacker (198.51.100.5) forges a left-most entry: the proxy appends the real one
        r = proxy.post(LOGIN, json={"login": f"x{i}", "password": "Spring2024"},
                       headers={"X-Forwarded-For": f"1.2.3.{i}, 198.51.100.5"})
        assert r.status_code == 401
    locked = proxy.post(LOGIN, json={"login": "he", "password": PASSWORD},
                        headers={"X-Forwarded-For": "1.2.3.200, 198.51.100.5"})
    assert locked.status_code == 429
    # another client behind the same proxy is another address; so is one through two trusted hops
    assert proxy.post(LOGIN, json={"login": "he", "password": PASSWORD},
                      headers={"X-Forwarded-For": "198.51.100.6"}).status_code == 200
    assert proxy.post(LOGIN, json={"login": "he", "password": PASSWORD},
                      headers={"X-Forwarded-For": "198.51.100.5, 127.0.0.1"}).status_code == 429


def test_item5_jimu_serve_does_not_trust_forwarded_for_from_localhost(erp, db_url, make_user, monkeypatch):
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told not to: the served stack must not."""
    import uvicorn

    from engine import cli

    monkeypatch.setenv("JIMU_LOGIN_MAX_FAILURES_PER_IP", "3")
    monkeypatch.delenv("JIMU_TRUSTED_PROXIES", raising=False)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    make_user("he")
    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, kw=kw))
    assert cli.main(["serve", "--db", db_url, "--no-worker"]) == 0
    config = uvicorn.Config(served["app"], **served["kw"])
    config.load()
    c = TestClient(config.loaded_app, client=("127.0.0.1", 4000))
    for i in range(3):
        r = c.post(LOGIN, json={"login": f"x{i}", "password": "Spring2024"},
                   headers={"X-Forwarded-For": f"198.51.100.{i}"})
        assert r.status_code == 401
    assert c.post(LOGIN, json={"login": "he", "password": PASSWORD},
                  headers={"X-Forwarded-For": "198.51.100.99"}).status_code == 429
