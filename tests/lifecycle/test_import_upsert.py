"""Import upsert (bundle tests/lifecycle/bundles/upsert_app), on SQLite and PostgreSQL: a file whose
rows name existing parts by their unique sku updates them and creates the rest; the dry run counts
both; the match field must be unique; the update's permissions apply row by row; a part the
importer may not read is never matched; two rows naming one part are refused; csv and xlsx."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.forms.conftest import forms_env  # noqa: F401 - the fixture
from tests.forms.io_helpers import csv_bytes, problems, total, xlsx_bytes

BUNDLE = Path(__file__).resolve().parent / "bundles" / "upsert_app"
HEADERS = ["料号", "名称", "类别", "单价"]


@pytest.fixture
def parts(forms_env):  # noqa: F811 - the fixture imported above
    env = forms_env(BUNDLE)
    env.keeper = env.client_for("keeper1", roles=(("upsert_app", "keeper"),))
    env.clerk = env.client_for("clerk1", roles=(("upsert_app", "clerk"),))
    for sku, name in (("B-1", "六角螺栓"), ("N-1", "方螺母")):
        r = env.keeper.post(env.url("part"), json={"sku": sku, "name": name, "kind": "bolt", "price": "1.50",
                                                   "stock": [{"bin": "A1", "qty": 10}]})
        assert r.status_code == 201, r.text
    return env


def by_sku(client, env, sku: str) -> dict:
    items = client.get(env.url("part"), params={"filter": json.dumps({"sku": {"eq": sku}})}).json()["items"]
    assert len(items) == 1, items
    return client.get(env.url("part", f"/{items[0]['id']}")).json()


def sheet(fmt: str, rows: list[list], headers=HEADERS, extra: dict | None = None) -> bytes:
    if fmt == "xlsx":
        return xlsx_bytes(headers, rows, extra=extra)
    return csv_bytes(headers, rows)


def send(client, env, content: bytes, fmt: str, match: str | None = "sku", dry_run: bool | None = None):
    data = {} if dry_run is None else {"dry_run": "true" if dry_run else "false"}
    if match is not None:
        data["match"] = match
    return client.post(env.url("part", "/import"), files={"file": (f"parts.{fmt}", content)}, data=data)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_upsert_by_sku_updates_matched_and_creates_the_rest(parts, fmt):
    env = parts
    rows = [["B-1", "六角螺栓 M8", "螺母", "2.25"],  # updates: name, kind, price
            ["N-1", None, "螺母", "0.80"],  # updates; the blank name clears it
            ["W-9", "垫片", None, "0.10"]]  # new
    content = sheet(fmt, rows)
    dry = send(env.keeper, env, content, fmt)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["ok"] is True and report["match"] == "sku"
    assert report["counts"]["create"] == 1 and report["counts"]["update"] == 2
    assert total(env.keeper, env.url("part")) == 2 and by_sku(env.keeper, env, "B-1")["name"] == "六角螺栓"

    done = send(env.keeper, env, content, fmt, dry_run=False)
    assert done.status_code == 201, done.text
    assert done.json()["counts"]["imported"] == 3
    ids = done.json()["ids"]  # the file's order, updated and created alike
    assert ids[:2] == [by_sku(env.keeper, env, "B-1")["id"], by_sku(env.keeper, env, "N-1")["id"]]
    assert total(env.keeper, env.url("part")) == 3
    b1 = by_sku(env.keeper, env, "B-1")
    assert b1["name"] == "六角螺栓 M8" and b1["kind"] == "nut" and b1["price"] == Decimal("2.25")
    assert [r["bin"] for r in b1["stock"]] == ["A1"]  # no stock sheet: the rows are kept
    n1 = by_sku(env.keeper, env, "N-1")
    assert n1["name"] is None and Decimal(str(n1["price"])) == Decimal("0.8")
    assert by_sku(env.keeper, env, "W-9")["name"] == "垫片"


def test_a_subtable_sheet_replaces_the_matched_records_rows(parts):
    env = parts
    content = xlsx_bytes(["料号", "单价"], [["B-1", "3"], ["X-1", "4"]],
                         extra={"库存": (["主表行号", "库位", "数量"], [[2, "B7", 3], [2, "B8", 4], [3, "C1", 1]])})
    r = send(env.keeper, env, content, "xlsx", dry_run=False)
    assert r.status_code == 201, r.text
    assert [(s["bin"], s["qty"]) for s in by_sku(env.keeper, env, "B-1")["stock"]] == [("B7", 3), ("B8", 4)]
    assert [s["bin"] for s in by_sku(env.keeper, env, "N-1")["stock"]] == ["A1"]  # not in the file: untouched
    assert [s["bin"] for s in by_sku(env.keeper, env, "X-1")["stock"]] == ["C1"]


@pytest.mark.parametrize("match", ["name", "price", "stock", "nothing"])
def test_a_field_that_is_not_unique_is_refused_at_the_parameter(parts, match):
    env = parts
    r = send(env.keeper, env, csv_bytes(HEADERS, [["B-1", "x", "螺栓", "1"]]), "csv", match=match)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "import.E008" and body["details"][0]["path"] == "match"
    assert "sku" in body["message"]["en"] and body["message"]["zh"]


def test_the_file_must_hold_the_match_column(parts):
    env = parts
    r = send(env.keeper, env, csv_bytes(["名称"], [["x"]]), "csv")
    assert r.status_code == 422 and r.json()["code"] == "import.E009", r.text


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_row_the_user_may_read_but_not_update_is_a_row_error_and_nothing_is_written(parts, fmt):
    env = parts  # the clerk reads every part but updates only their own; the keeper made B-1 and N-1
    mine = env.clerk.post(env.url("part"), json={"sku": "C-1", "name": "自己的"})
    assert mine.status_code == 201, mine.text
    content = sheet(fmt, [["C-1", "改了", None, "5"], ["B-1", "别人的", None, "9"], ["Z-1", "新的", None, "1"]])
    dry = send(env.clerk, env, content, fmt)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["ok"] is False and problems(report) == [(3, "料号", "sku")]
    assert "may not change" in report["problems"][0]["message"]["en"]
    assert report["counts"]["update"] == 2 and report["counts"]["create"] == 1

    refused = send(env.clerk, env, content, fmt, dry_run=False)
    assert refused.status_code == 422, refused.text
    assert problems(refused.json()["report"]) == [(3, "料号", "sku")]
    assert by_sku(env.keeper, env, "C-1")["name"] == "自己的" and by_sku(env.keeper, env, "B-1")["name"] == "六角螺栓"
    assert total(env.keeper, env.url("part")) == 3  # Z-1 was not created either

    ok = send(env.clerk, env, sheet(fmt, [["C-1", "改了", None, "5"], ["Z-1", "新的", None, "1"]]), fmt, dry_run=False)
    assert ok.status_code == 201, ok.text
    assert by_sku(env.keeper, env, "C-1")["name"] == "改了" and total(env.keeper, env.url("part")) == 4


def test_a_record_the_user_may_not_read_is_never_matched(parts):
    env = parts
    reader = env.client_for("own1", roles=(("upsert_app", "own_reader"),))
    r = send(reader, env, csv_bytes(HEADERS, [["B-1", "抢走", "螺栓", "1"]]), "csv")
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["counts"]["update"] == 0 and report["counts"]["create"] == 1  # a create, as for anyone
    assert problems(report) == [(2, "料号", "sku")]  # the unique check refuses it
    text = json.dumps(report, ensure_ascii=False)
    assert "keeper1" not in text and "六角螺栓" not in text  # nothing of the holder
    assert by_sku(env.keeper, env, "B-1")["name"] == "六角螺栓"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_two_rows_matching_one_record(parts, fmt):
    env = parts
    content = sheet(fmt, [["B-1", "一", None, None], ["N-1", "二", None, None], ["B-1", "三", None, None]])
    r = send(env.keeper, env, content, fmt)
    assert r.status_code == 200, r.text
    report = r.json()
    assert problems(report) == [(4, "料号", "sku")] and "row 2" in report["problems"][0]["message"]["en"]
    refused = send(env.keeper, env, content, fmt, dry_run=False)
    assert refused.status_code == 422
    assert by_sku(env.keeper, env, "B-1")["name"] == "六角螺栓"


def test_match_by_id_and_no_match_still_creates_only(parts):
    env = parts
    b1 = by_sku(env.keeper, env, "B-1")
    r = send(env.keeper, env, csv_bytes(["id", "名称"], [[b1["id"], "按编号"]]), "csv", match="id", dry_run=False)
    assert r.status_code == 201, r.text
    assert by_sku(env.keeper, env, "B-1")["name"] == "按编号"
    plain = send(env.keeper, env, csv_bytes(HEADERS, [["B-1", "x", None, None]]), "csv", match=None)
    assert plain.json()["counts"]["create"] == 1 and problems(plain.json()) == [(2, "料号", "sku")]  # unique


def test_a_problem_in_a_matched_records_sub_table_row_points_at_its_sheet_row(parts):
    env = parts
    content = xlsx_bytes(["料号", "单价"], [["B-1", "3"], ["N-1", "4"]],
                         extra={"库存": (["主表行号", "库位", "数量"], [[2, "B7", 3], [3, None, 4]])})
    r = send(env.keeper, env, content, "xlsx")
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["counts"]["update"] == 2
    assert [(p.get("sheet"), p["row"], p["field"]) for p in report["problems"]] == [("库存", 3, "bin")]
    assert report["counts"]["problem_rows"] == 1
