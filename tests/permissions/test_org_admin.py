"""The organisation through the admin API: users, departments, roles, xlsx import, the event log;
and roles.yaml scopes written as expressions over CURRENT_USER()."""
from __future__ import annotations

import io
import shutil

import pytest
import yaml
from openpyxl import Workbook

from engine.install import install_bundle
from engine.runtime import open_runtime

from .conftest import SALES_ERP


def _xlsx(departments, users) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "部门"
    for row in departments:
        ws.append(row)
    wu = wb.create_sheet("users")
    for row in users:
        wu.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_only_admins_administer(login):
    rep = login("rep_east1")
    assert rep.get("/api/v1/admin/users").status_code == 403
    assert rep.post("/api/v1/admin/departments", json={"name": "x"}).status_code == 403


def test_departments_users_and_roles_with_their_events(login):
    admin = login("admin_user")
    dep = admin.post("/api/v1/admin/departments", json={"name": "华北销售组", "code": "sales_north"})
    assert dep.status_code == 201
    did = dep.json()["id"]
    user = admin.post("/api/v1/admin/users", json={"login": "rep_north1", "name": "郑北", "department_id": did,
                                                    "password": "north-pass-1", "language": "en"})
    assert user.status_code == 201, user.text
    uid = user.json()["id"]
    assert admin.post("/api/v1/admin/users", json={"login": "rep_north1", "name": "again"}).status_code == 409
    r = admin.post("/api/v1/admin/role-assignments", json={"app": "sales_erp", "role": "sales_rep", "user_id": uid})
    assert r.status_code == 201
    bad = admin.post("/api/v1/admin/role-assignments", json={"app": "sales_erp", "role": "nobody", "user_id": uid})
    assert bad.status_code == 404
    users = {u["login"]: u for u in admin.get("/api/v1/admin/users").json()["items"]}
    assert users["rep_north1"]["roles"] == ["sales_erp.sales_rep"] and "password_hash" not in users["rep_north1"]
    kinds = [e["kind"] for e in admin.get("/api/v1/admin/events", params={"target": f"user:{uid}"}).json()["items"]]
    assert "role_assigned" in kinds and "user_created" in kinds
    # a department cannot be moved below itself
    child = admin.post("/api/v1/admin/departments", json={"name": "子组", "parent_id": did}).json()["id"]
    assert admin.patch(f"/api/v1/admin/departments/{did}", json={"parent_id": child}).status_code == 422


def test_org_import_from_xlsx_is_all_or_nothing(login):
    admin = login("admin_user")
    bad = _xlsx([["编码", "名称", "上级"], ["north", "华北大区", "sales"], ["north_a", "华北一组", "nowhere"]],
                [["登录名", "姓名", "部门", "角色"], ["n1", "北一", "north_a", "sales_rep"],
                 ["n2", "北二", "north", "sales_erp.no_such_role"]])
    r = admin.post("/api/v1/admin/org/import", params={"app": "sales_erp"},
                   files={"file": ("org.xlsx", bad, "application/octet-stream")})
    assert r.status_code == 422
    paths = sorted(d["path"] for d in r.json()["details"])
    assert paths == ["departments[3].parent", "users[3].roles"]
    names = {u["login"] for u in admin.get("/api/v1/admin/users").json()["items"]}
    assert "n1" not in names  # nothing was imported
    good = _xlsx([["编码", "名称", "上级", "负责人"], ["north", "华北大区", "sales", "n1"],
                  ["north_a", "华北一组", "north", ""]],
                 [["登录名", "姓名", "部门", "角色", "上级主管"], ["n1", "北一", "north_a", "sales_manager", ""],
                  ["n2", "北二", "north_a", "sales_erp.sales_rep", "n1"]])
    r = admin.post("/api/v1/admin/org/import", params={"app": "sales_erp"},
                   files={"file": ("org.xlsx", good, "application/octet-stream")})
    assert r.status_code == 200, r.text
    assert r.json() == {"departments": 2, "users": 2}
    users = {u["login"]: u for u in admin.get("/api/v1/admin/users").json()["items"]}
    assert users["n2"]["manager_id"] == users["n1"]["id"] and users["n2"]["roles"] == ["sales_erp.sales_rep"]
    assert admin.post("/api/v1/admin/org/import", files={"file": ("x.xlsx", b"not a workbook", "x")}).status_code == 422


@pytest.fixture
def region_scoped(db_url, tmp_path):
    """The sales app with reps scoped by region: read: region = CURRENT_USER().region."""
    bundle = tmp_path / "sales_erp"
    shutil.copytree(SALES_ERP, bundle)
    roles = yaml.safe_load((bundle / "roles.yaml").read_text("utf-8"))
    roles["roles"]["sales_rep"]["entities"]["customer"]["read"] = "region = CURRENT_USER().region"
    (bundle / "roles.yaml").write_text(yaml.safe_dump(roles, allow_unicode=True), "utf-8")
    rt = open_runtime(db_url)
    install_bundle(rt, bundle, demo=True)
    yield rt
    rt.db.dispose()


def test_a_scope_expression_over_the_current_users_profile(region_scoped):
    from fastapi.testclient import TestClient

    from engine.api.app import create_app

    with TestClient(create_app(region_scoped)) as c:
        r = c.post("/api/v1/auth/login", json={"login": "rep_south1", "password": "jimu-demo-2026"})
        assert r.status_code == 200
        got = c.get("/api/v1/records/sales_erp/customer", params={"page_size": 100}).json()
        # rep_south1's profile region is south: 华为 and 招商银行 are in the south region
        assert sorted(i["code"] for i in got["items"]) == ["C0001", "C0004"]


@pytest.fixture
def with_auditor(db_url, tmp_path):
    """The sales app plus an auditor role that reads every customer but not their phone or limit."""
    bundle = tmp_path / "sales_erp"
    shutil.copytree(SALES_ERP, bundle)
    roles = yaml.safe_load((bundle / "roles.yaml").read_text("utf-8"))
    roles["roles"]["auditor"] = {"label": {"zh": "审计", "en": "Auditor"},
                                 "entities": {"customer": {"read": "all", "hidden": ["phone", "credit_limit"]}}}
    (bundle / "roles.yaml").write_text(yaml.safe_dump(roles, allow_unicode=True), "utf-8")
    rt = open_runtime(db_url)
    install_bundle(rt, bundle, demo=True)
    yield rt
    rt.db.dispose()


def test_roles_add_up_row_by_row(with_auditor):
    """rep_east1 is a rep (own customers, limit hidden) and an auditor (all customers, phone and limit
    hidden): they read every customer, see the phone only on their own, the limit nowhere."""
    import sqlalchemy as sa
    from fastapi.testclient import TestClient

    from engine.api.app import create_app
    from engine.identity.org import Org

    rt = with_auditor
    u = rt.db.core["user"]
    with rt.transaction() as c:
        uid = c.execute(sa.select(u.c.id).where(u.c.login == "rep_east1")).scalar_one()
        Org(rt, rt.db.system_user_id).assign_role(c, "sales_erp", "auditor", user_id=uid)
    with TestClient(create_app(rt)) as c:
        c.post("/api/v1/auth/login", json={"login": "rep_east1", "password": "jimu-demo-2026"})
        items = {i["code"]: i for i in c.get("/api/v1/records/sales_erp/customer",
                                             params={"page_size": 100}).json()["items"]}
        assert set(items) == {"C0001", "C0002", "C0003", "C0004", "C0005", "C0006"}
        assert {k for k, i in items.items() if "phone" in i} == {"C0001", "C0003"}
        assert not any("credit_limit" in i for i in items.values())
        one = c.get(f"/api/v1/records/sales_erp/customer/{items['C0002']['id']}").json()
        assert "phone" not in one and one["name"] == "海尔集团"
        # a field hidden on some rows cannot be filtered on at all
        assert c.get("/api/v1/records/sales_erp/customer", params={"sort": "phone"}).status_code == 422


def test_the_admin_bypass_is_audited_once_an_hour(erp, login):
    admin = login("admin_user")
    for _ in range(3):
        assert admin.get("/api/v1/records/sales_erp/customer").json()["total"] == 6  # sees past every scope
    events = admin.get("/api/v1/admin/events", params={"kind": "admin_bypass"}).json()["items"]
    assert [e["target"] for e in events].count("/api/v1/records/sales_erp") == 1
