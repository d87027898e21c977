"""Owner assignment (issue 11 item 6): giving a record to someone else is its own permission — the
``transfer`` grant — judged before anything is written, on create, PATCH, bulk, the form state and
import. The system user and inactive users are never assignable by people, the platform admin only
by a platform admin. And a write never answers an error after it committed: one whose record the
writer may not read afterwards succeeds with its id and ``readable: false``."""
from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from engine.identity.transfer import TransferScope, compile_transfer

from .test_read_matrix import BASE, _ids_by_code, _user


def _count(erp, entity: str, **where) -> int:
    t = erp.table("sales_erp", entity)
    with erp.connect() as c:
        return c.execute(sa.select(sa.func.count()).select_from(t)
                         .where(*(t.c[k] == v for k, v in where.items()))).scalar()


def _owner(erp, entity: str, rid: int) -> int:
    t = erp.table("sales_erp", entity)
    with erp.connect() as c:
        return c.execute(sa.select(t.c.owner).where(t.c.id == rid)).scalar_one()


def _grant(erp, entity: str, role: str, transfer) -> None:
    grants = erp.apps["sales_erp"].grants[entity]
    grants[role] = dataclasses.replace(grants[role], transfer=transfer)


def test_item6_a_rep_cannot_give_a_record_to_someone_else(erp, login):
    rep, other = login("rep_east1"), _user(erp, "rep_east2")
    made = rep.post(f"{BASE}/customer", json={"name": "转交探测", "owner": other})
    assert made.status_code == 403 and made.json()["details"][0]["path"] == "owner"
    bulk = rep.post(f"{BASE}/customer/bulk", json=[{"name": "转交探测"}, {"name": "转交探测2", "owner": other}])
    assert bulk.status_code == 403 and [d["path"] for d in bulk.json()["details"]] == ["[1].owner"]
    state = rep.post(f"{BASE}/customer/form-state", json={"values": {"name": "转交探测", "owner": other}})
    assert state.status_code == 403
    assert _count(erp, "customer", name="转交探测") == _count(erp, "customer", name="转交探测2") == 0
    mine = _ids_by_code(erp)["C0001"]
    moved = rep.patch(f"{BASE}/customer/{mine}", json={"owner": other})
    assert moved.status_code == 403 and _owner(erp, "customer", mine) == _user(erp, "rep_east1")
    # owning what one creates, or sending one's own id, needs no transfer
    own = rep.post(f"{BASE}/customer", json={"name": "自己的", "owner": _user(erp, "rep_east1")})
    assert own.status_code == 201 and own.json()["owner"] == _user(erp, "rep_east1")


def test_item6_a_manager_transfers_within_their_department_tree(erp, login):
    mgr = login("manager_east")
    rep1, rep2, south = (_user(erp, x) for x in ("rep_east1", "rep_east2", "rep_south1"))
    made = mgr.post(f"{BASE}/customer", json={"name": "经理分配", "owner": rep1})
    assert made.status_code == 201 and made.json()["owner"] == rep1
    assert _count(erp, "customer", name="经理分配") == 1  # exactly one: the answer came before the commit
    assert login("rep_east1").get(f"{BASE}/customer/{made.json()['id']}").status_code == 200
    outside = mgr.post(f"{BASE}/customer", json={"name": "跨组分配", "owner": south})
    assert outside.status_code == 403 and _count(erp, "customer", name="跨组分配") == 0
    moved = mgr.patch(f"{BASE}/customer/{made.json()['id']}", json={"owner": rep2})
    assert moved.status_code == 200 and moved.json()["owner"] == rep2
    ok = mgr.post(f"{BASE}/customer/bulk", json=[{"name": "批量1", "owner": rep1}, {"name": "批量2", "owner": rep2}])
    assert ok.status_code == 201 and ok.json()["count"] == 2
    mixed = mgr.post(f"{BASE}/customer/bulk",
                     json=[{"name": "批量3", "owner": rep1}, {"name": "批量4", "owner": south}])
    assert mixed.status_code == 403 and [d["path"] for d in mixed.json()["details"]] == ["[1].owner"]
    assert _count(erp, "customer", name="批量3") == 0  # all or none
    director = login("director")  # the director's tree is the whole sales department
    assert director.post(f"{BASE}/customer", json={"name": "总监分配", "owner": south}).status_code == 201


def test_item6_the_system_user_inactive_users_and_admins_are_not_for_people_to_assign(erp, login):
    admin_id, system = _user(erp, "admin_user"), erp.db.system_user_id
    mgr, platform_admin = login("manager_east"), login("admin_user")
    app_admin = login("erp_admin")  # the app's admin role: transfer: all
    for client in (mgr, app_admin):
        r = client.post(f"{BASE}/customer", json={"name": "给管理员", "owner": admin_id})
        assert r.status_code == 403 and r.json()["details"][0]["path"] == "owner"
    for client in (mgr, app_admin, platform_admin):
        r = client.post(f"{BASE}/customer", json={"name": "给系统", "owner": system})
        assert r.status_code == 422 and r.json()["details"][0]["code"] == "owner"
    assert platform_admin.post(f"{BASE}/customer", json={"name": "给管理员", "owner": admin_id}).status_code == 201
    assert _count(erp, "customer", name="给管理员") == 1 and _count(erp, "customer", name="给系统") == 0
    # an inactive colleague, inside the tree
    assert platform_admin.patch(f"/api/v1/admin/users/{_user(erp, 'rep_east2')}",
                                json={"active": False}).status_code == 200
    r = mgr.post(f"{BASE}/customer", json={"name": "给离职", "owner": _user(erp, "rep_east2")})
    assert r.status_code == 422 and _count(erp, "customer", name="给离职") == 0


def test_item6_an_import_cannot_choose_owners(erp, login):
    mgr = login("manager_east")  # may import leads
    content = f"公司名称,联系人,owner\r\n导入转交,王五,{_user(erp, 'rep_south1')}\r\n".encode("utf-8-sig")
    r = mgr.post(f"{BASE}/lead/import", files={"file": ("l.csv", content)}, data={"dry_run": "false"})
    assert r.status_code == 422, r.text
    assert [p["column"] for p in r.json()["report"]["problems"]] == ["owner"]
    assert _count(erp, "lead", company="导入转交") == 0


def test_item6_a_write_the_writer_cannot_read_back_succeeds_with_readable_false(erp, login):
    """A rep allowed to hand customers to their own department (granted here) reads only their own:
    the customer they gave away is created once, and the answer says they may not read it."""
    _grant(erp, "customer", "sales_rep", TransferScope("department"))
    rep, other = login("rep_east1"), _user(erp, "rep_east2")
    made = rep.post(f"{BASE}/customer", json={"name": "送出去的", "owner": other})
    assert made.status_code == 201, made.text
    assert made.json() == {"id": made.json()["id"], "readable": False}
    assert _count(erp, "customer", name="送出去的") == 1 and _owner(erp, "customer", made.json()["id"]) == other
    mine = _ids_by_code(erp)["C0003"]
    moved = rep.patch(f"{BASE}/customer/{mine}", json={"owner": other})
    assert moved.status_code == 200 and moved.json() == {"id": mine, "readable": False}
    assert _owner(erp, "customer", mine) == other
    south = rep.post(f"{BASE}/customer", json={"name": "送到华南", "owner": _user(erp, "rep_south1")})
    assert south.status_code == 403


def test_item6_a_transfer_scope_may_be_an_expression_over_the_receiving_user(erp, login):
    problems: list = []
    scope = compile_transfer("region = CURRENT_USER().region", erp.functions, (), problems)
    assert not problems
    _grant(erp, "lead", "sales_rep", scope)
    rep = login("rep_east1")
    to_east = rep.post(f"{BASE}/lead",
                       json={"company": "同区线索", "contact_name": "甲", "owner": _user(erp, "manager_east")})
    assert to_east.status_code == 201, to_east.text
    to_south = rep.post(f"{BASE}/lead",
                        json={"company": "跨区线索", "contact_name": "乙", "owner": _user(erp, "rep_south1")})
    assert to_south.status_code == 403
