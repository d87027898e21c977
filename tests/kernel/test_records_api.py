"""Records through the REST API, on SQLite and PostgreSQL, with the shipped sales app."""
from __future__ import annotations

import json
from decimal import Decimal

BASE = "/api/v1/records/sales_erp"


def _create_customer(client, **fields):
    body = {"name": "测试客户", "credit_limit": "1000.50", **fields}
    r = client.post(f"{BASE}/customer", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_create_read_update_delete_restore_with_history(client):
    c = _create_customer(client, name="深圳测试科技", level="A", phone="0755-1")
    assert c["version"] == 1 and c["title"] == "深圳测试科技" and c["credit_limit"] == 1000.5
    got = client.get(f"{BASE}/customer/{c['id']}").json()
    assert got["name"] == "深圳测试科技" and got["status"] == "prospect"  # default applied

    r = client.patch(f"{BASE}/customer/{c['id']}", json={"version": 1, "credit_limit": 2000, "phone": "0755-2"})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["credit_limit"] == 2000

    r = client.delete(f"{BASE}/customer/{c['id']}")
    assert r.status_code == 200 and r.json()["deleted_at"] is not None
    assert client.get(f"{BASE}/customer/{c['id']}").status_code == 404
    names = [i["name"] for i in client.get(f"{BASE}/customer", params={"deleted": "true"}).json()["items"]]
    assert "深圳测试科技" in names

    r = client.post(f"{BASE}/customer/{c['id']}/restore")
    assert r.status_code == 200 and r.json()["deleted_at"] is None
    back = client.get(f"{BASE}/customer/{c['id']}").json()
    assert back["credit_limit"] == 2000 and back["phone"] == "0755-2" and back["version"] == 4

    hist = client.get(f"{BASE}/customer/{c['id']}/history").json()["items"]
    assert [h["action"] for h in hist] == ["create", "update", "delete", "restore"]
    assert hist[1]["changes"]["credit_limit"] == {"old": 1000.5, "new": 2000}
    assert hist[1]["changes"]["phone"] == {"old": "0755-1", "new": "0755-2"}
    assert hist[0]["changes"]["name"] == {"old": None, "new": "深圳测试科技"}
    assert hist[0]["actor"]["name"] == client.get("/api/v1/auth/me").json()["user"]["name"]


def test_stale_version_gets_409_and_changes_nothing(client):
    c = _create_customer(client, name="并发客户")
    assert client.patch(f"{BASE}/customer/{c['id']}", json={"version": 1, "phone": "first"}).status_code == 200
    r = client.patch(f"{BASE}/customer/{c['id']}", json={"version": 1, "phone": "second"})
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "record.E409" and body["message"]["zh"] and body["message"]["en"]
    assert body["details"][0]["current"] == 2
    now = client.get(f"{BASE}/customer/{c['id']}").json()
    assert now["phone"] == "first" and now["version"] == 2
    assert len(client.get(f"{BASE}/customer/{c['id']}/history").json()["items"]) == 2
    assert client.delete(f"{BASE}/customer/{c['id']}", params={"version": 1}).status_code == 409
    assert client.get(f"{BASE}/customer/{c['id']}").status_code == 200


def test_failed_create_leaves_no_row_and_no_audit_entry(client, erp):
    import sqlalchemy as sa

    def counts():
        with erp.connect() as c:
            rows = c.execute(sa.select(sa.func.count()).select_from(erp.table("sales_erp", "customer"))).scalar()
            audits = c.execute(sa.select(sa.func.count()).select_from(erp.db.core["audit"])).scalar()
        return rows, audits

    before = counts()
    r = client.post(f"{BASE}/customer", json={"level": "Z", "credit_limit": "abc", "bogus": 1})
    assert r.status_code == 422
    paths = sorted(d["path"] for d in r.json()["details"])
    assert paths == ["bogus", "credit_limit", "level", "name"]  # every problem at once
    dup = client.post(f"{BASE}/customer", json={"name": "华为技术有限公司"})
    assert dup.status_code == 422 and dup.json()["details"][0]["code"] == "unique"
    assert counts() == before


def test_error_shape_for_404_and_bad_json(client):
    r = client.get(f"{BASE}/customer/999999")
    assert r.status_code == 404 and set(r.json()) == {"code", "message", "details"}
    r = client.get("/api/v1/records/sales_erp/nothing")
    assert r.status_code == 404 and r.json()["message"]["en"] == "no entity 'nothing'"
    r = client.post(f"{BASE}/customer", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "request.E002"
    r = client.post(f"{BASE}/contact", json={"name": "孤儿", "customer": 999999})
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "customer"


def test_list_filters_sort_paging_search(client):
    r = client.get(f"{BASE}/customer", params={"filter": json.dumps({"credit_limit": {"gte": 1000000}}),
                                                "sort": "-credit_limit"})
    items = r.json()["items"]
    assert [i["name"] for i in items] == ["招商银行", "华为技术有限公司", "海尔集团"]
    assert r.json()["total"] == 3

    r = client.get(f"{BASE}/customer", params={"filter": json.dumps({"region": {"in": ["east", "south"]},
                                                                       "level": "A"}), "sort": "code"})
    assert [i["code"] for i in r.json()["items"]] == ["C0001", "C0002", "C0004"]

    r = client.get(f"{BASE}/customer", params={"filter": json.dumps({"first_deal_on": {"between": ["2023-01-01",
                                                                                                   "2024-12-31"]}})})
    assert sorted(i["code"] for i in r.json()["items"]) == ["C0001", "C0002"]

    r = client.get(f"{BASE}/customer", params={"filter": json.dumps({"address": {"blank": True}})})
    assert [i["code"] for i in r.json()["items"]] == ["C0005"]

    # a relation path, and a contains on Chinese text
    r = client.get(f"{BASE}/contact", params={"filter": json.dumps({"customer.name": {"contains": "华为"}}),
                                               "sort": "name"})
    assert [i["name"] for i in r.json()["items"]] == ["张伟", "李娜"]
    assert r.json()["items"][0]["customer"]["title"] == "华为技术有限公司"
    assert r.json()["items"][0]["title"] == "张伟 (华为技术有限公司)"
    r = client.get(f"{BASE}/contact", params={"sort": "customer.code,name", "page_size": 2, "page": 2})
    assert [i["name"] for i in r.json()["items"]] == ["王强", "陈静"] and r.json()["total"] == 6

    r = client.get(f"{BASE}/customer", params={"q": "acme"})
    assert [i["code"] for i in r.json()["items"]] == ["C0006"]  # case-insensitive keyword search
    r = client.get(f"{BASE}/customer", params={"q": "100%"})
    assert r.json()["total"] == 0  # % is a character, not a wildcard


def test_bad_filters_are_clear_errors(client):
    cases = [
        ({"nope": 1}, "filter.nope"),
        ({"name": {"gte": "x"}}, "filter.name"),
        ({"credit_limit": {"gt": "lots"}}, "filter.credit_limit.gt"),
        ({"level": {"in": "A"}}, "filter.level.in"),
        ({"name.x": "y"}, "filter.name.x"),
    ]
    for flt, path in cases:
        r = client.get(f"{BASE}/customer", params={"filter": json.dumps(flt)})
        assert r.status_code == 422, (flt, r.text)
        assert r.json()["details"][0]["path"] == path, (flt, r.json())
    assert client.get(f"{BASE}/customer", params={"filter": "[1"}).status_code == 422
    assert client.get(f"{BASE}/customer", params={"page_size": 0}).status_code == 422
    assert client.get(f"{BASE}/customer", params={"sort": "-nothing"}).status_code == 422


def test_bulk_create_is_all_or_none_and_audited(client, erp):
    ok = [{"code": f"B-{i}", "name": f"批量产品{i}", "price": f"{i}.99"} for i in range(50)]
    bad = ok[:10] + [{"code": "B-X", "price": -1}] + [{"code": "B-0", "name": "重复", "price": 1}]
    r = client.post(f"{BASE}/product/bulk", json=bad)
    assert r.status_code == 422
    paths = sorted(d["path"] for d in r.json()["details"])
    assert paths == ["[10].name", "[10].price", "[11].code"]
    assert client.get(f"{BASE}/product", params={"q": "批量"}).json()["total"] == 0

    r = client.post(f"{BASE}/product/bulk", json=ok)
    assert r.status_code == 201 and r.json()["count"] == 50
    r = client.get(f"{BASE}/product", params={"filter": json.dumps({"code": {"startswith": "B-"}}),
                                               "page_size": 100})
    listed = json.loads(r.text, parse_float=Decimal)
    assert listed["total"] == 50
    assert {i["price"] for i in listed["items"]} == {Decimal(f"{i}.99") for i in range(50)}
    some = listed["items"][0]
    hist = client.get(f"{BASE}/product/{some['id']}/history").json()["items"]
    assert hist[0]["action"] == "create" and hist[0]["changes"]["code"]["new"] == some["code"]


def test_the_function_reference_for_the_designer(client):
    items = {f["name"]: f for f in client.get("/api/v1/functions").json()["items"]}
    assert {"IF", "SUM", "DATEDIF", "TEXT", "CURRENT_USER", "NETWORKDAYS"} <= set(items)
    assert items["DATEDIF"]["signature"].startswith("DATEDIF(") and items["IF"]["category"] == "logic"
    assert all(f["description"]["zh"] and f["description"]["en"] for f in items.values())
