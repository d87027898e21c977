"""Issue 11 item 8: no input makes the API answer 500. Every route of the OpenAPI document, with every
method it declares, gets hostile path parameters, query parameters and bodies (deep nesting, huge
numbers, lone surrogates, NUL, wrong types, null everywhere, huge arrays, very long strings), signed
in as a normal user and as a platform admin; every answer is below 500 and every error has the one
shape: ``{code, message: {zh, en}, details: [{path, message}]}``."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.api.app import create_app
from engine.identity.api_tokens import create_token
from engine.identity.org import Org
from engine.install import install_bundle
from engine.runtime import open_runtime

JSON = {"Content-Type": "application/json"}
SALES_ERP = Path(__file__).resolve().parents[2] / "apps" / "sales_erp"
DEEP = 1000
HUGE_INT = "9223372036854775808"  # one past the largest 64-bit integer
LONG = "长" * 10_000

# JSON texts (bodies, and query parameters that hold JSON): sent as they are written here
HOSTILE_JSON = [
    "[" * DEEP + "]" * DEEP,
    '{"a":' * DEEP + "1" + "}" * DEEP,
    '{"name": "\\ud800", "q": "\\udfff", "login": "\\ud800", "title": "x\\ud800"}',
    '{"name": "a\\u0000b", "body": "\\u0000", "login": "x\\u0000", "filter": {"name": "\\u0000"}}',
    "null", "[]", '"text"', "1e400", HUGE_INT,
    "[" + ",".join(["0"] * 10_000) + "]", "[" + ",".join(['{"name": "x"}'] * 300) + "]",
]


def _hostile_objects(fields: list[str]) -> list[dict]:
    """Objects that put hostile values under the names a route may read."""
    values = [None, HUGE_INT, -int(HUGE_INT), 1e300, LONG[:2000], [], {"a": [{"b": None}]}, [None] * 1000,
              True, "\ud800", "\x00", "2026-13-45", 0.5]
    out = []
    for v in values:
        out.append(dict.fromkeys(fields, v))
    out.append({fields[0]: LONG})  # one very long text, where most routes read a name
    return out


BODY_FIELDS = ["name", "code", "login", "password", "email", "phone", "active", "language", "time_zone",
               "department_id", "manager_id", "is_admin", "profile", "parent_id", "head_id", "user_id", "app",
               "role", "department", "to_user", "filter", "sort", "columns", "entity", "body", "mentions",
               "title", "assignee", "due_at", "remind_at", "id", "values", "version", "customer", "amount",
               "credit_limit", "level", "owner", "lines", "days", "holidays", "workdays", "weekends", "year",
               "ids", "is_default", "state", "note", "expires_at", "record_id", "dry_run"]

QUERY_VALUES = [HUGE_INT, "-1", "1e400", "a\x00b", LONG[:2000], "[" * DEEP + "]" * DEEP, '{"name": "\\ud800"}',
                '{"name": {"eq": "\\u0000"}}', ",".join(f"-f{i}" for i in range(2000))]
PATH_VALUES = [HUGE_INT, "0", "1e400", "a%00b", "%ED%A0%80", "x" * 2000]


def _problem(client, what: str, method: str, url: str, **kw) -> str | None:
    """What is wrong with the answer (None: nothing). The server's exception, if any, names the cause."""
    try:
        r = client.request(method, url, **kw)
    except Exception as e:  # noqa: BLE001 - the test client re-raises what the server raised: a 500
        return f"{what}: 500 {type(e).__name__}: {str(e)[:160]}"
    if r.status_code >= 500:
        return f"{what}: {r.status_code} {r.text[:160]}"
    if r.status_code < 400 or method == "HEAD":
        return None
    body = r.json()
    ok = (isinstance(body.get("code"), str) and body["code"] and body["message"]["zh"] and body["message"]["en"]
          and isinstance(body["details"], list)
          and all(isinstance(d.get("path"), str) and d["message"]["zh"] and d["message"]["en"]
                  for d in body["details"]))
    return None if ok else f"{what}: {r.status_code} error of another shape: {r.text[:160]}"


@pytest.fixture
def served(db_url):
    rt = open_runtime(db_url)
    install_bundle(rt, SALES_ERP, demo=True)
    users = rt.db.core["user"]
    import sqlalchemy as sa

    with rt.transaction() as c:
        admin_id = Org(rt, rt.db.system_user_id).create_user(c, "fuzz_admin", "Fuzz admin", is_admin=True)
        rep_id = c.execute(sa.select(users.c.id).where(users.c.login == "rep_east1")).scalar_one()
        victim = c.execute(sa.select(users.c.id).where(users.c.login == "warehouse1")).scalar_one()
        tokens = {"admin": create_token(rt, c, admin_id, "fuzz").token,
                  "user": create_token(rt, c, rep_id, "fuzz").token}
    app = create_app(rt)
    yield rt, app, tokens, victim
    rt.db.dispose()


def _params(path: str, victim: int) -> dict[str, str]:
    # ids that exist but that a hostile write may change without locking the fuzzing users out
    return {"app": "sales_erp", "entity": "customer", "record_id": "1", "token_id": "999999",
            "user_id": str(victim), "department_id": "1", "view_id": "1", "todo_id": "1", "job_id": "1",
            "notification_id": "1", "name": "default", "template": "quote", "file_id": "1"}


def _concrete(path: str, values: dict[str, str], override: tuple[str, str] | None = None) -> str:
    def sub(m):
        name = m.group(1)
        if override and override[0] == name:
            return override[1]
        return values.get(name, "1")

    return re.sub(r"\{(\w+)(:\w+)?\}", sub, path)


def test_item8_no_route_answers_500_to_hostile_input(served):
    rt, app, tokens, victim = served
    spec = app.openapi()
    routes = [(p, m.upper(), op) for p, ops in spec["paths"].items() if p.startswith("/api/")
              for m, op in ops.items() if m in ("get", "post", "put", "patch", "delete")]
    assert len(routes) >= 60
    started = time.monotonic()
    sent = 0
    problems: list[str | None] = []
    slow: list[tuple[float, str]] = []
    for who in ("user", "admin"):
        with TestClient(app, headers={"Authorization": f"Bearer {tokens[who]}"}) as client:
            for path, method, op in routes:
                t0 = time.monotonic()
                if path in ("/api/v1/auth/logout",):
                    continue  # signing out ends the session under test; its input is none
                base = _params(path, victim)
                url = _concrete(path, base)
                names = re.findall(r"\{(\w+)", path)
                for name in names:
                    for v in PATH_VALUES:
                        u = _concrete(path, base, (name, v))
                        problems.append(_problem(client, f"{who} {method} {u[:200]}", method, u))
                        sent += 1
                for prm in op.get("parameters", []):
                    if prm["in"] != "query":
                        continue
                    for v in QUERY_VALUES:
                        problems.append(_problem(client, f"{who} {method} {url}?{prm['name']}={v[:80]!r}", method,
                                                 url, params={prm["name"]: v}))
                        sent += 1
                if method in ("POST", "PUT", "PATCH"):
                    for text in HOSTILE_JSON:
                        problems.append(_problem(client, f"{who} {method} {url} body {text[:80]!r}", method, url,
                                                 content=text, headers=JSON))
                        sent += 1
                    for obj in _hostile_objects(BODY_FIELDS):
                        text = json.dumps(obj, ensure_ascii=True)
                        problems.append(_problem(client, f"{who} {method} {url} body {text[:120]!r}", method, url,
                                                 content=text, headers=JSON))
                        sent += 1
                slow.append((time.monotonic() - t0, f"{who} {method} {path}"))
    assert sent > 1000
    print(f"{sent} requests in {time.monotonic() - started:.1f} s; slowest routes:",
          ", ".join(f"{w} {t:.1f}s" for t, w in sorted(slow, reverse=True)[:8]))
    found = [p for p in problems if p]
    assert not found, f"{len(found)} answers of {sent}:\n" + "\n".join(found[:80])


# ---- the cases the issue names, each where it enters ---------------------------------------------------

@pytest.fixture
def as_user(served):
    rt, app, tokens, victim = served
    with TestClient(app, headers={"Authorization": f"Bearer {tokens['user']}"}) as c:
        yield c


@pytest.fixture
def as_admin(served):
    rt, app, tokens, victim = served
    with TestClient(app, headers={"Authorization": f"Bearer {tokens['admin']}"}) as c:
        c.victim = victim
        yield c


CUSTOMERS = "/api/v1/records/sales_erp/customer"


def _error(r, status: int = 422) -> dict:
    assert r.status_code == status, r.text[:300]
    body = r.json()
    assert body["code"] and body["message"]["zh"] and body["message"]["en"]
    return {d["path"]: d["message"]["en"] for d in body["details"]}


def test_item8_json_nested_a_thousand_levels_is_refused_in_bodies_and_filters(as_user):
    deep = '{"name": ' + "[" * DEEP + "]" * DEEP + "}"
    assert _error(as_user.post(CUSTOMERS, content=deep, headers=JSON)) == {"body": "at most 32 levels of nesting"}
    flt = '{"name": ' + '{"a":' * DEEP + "1" + "}" * DEEP + "}"
    assert _error(as_user.get(CUSTOMERS, params={"filter": flt})) == {"filter": "at most 32 levels of nesting"}
    assert as_user.post(CUSTOMERS + "/form-state", content=deep, headers=JSON).status_code == 422


def test_item8_page_numbers_and_sort_keys_are_bounded(as_user):
    assert "query.page" in _error(as_user.get(CUSTOMERS, params={"page": "9223372036854775807"}))
    assert "query.page" in _error(as_user.get(CUSTOMERS + "/picker", params={"page": "9223372036854775807"}))
    assert "query.page" in _error(as_user.get("/api/v1/notifications", params={"page": "9223372036854775807"}))
    assert "path.record_id" in _error(as_user.get(CUSTOMERS + "/9223372036854775808"))
    many = ",".join(["name"] * 2000)
    assert _error(as_user.get(CUSTOMERS, params={"sort": many})) == {"sort": "at most 10 sort keys"}


@pytest.mark.parametrize("bad, message", [
    ("\\ud800", "text cannot contain a lone surrogate (such as \\ud800)"),
    ("\\udfff", "text cannot contain a lone surrogate (such as \\ud800)"),
    ("a\\u0000b", "text cannot contain the NUL character (\\u0000)"),
])
def test_item8_lone_surrogates_and_nul_are_refused_alike_wherever_text_enters(as_user, as_admin, bad, message):
    """The same 422 on SQLite and PostgreSQL: records, filters, comments, views, the admin's users."""
    def post(client, url, text):
        return _error(client.post(url, content=text, headers=JSON))

    before = as_user.get(CUSTOMERS, params={"page_size": 100}).json()["total"]
    assert post(as_user, CUSTOMERS, '{"name": "客户%s"}' % bad) == {"name": message}
    assert post(as_user, CUSTOMERS + "/bulk", '[{"name": "ok"}, {"name": "%s"}]' % bad) == {"[1].name": message}
    assert post(as_user, CUSTOMERS + "/form-state", '{"values": {"name": "%s"}}' % bad) == {"values.name": message}
    got = as_user.get(CUSTOMERS, params={"filter": '{"name": {"contains": "%s"}}' % bad})
    assert _error(got) == {"filter.name.contains": message}
    mine = as_user.get(CUSTOMERS, params={"page_size": 1}).json()["items"][0]["id"]
    assert post(as_user, f"{CUSTOMERS}/{mine}/comments", '{"body": "看看%s"}' % bad) == {"body": message}
    view = '{"app": "sales_erp", "entity": "customer", "name": "%s", "filter": {}}' % bad
    assert post(as_user, "/api/v1/views", view) == {"name": message}
    assert post(as_admin, "/api/v1/admin/users", '{"login": "x%s", "name": "新人"}' % bad) == {"login": message}
    assert as_user.get(CUSTOMERS, params={"page_size": 100}).json()["total"] == before  # nothing was saved


def test_item8_nul_in_query_parameters_and_keywords_is_refused(as_user):
    assert _error(as_user.get(CUSTOMERS, params={"q": "华\x00"})) == {"query.q": "text cannot contain the NUL "
                                                                                    "character (\\u0000)"}
    assert "query.q" in _error(as_user.get("/api/v1/search", params={"q": "\x00"}))
    assert "query.q" in _error(as_user.get("/api/v1/users/directory", params={"q": "a\x00"}))


def test_item8_admin_patch_of_a_user_with_password_null_is_422_and_changes_nothing(as_admin):
    r = as_admin.patch(f"/api/v1/admin/users/{as_admin.victim}", json={"password": None, "name": "改名"})
    assert _error(r) == {"password": "cannot be null"}
    users = as_admin.get("/api/v1/admin/users").json()["items"]
    assert next(u for u in users if u["id"] == as_admin.victim)["name"] != "改名"
    r = as_admin.patch(f"/api/v1/admin/users/{as_admin.victim}", json={"name": ["x"], "active": "yes"})
    assert _error(r) == {"name": "must be text", "active": "must be true or false"}


def test_item8_an_import_with_nul_is_refused_and_imports_nothing(as_admin):
    before = as_admin.get(CUSTOMERS).json()["total"]
    csv = "客户名称,客户编号\r\n好客户,C-NUL\r\n坏\x00客户,C-NUL2\r\n".encode("utf-8-sig")
    r = as_admin.post(CUSTOMERS + "/import", files={"file": ("c.csv", csv)}, data={"dry_run": "false"})
    assert 400 <= r.status_code < 500, r.text[:300]
    assert as_admin.get(CUSTOMERS).json()["total"] == before


def test_item8_text_from_any_source_is_checked_by_the_field(served):
    """Import cells and sub-table rows reach fields without JSON: the field refuses NUL and surrogates."""
    from engine.fieldtypes import FieldValueError

    rt = served[0]
    name = rt.app("sales_erp").entity("customer").field("name")
    for bad in ("坏\x00", "\ud800"):
        with pytest.raises(FieldValueError):
            name.parse(bad)
        with pytest.raises(FieldValueError):
            name.ftype.from_text(name.definition, bad)
