"""Importing and exporting records through the API (bundle tests/forms/bundles/io), on SQLite and
PostgreSQL: a 10,000-row import that reports exactly its bad rows and imports nothing, then all of
it; exports that follow the list's filter, with typed cells; the grants; the event log; and a dry
run that leaves nothing behind."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.identity.event_log import query_events

from .io_helpers import problems, read_csv, read_xlsx, sheet_bytes, total, upload, xlsx_cells

N = 10_000
HEADERS = ["商机编号", "客户", "金额", "数量", "签约日期", "阶段", "已赢单"]
STAGES = ["线索", "方案", "成交"]
# spreadsheet rows (the header is row 1) -> the column and field of the one problem each holds
BAD = {101: ("金额", "amount"), 5002: ("商机编号", "number"), 9999: ("客户", "customer")}


@pytest.fixture
def io_env(forms_env):
    env = forms_env("io")
    customers = [{"name": f"客户{k}", "code": f"C-{k}"} for k in range(20)]
    r = env.admin.post(env.url("customer", "/bulk"), json=customers)
    assert r.status_code == 201, r.text
    env.clerk = env.client_for("clerk1", roles=(("io", "clerk"),))
    return env


def deal_rows(fmt: str, n: int, bad: bool) -> list[list]:
    rows = []
    for k in range(n):
        amount = Decimal(f"{k % 1000}.5")
        signed = dt.date(2026, 3, 1) + dt.timedelta(days=k % 30)
        rows.append([f"D{k:05d}", f"客户{k % 20}", amount if fmt == "xlsx" else str(amount), k % 7,
                     signed if fmt == "xlsx" else signed.isoformat(), STAGES[k % 3], "是" if k % 2 else "否"])
    if bad:
        rows[101 - 2][2] = "一百"  # not a number
        rows[5002 - 2][0] = None  # the number is required
        rows[9999 - 2][1] = "没有这个客户"  # no such customer
    return rows


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_ten_thousand_rows_three_bad_then_fixed(io_env, fmt):
    env, clerk = io_env, io_env.clerk
    url = env.url("deal", "/import")
    bad = sheet_bytes(fmt, HEADERS, deal_rows(fmt, N, bad=True))

    dry = upload(clerk, url, bad, f"deals.{fmt}")  # dry_run is the default
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["dry_run"] is True and report["ok"] is False and report["format"] == fmt
    assert problems(report) == [(row, col, field) for row, (col, field) in BAD.items()]
    assert report["counts"] == {"rows": N, "valid_rows": N - 3, "problem_rows": 3, "problems": 3, "imported": 0,
                                "create": N, "update": 0}
    by_row = {p["row"]: p for p in report["problems"]}
    assert by_row[101]["cell"] == "C101" and by_row[101]["value"] == "一百"
    assert by_row[5002]["message"]["en"] == "Number is required"
    assert "没有这个客户" in by_row[9999]["message"]["zh"]
    assert total(clerk, env.url("deal")) == 0

    refused = upload(clerk, url, bad, f"deals.{fmt}", dry_run=False)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "import.E422"
    assert problems(refused.json()["report"]) == problems(report)
    assert total(clerk, env.url("deal")) == 0  # all or nothing

    fixed = upload(clerk, url, sheet_bytes(fmt, HEADERS, deal_rows(fmt, N, bad=False)), f"deals.{fmt}", dry_run=False)
    assert fixed.status_code == 201, fixed.text[:2000]
    assert fixed.json()["counts"]["imported"] == N and len(fixed.json()["ids"]) == N
    assert total(clerk, env.url("deal")) == N
    got = clerk.get(env.url("deal"), params={"filter": json.dumps({"number": {"eq": "D00101"}})}).json()["items"][0]
    assert got["customer"]["title"] == "客户1" and got["amount"] == Decimal("101.50") and got["qty"] == Decimal("3.00")
    assert got["signed_on"] == "2026-03-12" and got["stage"] == "closed" and got["won"] is True


def test_relations_by_id_code_or_title_and_only_readable(io_env):
    env = io_env
    ids = {c["name"]: c["id"] for c in env.admin.get(env.url("customer"), params={"page_size": 100}).json()["items"]}
    rows = [["D1", "客户3", 1], ["D2", "C-4", 2], ["D3", f"#{ids['客户5']}", 3], ["D4", "#999999", 4]]
    r = upload(env.clerk, env.url("deal", "/import"), sheet_bytes("csv", ["商机编号", "客户", "金额"], rows), "d.csv")
    assert problems(r.json()) == [(5, "客户", "customer")]
    assert r.json()["problems"][0]["value"] == "#999999"
    # a rep reads only their own customers: another's is "not found", by title, code or id alike
    uid = _user_id(env, "rep1", roles=(("io", "rep"),))
    mine = env.admin.post(env.url("customer"), json={"name": "我的客户", "owner": uid}).json()
    rep = env.client_for("rep1")
    rows = [["R1", "我的客户", 1], ["R2", "客户3", 1], ["R3", "C-3", 1], ["R4", f"#{ids['客户3']}", 1]]
    r = upload(rep, env.url("deal", "/import"), sheet_bytes("xlsx", ["商机编号", "客户", "金额"], rows), "d.xlsx")
    assert problems(r.json()) == [(3, "客户", "customer"), (4, "客户", "customer"), (5, "客户", "customer")]
    r = upload(rep, env.url("deal", "/import"), sheet_bytes("xlsx", ["number", "Customer", "Amount"], rows[:1]),
               "d.xlsx", dry_run=False)
    assert r.status_code == 201, r.text
    assert rep.get(env.url("deal")).json()["items"][0]["customer"] == {"id": mine["id"], "title": "我的客户"}


def test_a_composed_title_or_a_unique_field_finds_the_record(io_env):
    env = io_env
    customer1 = env.admin.get(env.url("customer"), params={"q": "客户1", "sort": "name"}).json()["items"][0]
    assert customer1["name"] == "客户1"
    for body in ({"number": "Q1", "customer": customer1["id"]}, {"number": "Q2"}):
        assert env.admin.post(env.url("quote"), json=body).status_code == 201
    # by title ("{number} {customer.name}"), by the unique number; a title no quote has is reported
    rows = [["D1", "客户1", 1, "Q1 客户1"], ["D2", "客户1", 1, "Q2"], ["D3", "客户1", 1, "Q1 客户2"],
            ["D4", "客户1", 1, "Q1"]]
    r = upload(env.clerk, env.url("deal", "/import") + "?dry_run=false",
               sheet_bytes("xlsx", ["商机编号", "客户", "金额", "报价单"], rows), "d.xlsx")
    assert r.status_code == 422 and problems(r.json()["report"]) == [(4, "报价单", "quote")]
    r = upload(env.clerk, env.url("deal", "/import") + "?dry_run=false",
               sheet_bytes("xlsx", ["商机编号", "客户", "金额", "报价单"], rows[:2] + rows[3:]), "d.xlsx")
    assert r.status_code == 201, r.text
    got = env.clerk.get(env.url("deal"), params={"sort": "number"}).json()["items"]
    assert [d["quote"]["title"] for d in got] == ["Q1 客户1", "Q2", "Q1 客户1"]


def test_dry_run_reports_what_a_save_refuses_and_leaves_nothing_behind(io_env):
    env = io_env
    seen: list[tuple[str, int]] = []
    env.rt.pipeline.on("after_commit", lambda b: seen.append((b.entity.name, len(b.writes))), app="io", entity="deal")
    headers = ["商机编号", "客户", "金额", "Stage", "note", "备注说明"]
    rows = [["D1", "客户1", 5, "Closed", "a", "x"], ["D1", "客户2", -1, "未知阶段", "b", None],
            ["D3", None, 7, None, "", None]]
    r = upload(env.clerk, env.url("deal", "/import"), sheet_bytes("xlsx", headers, rows), "d.xlsx")
    assert r.status_code == 200
    assert problems(r.json()) == [(1, "备注说明", None), (3, "商机编号", "number"), (3, "金额", "amount"),
                                  (3, "Stage", "stage"), (4, "客户", "customer")]
    good = sheet_bytes("csv", ["商机编号", "客户", "金额"], [["G1", "客户1", 1], ["G2", "客户2", 2]])
    r = upload(env.clerk, env.url("deal", "/import"), good, "g.csv", dry_run=True)
    assert r.json()["ok"] is True and r.json()["counts"]["imported"] == 0 and "ids" not in r.json()
    with env.rt.connect() as c:
        audit = env.rt.db.core["audit"]
        assert c.execute(sa.select(sa.func.count()).select_from(audit).where(audit.c.entity == "deal")).scalar() == 0
    assert total(env.clerk, env.url("deal")) == 0 and seen == []
    assert upload(env.clerk, env.url("deal", "/import"), good, "g.csv", dry_run=False).status_code == 201
    assert env.clerk.post(env.url("deal"), json={"number": "G3", "customer": 1, "amount": 3}).status_code == 201
    assert seen == [("deal", 2), ("deal", 1)]  # the dry runs' after-commit work never ran, then or later


def _seed_deals(env, n: int = 30) -> None:
    deals = [{"number": f"D{k:03d}", "customer": 1 + k % 3, "amount": str(k * 10), "qty": "1.5",
              "signed_on": "2026-04-0%d" % (1 + k % 9), "follow_up_at": "2026-04-01T02:30:00Z",
              "won": k % 2 == 0, "stage": ["lead", "proposal", "closed"][k % 3], "note": f"备注{k}"}
             for k in range(n)]
    assert env.admin.post(env.url("deal", "/bulk"), json=deals).status_code == 201


def test_export_follows_the_list_filter_with_typed_cells(io_env):
    env, clerk = io_env, io_env.clerk
    _seed_deals(env)
    params = {"filter": json.dumps({"amount": {"gte": 100}, "stage": {"ne": "lead"}}), "sort": "-amount"}
    listed = clerk.get(env.url("deal"), params={**params, "page_size": 500}).json()["items"]
    assert len(listed) == 14
    r = clerk.get(env.url("deal", "/export"), params={**params, "format": "xlsx"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"] and r.headers["x-record-count"] == "14"
    rows = read_xlsx(r.content)["商机"]
    assert list(rows[0]) == ["商机编号", "客户", "阶段", "金额", "数量", "签约日期", "跟进时间", "已赢单",  # the layout
                             "备注", "毛利", "报价单"]  # then the fields the layout leaves out
    assert [x[0] for x in rows[1:]] == [i["number"] for i in listed]
    first, item = xlsx_cells(r.content)[1], listed[0]
    assert first[1].value == item["customer"]["title"] and first[2].value == {"proposal": "方案", "closed": "成交"}[
        item["stage"]]
    assert first[3].data_type == "n" and Decimal(str(first[3].value)) == item["amount"]
    assert first[5].is_date and first[5].value.date() == dt.date.fromisoformat(item["signed_on"])
    assert first[6].is_date and first[6].value == dt.datetime(2026, 4, 1, 10, 30)  # Asia/Shanghai
    assert first[7].value in ("是", "否") and first[9].value is None

    r = clerk.get(env.url("deal", "/export"), params={**params, "format": "csv", "lang": "en"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = read_csv(r.content)
    assert lines[0][:4] == ["Number", "Customer", "Stage", "Amount"]
    assert [x[0] for x in lines[1:]] == [i["number"] for i in listed]
    assert [Decimal(x[3]) for x in lines[1:]] == [i["amount"] for i in listed]
    assert {x[2] for x in lines[1:]} == {"Proposal", "Closed"}

    by_q = clerk.get(env.url("deal", "/export"), params={"format": "csv", "q": "D02"})
    assert sorted(x[0] for x in read_csv(by_q.content)[1:]) == [f"D02{k}" for k in range(10)]
    bad = clerk.get(env.url("deal", "/export"), params={"filter": "{not json"})
    assert bad.status_code == 422 and bad.json()["code"] == "query.E005"
    assert clerk.get(env.url("deal", "/export"), params={"format": "pdf"}).status_code == 422


def test_every_export_is_in_the_event_log(io_env):
    env, clerk = io_env, io_env.clerk
    _seed_deals(env, 5)
    flt = {"amount": {"lt": 30}}
    assert clerk.get(env.url("deal", "/export"), params={"format": "csv", "filter": json.dumps(flt)}).status_code == 200
    events = query_events(env.rt, kind="export")
    assert events["total"] == 1
    e = events["items"][0]
    assert e["actor"] == _user_id(env, "clerk1") and e["target"] == "entity:io.deal"
    assert {k: e["detail"][k] for k in ("app", "entity", "rows", "format", "filter")} == {
        "app": "io", "entity": "deal", "rows": 3, "format": "csv", "filter": {"amount": {"lt": 30}}}


def test_export_and_import_need_their_grants(io_env):
    env = io_env
    viewer = env.client_for("viewer1", roles=(("io", "viewer"),))
    assert viewer.get(env.url("deal")).status_code == 200  # reading is granted, exporting is not
    r = viewer.get(env.url("deal", "/export"))
    assert r.status_code == 403 and r.json()["code"] == "export.E403"
    file = sheet_bytes("csv", ["商机编号", "客户", "金额"], [["V1", "客户1", 1]])
    r = upload(viewer, env.url("deal", "/import"), file, "v.csv")
    assert r.status_code == 403 and r.json()["code"] == "import.E403"
    # the rep may import deals but not customers (and may not create them either)
    rep = env.client_for("rep2", roles=(("io", "rep"),))
    r = upload(rep, env.url("customer", "/import"), sheet_bytes("csv", ["客户名称"], [["X"]]), "c.csv")
    assert r.status_code == 403
    assert query_events(env.rt, kind="export")["total"] == 0  # a refused export is not an export
    assert total(env.admin, env.url("deal")) == 0


def _user_id(env, login: str, roles: tuple = ()) -> int:
    users = env.rt.db.core["user"]
    with env.rt.connect() as c:
        uid = c.execute(sa.select(users.c.id).where(users.c.login == login)).scalar()
    if uid is None:
        env.client_for(login, roles=roles)
        return _user_id(env, login)
    return uid
