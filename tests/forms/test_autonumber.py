"""Autonumber fields through the record API, on SQLite and PostgreSQL: numbers follow the clock's
local date and restart each period, never repeat or skip under concurrent creates, are not used up
by refused saves, come in one block for a bulk create, cannot be typed in, and can be searched."""
from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

import pytest

from engine.bundle.checker import check_bundle
from engine.errors import msg
from engine.platform.clock import FixedClock

BUNDLE = Path(__file__).resolve().parent / "bundles" / "numbering"


@pytest.fixture
def env(forms_env):
    e = forms_env("numbering")
    e.clock = FixedClock(dt.datetime(2026, 11, 30, 3, 0))  # 11:00 in Shanghai
    e.rt.clock = e.clock
    return e


def _quote(env, subject="报价", client=None):
    r = (client or env.admin).post(env.url("quote"), json={"subject": subject})
    assert r.status_code == 201, r.text
    return r.json()


def _numbers(env, entity="quote", field="number"):
    r = env.admin.get(env.url(entity), params={"sort": "id", "page_size": 200})
    assert r.status_code == 200, r.text
    return [i[field] for i in r.json()["items"]]


def test_number_shows_the_local_date_and_restarts_each_month(env):
    assert _quote(env)["number"] == "QT-202611-0001"
    assert _quote(env)["number"] == "QT-202611-0002"
    env.clock.set(dt.datetime(2026, 11, 30, 16, 30))  # 00:30 on 1 December in Shanghai, still November in UTC
    assert _quote(env)["number"] == "QT-202612-0001"
    env.clock.set(dt.datetime(2026, 12, 31, 15, 59))  # 23:59 on 31 December in Shanghai
    assert _quote(env)["number"] == "QT-202612-0002"
    env.clock.set(dt.datetime(2026, 12, 31, 17, 0))  # 01:00 on 1 January 2027 in Shanghai
    assert _quote(env)["number"] == "QT-202701-0001"
    # a month that comes round again continues its own counter
    env.clock.set(dt.datetime(2026, 12, 15, 0, 0))
    assert _quote(env)["number"] == "QT-202612-0003"


def test_field_time_zone_start_and_growing_past_the_digits(env):
    env.clock.set(dt.datetime(2026, 12, 31, 17, 0))  # 2027 in Shanghai, still 2026 in UTC
    t1 = env.admin.post(env.url("ticket"), json={"note": "a"}).json()
    t2 = env.admin.post(env.url("ticket"), json={"note": "b"}).json()
    env.clock.set(dt.datetime(2027, 1, 1, 0, 0))  # the yearly number is dated in UTC: a new year now
    t3 = env.admin.post(env.url("ticket"), json={"note": "c"}).json()
    assert [t["serial"] for t in (t1, t2, t3)] == ["T98", "T99", "T100"]  # start: 98, then past two digits
    assert [t["yearly"] for t in (t1, t2, t3)] == ["26-001", "26-002", "27-001"]
    # an update keeps the numbers
    r = env.admin.patch(env.url("ticket", f"/{t1['id']}"), json={"note": "changed", "version": t1["version"]})
    assert r.status_code == 200, r.text
    assert (r.json()["serial"], r.json()["yearly"], r.json()["note"]) == ("T98", "26-001", "changed")


def test_twenty_concurrent_creates_get_twenty_numbers_without_gaps(env):
    service = env.rt.records(env.app_name, "quote")
    start = threading.Barrier(20)
    results: list = []
    failures: list = []

    def create(i: int) -> None:
        try:
            start.wait(timeout=30)
            results.append(service.create({"subject": f"并发 {i}"})["number"])  # its own transaction
        except Exception as e:  # reported by the assertion below
            failures.append(e)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
    assert sorted(results) == [f"QT-202611-{n:04d}" for n in range(1, 21)]
    assert _quote(env)["number"] == "QT-202611-0021"


def test_a_refused_save_does_not_use_up_a_number(env):
    assert _quote(env)["number"] == "QT-202611-0001"
    r = env.admin.post(env.url("quote"), json={})  # the subject is required
    assert r.status_code == 422 and [d["path"] for d in r.json()["details"]] == ["subject"]

    # a guard that refuses after the number was taken: the rollback gives the number back
    def refuse_drafts(batch):
        for w in batch.writes:
            if w.values.get("subject") == "draft":
                w.error("subject", msg("草稿不能保存", "a draft cannot be saved"), code="guard")

    env.rt.pipeline.on("guard", refuse_drafts, app=env.app_name, entity="quote")
    r = env.admin.post(env.url("quote"), json={"subject": "draft"})
    assert r.status_code == 422 and r.json()["details"][0]["message"]["en"] == "a draft cannot be saved"
    r = env.admin.post(env.url("quote", "/bulk"), json=[{"subject": "ok"}, {"subject": "draft"}])
    assert r.status_code == 422

    assert _quote(env)["number"] == "QT-202611-0002"
    assert _numbers(env) == ["QT-202611-0001", "QT-202611-0002"]


def test_bulk_create_takes_one_block_in_batch_order(env):
    assert _quote(env, "first")["number"] == "QT-202611-0001"
    rows = [{"subject": f"批量 {i:02d}"} for i in range(50)]
    r = env.admin.post(env.url("quote", "/bulk"), json=rows)
    assert r.status_code == 201, r.text
    ids = r.json()["ids"]
    got = {}
    for page in (1, 2, 3):
        listed = env.admin.get(env.url("quote"), params={"sort": "id", "page": page, "page_size": 20}).json()
        got.update({i["id"]: (i["subject"], i["number"]) for i in listed["items"]})
    assert [got[i] for i in ids] == [(f"批量 {n:02d}", f"QT-202611-{n + 2:04d}") for n in range(50)]
    assert _quote(env, "after")["number"] == "QT-202611-0052"


def test_the_number_cannot_be_written(env):
    r = env.admin.post(env.url("quote"), json={"subject": "s", "number": "QT-999"})
    assert r.status_code == 422
    assert [(d["path"], d.get("code")) for d in r.json()["details"]] == [("number", "computed")]
    q = _quote(env)
    assert q["number"] == "QT-202611-0001"  # the refused create used no number either
    r = env.admin.patch(env.url("quote", f"/{q['id']}"), json={"number": "QT-202611-0999", "version": 1})
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "number"
    # a client may send back the number it read, with its other changes
    r = env.admin.patch(env.url("quote", f"/{q['id']}"), json={"number": q["number"], "subject": "改了", "version": 1})
    assert r.status_code == 200, r.text
    assert (r.json()["number"], r.json()["subject"]) == ("QT-202611-0001", "改了")
    r = env.admin.post(env.url("quote", "/bulk"), json=[{"subject": "a", "number": "X"}])
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "[0].number"
    assert _numbers(env) == ["QT-202611-0001"]


def test_the_number_is_searchable_and_filterable(env):
    clerk = env.client_for("clerk1", roles=((env.app_name, "clerk"),))
    for subject in ("甲", "乙", "丙"):
        _quote(env, subject, client=clerk)
    r = clerk.get(env.url("quote"), params={"q": "11-0002"})
    assert r.status_code == 200, r.text
    assert [(i["number"], i["subject"]) for i in r.json()["items"]] == [("QT-202611-0002", "乙")]
    flt = '{"number": {"startswith": "QT-202611-000"}}'
    assert clerk.get(env.url("quote"), params={"filter": flt}).json()["total"] == 3


# --- the pattern checked when the bundle loads ------------------------------------------------------
def _bundle_with(tmp_path, fields_yaml: str) -> Path:
    path = tmp_path / "bundle"
    shutil.copytree(BUNDLE, path)
    (path / "entities" / "ticket.yaml").write_text(
        "entity: ticket\nlabel: {zh: 工单, en: Ticket}\ntitle: \"{note}\"\nfields:\n"
        "  - {name: note, type: text, label: {zh: 备注, en: Note}}\n" + fields_yaml, encoding="utf-8")
    return path


@pytest.mark.parametrize("field, code, path, says", [
    ('pattern: "T-{yyyy}-{seq:3}"', "autonumber.E001", "pattern", "did you mean {YYYY}"),
    ('pattern: "T-{YYYY}-{seq:3"', "autonumber.E001", "pattern", "unmatched brace"),
    ('pattern: "T-{YYYY}"', "autonumber.E002", "pattern", "has no sequence"),
    ('pattern: "{seq:2}-{seq:3}"', "autonumber.E002", "pattern", "exactly one sequence"),
    ('pattern: "T{seq:0}"', "autonumber.E003", "pattern", "between 1 and 18"),
    ('pattern: "T-{MM}-{seq:3}"', "autonumber.E004", "pattern", "needs {YYYY}{MM} (or set reset: never)"),
    ('pattern: "T-{YYYY}-{seq:3}", reset: day', "autonumber.E004", "reset", "needs {YYYY}{MM}{DD}"),
    ('pattern: "T{seq:3}", timezone: Asia/Shanghia', "autonumber.E005", "timezone", "unknown time zone"),
    ('pattern: "T{seq:3}", required: true', "autonumber.E006", "required", "filled in by the system"),
    ('reset: never', "bundle.E030", "pattern", "required key pattern"),
    ('pattern: "T{seq:3}", reset: weekly', "bundle.E033", "reset", "must be one of"),
])
def test_a_bad_pattern_is_reported_where_it_is(tmp_path, field, code, path, says):
    bundle = _bundle_with(tmp_path, f"  - {{name: serial, type: autonumber, label: {{zh: 号, en: No}}, {field}}}\n")
    errors = check_bundle(bundle).errors
    assert [(e.code, e.file, e.path, e.line) for e in errors] == [
        (code, "entities/ticket.yaml", f"$.fields[1].{path}", 6)]
    assert says in errors[0].message["en"] and errors[0].message["zh"]


def test_good_patterns_pass_the_check(tmp_path):
    good = ['pattern: "T-{seq}"',
            'pattern: "{YY}{MM}{DD}{seq:6}"',
            'pattern: "年{YYYY}第{seq:3}号", start: 0',
            'pattern: "{MM}{DD}-{seq:3}", reset: never',
            'pattern: "YYYY-{seq:4}", timezone: UTC']
    fields = "".join(f"  - {{name: n{i}, type: autonumber, label: {{zh: 号{i}, en: No {i}}}, {f}}}\n"
                     for i, f in enumerate(good))
    assert check_bundle(_bundle_with(tmp_path, fields)).errors == ()


def test_an_autonumber_in_sub_table_rows_is_refused(tmp_path):
    bundle = _bundle_with(tmp_path, "  - name: lines\n    type: subtable\n    label: {zh: 明细, en: Lines}\n"
                                    "    fields:\n      - {name: qty, type: number, label: {zh: 数量, en: Qty}}\n"
                                    "      - {name: line_no, type: autonumber, label: {zh: 行号, en: Line}, "
                                    "pattern: \"L{seq:2}\"}\n")
    errors = check_bundle(bundle).errors
    assert [(e.file, e.path, e.line) for e in errors] == [("entities/ticket.yaml", "$.fields[1].fields[1].type", 11)]
    assert "sub-table" in errors[0].message["en"]
