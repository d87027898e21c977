"""Issue 13, the migrating upgrade of a small library app holding records, in one step of many changes:
an entity renamed to a Chinese name (its table's physical name is a hash), a Chinese field renamed, a
text field turned into a number (one value does not convert), a field with data removed, an option
renamed, a multi-select's option renamed and one removed, a sub-table column renamed and one added, a
new required field with a default, a new entity with seed records. The upgraded database has the
layout a fresh install of the new bundle makes (tables, columns, types, indexes, keys), every row
carries over, and the app works."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.compiled import physical_name
from engine.errors import JimuError
from engine.install import install_bundle
from engine.lifecycle.migrate_values import UpgradeOptions
from engine.runtime import open_runtime
from tests.lifecycle.migrate.state import copy_bundle, edit, field, layout, records, snapshot

LIBRARY = Path(__file__).parent / "bundles" / "library"


def version_2(d: dict) -> None:
    book = d.pop("entities/book.yaml")
    book["entity"], book["renamed_from"] = "书籍", "book"
    author = next(f for f in book["fields"] if f["name"] == "作者")
    author["name"], author["renamed_from"] = "著者", "作者"
    pages = next(f for f in book["fields"] if f["name"] == "pages")
    pages["type"], pages["precision"] = "number", 0
    book["fields"] = [f for f in book["fields"] if f["name"] != "isbn"]
    shelf = next(f for f in book["fields"] if f["name"] == "shelf")
    shelf["options"][0].update(value="A1", renamed_from="a")
    tags = next(f for f in book["fields"] if f["name"] == "tags")
    tags["options"] = [{**tags["options"][0], "value": "x1", "renamed_from": "x"}, tags["options"][1]]  # z goes
    copies = next(f for f in book["fields"] if f["name"] == "copies")
    copies["fields"][0].update(name="code", renamed_from="barcode")
    copies["fields"].append({"name": "note", "type": "text", "label": {"zh": "备注", "en": "Note"}})
    book["fields"] = [f for f in book["fields"] if f["name"] != "remarks"]  # a sub-table holding rows goes
    book["indexes"] = [{"fields": ["shelf", "著者"]}]
    d["entities/书籍.yaml"] = book
    member = d["entities/member.yaml"]
    field(d, "member", "favourite")["to"] = "书籍"
    member["fields"].append({"name": "visits", "type": "subtable", "label": {"zh": "到访", "en": "Visits"},
                             "fields": [{"name": "on", "type": "date", "label": {"zh": "日期", "en": "On"}}]})
    member["fields"].append({"name": "level", "type": "select", "label": {"zh": "级别", "en": "Level"},
                             "required": True, "default": "normal",
                             "options": [{"value": "normal", "label": {"zh": "普通", "en": "Normal"}},
                                         {"value": "gold", "label": {"zh": "金卡", "en": "Gold"}}]})
    d["entities/writer.yaml"] = {"entity": "writer", "label": {"zh": "作家", "en": "Writer"}, "title": "{name}",
                                 "fields": [{"name": "name", "type": "text", "label": {"zh": "姓名", "en": "Name"}}]}
    d["seed/writers.yaml"] = {"records": {"writer": [{"name": "鲁迅"}, {"name": "老舍"}]}}
    # installed without its demo data: an upgrade does not load the demo records of a new entity either
    d["seed/demo.yaml"] = {"demo": True, "records": {"writer": [{"name": "示例作家"}]}}
    d["app.yaml"]["version"] = "2.0.0"


@pytest.fixture
def library(module_db, tmp_path):
    rt = open_runtime(module_db)
    install_bundle(rt, LIBRARY)
    books = rt.records("library", "book")
    ids = [books.create({"title": t, "作者": a, "pages": p, "isbn": i, "shelf": s, "tags": g,
                         "remarks": [{"text": f"{t}好看"}],
                         "copies": [{"barcode": f"{t}-1", "状态": "in"}, {"barcode": f"{t}-2", "状态": "out"}]})["id"]
           for t, a, p, i, s, g in [("呐喊", "鲁迅", "120", "978-7-02", "a", ["x", "z"]),
                                    ("骆驼祥子", "老舍", "约200", None, "b", ["y"]),
                                    ("茶馆", "老舍", "96", "978-7-05", "a", ["z"])]]
    rt.records("library", "member").create({"name": "小明", "favourite": ids[0]})
    bundle = edit(copy_bundle(LIBRARY, tmp_path / "library"), version_2)
    yield rt, bundle, ids
    rt.db.dispose()


def test_a_many_change_upgrade_carries_every_row_and_matches_a_fresh_install(library, second_db):
    rt, bundle, ids = library
    before = records(rt, "library")
    unchanged = snapshot(rt)
    with pytest.raises(JimuError) as e:  # "约200" is no number; isbn holds data
        install_bundle(rt, bundle)
    assert sorted((p["code"], p["path"]) for p in e.value.details) == [
        ("migrate.E001", "book.remarks"), ("migrate.E001", "书籍.isbn"), ("migrate.E002", "书籍.pages"),
        ("migrate.E004", "书籍.tags")]
    assert next(p for p in e.value.details if p["code"] == "migrate.E004")["options"] == {"z": 2}
    bad = next(p for p in e.value.details if p["code"] == "migrate.E002")
    assert [(r["id"], r["value"]) for r in bad["rows"]] == [(ids[1], "约200")]
    assert snapshot(rt) == unchanged

    res = install_bundle(rt, bundle, options=UpgradeOptions(allow_data_loss=True, fills={"书籍.pages": "200"}))
    assert res.status == "upgraded" and res.seeded == {"writer": 2}
    backups = {b["field"] or b["entity"]: b for b in res.migration.backups}
    assert {f: (b["entity"], b["rows"]) for f, b in backups.items()} == {
        "isbn": ("书籍", 2), "tags": ("书籍", 2), "book.remarks": ("book.remarks", 3), "pages": ("书籍", 1)}
    with rt.db.engine.connect() as c:  # the value --fill replaced is kept as it was
        assert c.exec_driver_sql(f"SELECT record_id, value FROM {backups['pages']['table']}").all() == [
            (ids[1], "约200")]
    with rt.db.engine.connect() as c:  # a sub-table's rows are kept whole
        assert sorted(r.text for r in c.exec_driver_sql(f"SELECT * FROM {backups['book.remarks']['table']}")) == [
            "呐喊好看", "茶馆好看", "骆驼祥子好看"]
    with rt.db.engine.connect() as c:  # the lists that lost a value, as stored
        kept = dict(c.exec_driver_sql(f"SELECT record_id, value FROM {backups['tags']['table']}").all())
    assert kept == {ids[0]: "|x|z|", ids[2]: "|z|"}

    after = records(rt, "library")
    table = physical_name("library__书籍", "t_")
    assert rt.table("library", "书籍").name == table
    old_books, books = before["book"], after["书籍"]
    author, new_author = physical_name("作者", "f_"), physical_name("著者", "f_")
    assert {i: r[new_author] for i, r in books.items()} == {i: r[author] for i, r in old_books.items()}
    assert {i: r["pages"] for i, r in books.items()} == dict(zip(ids, [Decimal(120), Decimal(200), Decimal(96)]))
    assert {i: r["shelf"] for i, r in books.items()} == dict(zip(ids, ["A1", "b", "A1"]))
    assert {i: r["tags"] for i, r in books.items()} == dict(zip(ids, [["x1"], ["y"], None]))
    for i, r in old_books.items():  # everything else as it was
        kept = {k: v for k, v in r.items() if k not in (author, "pages", "shelf", "isbn", "tags")}
        assert {k: v for k, v in books[i].items() if k not in (new_author, "pages", "shelf", "tags")} == kept
    old_copies = "library__book__copies"
    copies = after[physical_name("library__书籍__copies", "t_")]
    assert {i: (r["parent_id"], r["code"], r["note"]) for i, r in copies.items()} == {
        i: (r["parent_id"], r["barcode"], None) for i, r in before[old_copies].items()}
    assert [(r["favourite"], r["level"]) for r in after["member"].values()] == [(ids[0], "normal")]
    assert sorted(r["name"] for r in after["writer"].values()) == ["老舍", "鲁迅"]

    # the layout a fresh install of version 2 makes: names, types and indexes
    fresh = open_runtime(second_db)
    try:
        install_bundle(fresh, bundle)
        assert layout(rt, skip_backups=True) == layout(fresh)
    finally:
        fresh.db.dispose()

    # and the app works: a book with copies, a member pointing at it, read back with titles
    made = rt.records("library", "书籍").create({"title": "围城", "著者": "钱钟书", "pages": "350", "shelf": "A1",
                                                "copies": [{"code": "W-1", "状态": "in", "note": "新"}]})
    member = rt.records("library", "member").create({"name": "小红", "favourite": made["id"],
                                                     "visits": [{"on": "2026-12-01"}]})
    read = rt.records("library", "member").reader().get(member["id"])
    assert read["favourite"] == {"id": made["id"], "title": "围城"} and read["level"] == "normal"
    assert [v["on"] for v in read["visits"]] == ["2026-12-01"]
    assert rt.records("library", "书籍").reader().get(made["id"])["copies"][0]["code"] == "W-1"
    assert made["id"] > max(ids)
