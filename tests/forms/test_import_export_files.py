"""Import/export: what never leaks into an exported file (rows and fields the user may not read), the
round trip of every field type and of sub-tables, and files that are too big, too long or broken
(clear errors, never a 500). SQLite and PostgreSQL."""
from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa

from engine.identity.org import Org

from .io_helpers import csv_bytes, problems, read_csv, read_xlsx, total, upload, xlsx_bytes, xlsx_xml_text

PLANTED_SECRET = "7654321.98"  # a customer's floor price, hidden from reps
PLANTED_MARGIN = "8765.43"  # a deal's margin, hidden from reps
PLANTED_NAME = "机密客户甲乙"  # a customer the rep may not read


def _uid(env, login: str) -> int:
    users = env.rt.db.core["user"]
    with env.rt.connect() as c:
        return c.execute(sa.select(users.c.id).where(users.c.login == login)).scalar_one()


def test_unreadable_rows_and_hidden_fields_never_reach_an_exported_file(forms_env):
    env = forms_env("io")
    rep = env.client_for("rep1", roles=(("io", "rep"),))
    rep_id = _uid(env, "rep1")
    a = env.admin
    mine = a.post(env.url("customer"), json={"name": "代表的客户", "code": "MINE-1", "secret": PLANTED_SECRET,
                                             "owner": rep_id}).json()
    other = a.post(env.url("customer"), json={"name": PLANTED_NAME, "code": "SECRET-CODE-9", "secret": "5"}).json()
    # the rep's deal points at a customer they may not read, and carries a margin hidden from them
    r = a.post(env.url("deal"), json={"number": "RD-1", "customer": other["id"], "amount": 1, "margin": PLANTED_MARGIN,
                                      "owner": rep_id})
    assert r.status_code == 201, r.text
    hidden_deal = {"number": "HIDDEN-DEAL", "customer": mine["id"], "amount": 2}
    assert a.post(env.url("deal"), json=hidden_deal).status_code == 201
    admin_view = a.get(env.url("customer", "/export"), params={"format": "csv"}).content.decode("utf-8-sig")
    assert PLANTED_SECRET in admin_view and PLANTED_NAME in admin_view  # the admin's export holds them

    forbidden = [PLANTED_SECRET, "7654321", PLANTED_NAME, "SECRET-CODE-9", "内部底价", "Floor price",
                 PLANTED_MARGIN, "毛利", "Gross profit", "HIDDEN-DEAL"]
    for entity, shown in (("customer", "代表的客户"), ("deal", "RD-1")):
        for lang in ("zh", "en"):
            x = rep.get(env.url(entity, "/export"), params={"format": "xlsx", "lang": lang})
            c = rep.get(env.url(entity, "/export"), params={"format": "csv", "lang": lang})
            assert x.status_code == 200 and c.status_code == 200, x.text
            xml, text = xlsx_xml_text(x.content), c.content.decode("utf-8-sig")
            assert shown in xml and shown in text  # the export does hold what the rep may read
            for value in forbidden:
                assert value not in xml and value not in text, (entity, lang, value)
    deal = read_xlsx(rep.get(env.url("deal", "/export")).content)["商机"]
    assert deal[1][1] == f"#{other['id']}"  # the unreadable customer shows as its id alone


def _specimen_values(env) -> dict:
    cust = env.admin.post(env.url("customer"), json={"name": "华为技术"}).json()
    env.client_for("zhangsan")
    with env.rt.transaction() as c:
        dept = Org(env.rt, None).create_department(c, "华东销售部", code="EAST")
    return {
        "f_text": "样本,一", "f_number": "-1234.5", "f_money": "98765.43", "f_date": "2026-01-05",
        "f_datetime": "2026-01-05T01:30:00Z", "f_boolean": False, "f_select": "south", "f_relation": cust["id"],
        "f_textarea": "第一行\n第二行", "f_richtext": "你好 世界", "f_email": "zhang.san@example.com",
        "f_phone": "13800138000", "f_url": "https://example.com/a?b=1", "f_percent": "0.155", "f_rating": 4,
        "f_time": "09:30", "f_multiselect": ["vip", "risk"], "f_cascade": "guangzhou",
        "f_user": _uid(env, "zhangsan"), "f_department": dept,
    }


@pytest.mark.parametrize("fmt,lang", [("xlsx", "zh"), ("csv", "en")])
def test_every_field_type_round_trips(forms_env, fmt, lang):
    env = forms_env("fieldtypes")
    a = env.admin
    made = a.post(env.url("specimen"), json=_specimen_values(env))
    assert made.status_code == 201, made.text
    blank = a.post(env.url("specimen"), json={"f_text": "空白"})
    assert blank.status_code == 201, blank.text
    f_types = {f.name: f.type_name for f in env.rt.app(env.app_name).entity("specimen").fields}
    untested = set(env.rt.field_types.names()) - set(f_types.values()) - {
        "subtable", "formula", "rollup", "lookup", "autonumber",  # computed or not a value of its own
        "attachment", "image"}  # files: exported as their names, imported by file id
    assert not untested, f"specimen has no field of type {untested}: add f_<type> so its round trip is tested"
    file = a.get(env.url("specimen", "/export"), params={"format": fmt, "lang": lang})
    assert file.status_code == 200
    r = upload(a, env.url("specimen", "/import"), file.content, f"back.{fmt}", dry_run=False)
    assert r.status_code == 201, r.text
    back = {i: a.get(env.url("specimen", f"/{i}")).json() for i in r.json()["ids"]}
    originals = {x["f_text"]: x for x in (made.json(), blank.json())}
    assert len(back) == 2
    for record in back.values():
        original = originals[record["f_text"]]
        for name in f_types:
            assert record[name] == original[name], (name, record[name], original[name])


def test_sub_table_rows_go_to_their_sheet_and_come_back(forms_env):
    env = forms_env("io")
    a = env.admin
    cust = a.post(env.url("customer"), json={"name": "华为", "code": "HW"}).json()
    lines = [{"item": "服务器", "qty": 2, "price": "3.50"}, {"item": "交换机", "qty": 1}]
    assert a.post(env.url("quote"), json={"number": "Q1", "customer": cust["id"], "lines": lines}).status_code == 201
    assert a.post(env.url("quote"), json={"number": "Q2", "lines": [{"item": "光模块", "qty": 9}]}).status_code == 201
    x = a.get(env.url("quote", "/export"), params={"sort": "number"}).content
    sheets = read_xlsx(x)
    assert list(sheets) == ["报价单", "报价明细"]
    assert sheets["报价明细"][0] == ("主表行号", "主记录", "品名", "数量", "单价", "小计")
    assert sheets["报价明细"][1:] == [(2, "Q1 华为", "服务器", 2, 3.5, 7), (2, "Q1 华为", "交换机", 1, None, 0),
                                     (3, "Q2", "光模块", 9, None, 0)]
    assert len(read_csv(a.get(env.url("quote", "/export"), params={"format": "csv"}).content)[0]) == 2

    wb = openpyxl.load_workbook(io.BytesIO(x))
    wb.worksheets[0]["A2"], wb.worksheets[0]["A3"] = "Q11", "Q12"
    wb.worksheets[1]["D3"], wb.worksheets[1]["A4"] = "两个", 7  # a bad quantity; a row of no main row
    buf = io.BytesIO()
    wb.save(buf)
    r = upload(a, env.url("quote", "/import"), buf.getvalue(), "q.xlsx")
    assert [(p["sheet"], p["row"], p["column"]) for p in r.json()["problems"]] == [
        ("报价明细", 3, "数量"), ("报价明细", 4, "主表行号")]
    assert r.json()["counts"]["problem_rows"] == 2 and r.json()["ignored_columns"][0]["field"] == "subtotal"
    wb.worksheets[1]["D3"], wb.worksheets[1]["A4"] = 1, 3
    buf = io.BytesIO()
    wb.save(buf)
    r = upload(a, env.url("quote", "/import"), buf.getvalue(), "q.xlsx", dry_run=False)
    assert r.status_code == 201, r.text
    got = {q["number"]: q for q in a.get(env.url("quote"), params={"page_size": 10}).json()["items"]}
    assert [(x["item"], x["qty"], x["price"]) for x in got["Q11"]["lines"]] == [
        (x["item"], x["qty"], x["price"]) for x in got["Q1"]["lines"]]
    assert got["Q11"]["customer"]["title"] == "华为" and [x["item"] for x in got["Q12"]["lines"]] == ["光模块"]


def test_files_too_big_too_long_or_broken_are_clear_errors(forms_env):
    env = forms_env("io")
    a, url = env.admin, env.url("customer", "/import")
    ok = csv_bytes(["客户名称"], [["甲"], ["乙"], ["丙"]])
    env.rt.settings["import_max_rows"] = 2
    r = upload(a, url, ok, "c.csv")
    assert r.status_code == 422 and r.json()["code"] == "import.E004"
    r = upload(a, url, xlsx_bytes(["客户名称"], [["甲"], ["乙"], ["丙"]]), "c.xlsx")
    assert r.status_code == 422 and r.json()["code"] == "import.E004"
    env.rt.settings["import_max_rows"] = 100
    env.rt.settings["import_max_bytes"] = 200
    r = upload(a, url, ok + b"x" * 300, "c.csv")
    assert r.status_code == 413 and r.json()["code"] == "import.E003"
    env.rt.settings["import_max_bytes"] = 10 ** 6
    broken = {"a.xlsx": b"PK\x03\x04 this is no zip", "b.xlsx": b"plain text, not a workbook",
              "c.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "d.csv": b"\xff\xfe\x00\x00\x01binary\x00",
              "e.xlsx": _zip_without_workbook()}
    for name, content in broken.items():
        r = upload(a, url, content, name)
        assert r.status_code == 422 and r.json()["code"] == "import.E002", (name, r.text)
    for content, code in ((b"", "import.E005"), (csv_bytes(["客户名称"], []), "import.E006")):
        r = upload(a, url, content, "e.csv")
        assert r.status_code == 422 and r.json()["code"] == code, r.text
    r = a.post(url, data={"dry_run": "false"})
    assert r.status_code == 422 and r.json()["code"] == "import.E001"
    r = a.post(url, content=b"{}", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "import.E001"
    assert upload(a, url, ok, "c.csv", dry_run=None).status_code == 200
    assert a.post(url, files={"file": ("c.csv", ok)}, data={"dry_run": "maybe"}).status_code == 422
    assert total(a, env.url("customer")) == 0


def _zip_without_workbook() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return buf.getvalue()


def test_gbk_csv_from_a_chinese_excel_and_formula_text(forms_env):
    env = forms_env("io")
    a = env.admin
    r = upload(a, env.url("customer", "/import"), csv_bytes(["客户名称", "客户编号"], [["上海甲公司", "=SUM(A1)"]],
                                                            encoding="gb18030"), "c.csv", dry_run=False)
    assert r.status_code == 201, r.text
    item = a.get(env.url("customer")).json()["items"][0]
    assert item["name"] == "上海甲公司" and item["code"] == "=SUM(A1)"
    # text that looks like a formula stays text: a string cell in xlsx, an apostrophe in csv
    x = a.get(env.url("customer", "/export")).content
    cell = openpyxl.load_workbook(io.BytesIO(x)).worksheets[0]["B2"]
    assert cell.data_type == "s" and cell.value == "=SUM(A1)"
    c = a.get(env.url("customer", "/export"), params={"format": "csv"}).content
    assert read_csv(c)[1][1] == "'=SUM(A1)"
    assert a.post(env.url("customer"), json={"name": "x"}).status_code == 201
    r = upload(a, env.url("customer", "/import"), c.replace("上海甲公司".encode(), "上海乙公司".encode()), "c.csv")
    assert problems(r.json()) == [(2, "客户编号", "code")]  # read back as "=SUM(A1)": already taken
