"""Issue 11 item 19: a number typed with more decimal places than its field holds is refused with a
clear 422 at its path (never rounded silently: 800.005 is not 800.01), on every path a person or a
client types through (create, PATCH, bulk, form state, import; money, number, percent; sub-table
rows); a value the engine computes is rounded half away from zero to the field's precision.

Also issue 11 item 12 through the API: a stored formula of a datetime difference is exact in hours,
and a list filter on it selects the row on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from .io_helpers import csv_bytes, upload, xlsx_bytes

D = Decimal
AT_MOST_2 = {"zh": "最多 2 位小数", "en": "at most 2 decimal places"}


@pytest.fixture
def ex(forms_env):
    env = forms_env("exact")
    env.clerk = env.client_for("clerk1", roles=(("exact", "clerk"),))
    return env


def _loads(r):
    return json.loads(r.text, parse_float=Decimal)


def _details(r) -> dict:
    assert r.status_code == 422, r.text
    return {d["path"]: d["message"] for d in r.json()["details"]}


def _count(env) -> int:
    return env.clerk.get(env.url("job"), params={"page_size": 1}).json()["total"]


@pytest.mark.parametrize("field, value, message", [
    ("amount", "800.005", AT_MOST_2),
    ("amount", 800.001, AT_MOST_2),
    ("weight", "1.2345", {"zh": "最多 3 位小数", "en": "at most 3 decimal places"}),
    ("rate", "12.345%", AT_MOST_2),  # a percentage of 2 places
    ("rate", "0.12345", AT_MOST_2),  # the fraction 12.345%
])
def test_item19_create_refuses_more_decimals_than_the_field_holds(ex, field, value, message):
    r = ex.clerk.post(ex.url("job"), content=json.dumps({"name": "x", field: value}),
                      headers={"Content-Type": "application/json"})
    assert _details(r) == {field: message}
    assert _count(ex) == 0


def test_item19_values_at_the_fields_precision_are_taken_as_typed(ex):
    r = ex.clerk.post(ex.url("job"), json={"name": "ok", "amount": "800.000", "weight": "1.234", "rate": "12.34%"})
    assert r.status_code == 201, r.text
    got = _loads(ex.clerk.get(ex.url("job", f"/{r.json()['id']}")))
    assert (got["amount"], got["weight"], got["rate"]) == (D("800.00"), D("1.234"), D("0.1234"))


def test_item19_patch_refuses_and_changes_nothing(ex):
    made = ex.clerk.post(ex.url("job"), json={"name": "p", "amount": "800.00"}).json()
    r = ex.clerk.patch(ex.url("job", f"/{made['id']}"), json={"amount": "800.005", "version": made["version"]})
    assert _details(r) == {"amount": AT_MOST_2}
    assert _loads(ex.clerk.get(ex.url("job", f"/{made['id']}")))["amount"] == D("800.00")


def test_item19_bulk_refuses_the_row_and_saves_none(ex):
    rows = [{"name": "a", "amount": "1.00"}, {"name": "b", "amount": "1.001"}]
    assert _details(ex.clerk.post(ex.url("job", "/bulk"), json=rows)) == {"[1].amount": AT_MOST_2}
    assert _count(ex) == 0


def test_item19_sub_table_rows_refuse_at_their_cell(ex):
    r = ex.clerk.post(ex.url("job"), json={"name": "s", "lines": [{"qty": 1, "price": "9.99"},
                                                                  {"qty": "1.5", "price": "2.345"}]})
    assert _details(r) == {"lines[1].qty": {"zh": "最多 0 位小数", "en": "at most 0 decimal places"},
                           "lines[1].price": AT_MOST_2}


def test_item19_form_state_shows_the_message_at_the_field(ex):
    state = ex.clerk.post(ex.url("job", "/form-state"), json={"values": {"amount": "800.005"}}).json()
    assert state["valid"] is False
    assert {e["path"]: e["message"] for e in state["errors"]} == {"amount": AT_MOST_2}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_item19_import_reports_the_cell(ex, fmt):
    headers = ["名称", "金额"]
    rows = [["a", "800.00"], ["b", "800.005"]]
    content = csv_bytes(headers, rows) if fmt == "csv" else xlsx_bytes(headers, [["a", 800.0], ["b", 800.005]])
    report = upload(ex.clerk, ex.url("job", "/import"), content, f"jobs.{fmt}").json()
    assert [(p["row"], p["field"], p["message"]) for p in report["problems"]] == [(3, "amount", AT_MOST_2)]
    assert _count(ex) == 0


def test_item19_xlsx_float_noise_is_read_as_the_spreadsheet_shows_it(ex):
    content = xlsx_bytes(["名称", "金额"], [["a", 0.1 + 0.2]])  # the cell holds 0.30000000000000004
    r = upload(ex.clerk, ex.url("job", "/import"), content, "jobs.xlsx", dry_run=False)
    assert r.status_code == 201, r.text
    assert _loads(ex.clerk.get(ex.url("job")))["items"][0]["amount"] == D("0.30")


@pytest.mark.parametrize("amount, eighth", [("0.04", "0.01"), ("-0.04", "-0.01"), ("0.12", "0.02"),
                                            ("100.00", "12.50")])
def test_item19_computed_values_round_half_away_from_zero(ex, amount, eighth):
    r = ex.clerk.post(ex.url("job"), json={"amount": amount, "rate": "0.1234",
                                           "lines": [{"qty": 1, "price": "0.05"}, {"qty": 1, "price": "0.01"}]})
    assert r.status_code == 201, r.text
    got = _loads(ex.clerk.get(ex.url("job", f"/{r.json()['id']}")))
    assert got["eighth"] == D(eighth)
    assert got["fee"] == (D(amount) * D("0.1234")).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    assert [x["line_total"] for x in got["lines"]] == [D("0.02"), D("0.00")]  # 0.0166..., 0.0033...
    assert got["total"] == D("0.02")


def test_item12_a_stored_difference_of_datetimes_is_exact_hours_and_filters_in_sql(ex):
    r = ex.clerk.post(ex.url("job"), json={"name": "issue", "started_at": "2026-03-01T08:00:00",
                                           "finished_at": "2026-03-02T11:38:06"})
    assert r.status_code == 201, r.text
    ex.clerk.post(ex.url("job"), json={"name": "other", "started_at": "2026-03-01T08:00:00",
                                       "finished_at": "2026-03-02T11:37:06"})
    got = _loads(ex.clerk.get(ex.url("job", f"/{r.json()['id']}")))
    assert got["hours"] == D("27.64")
    listed = ex.clerk.get(ex.url("job"), params={"filter": json.dumps({"hours": {"eq": "27.64"}})}).json()
    assert [i["name"] for i in listed["items"]] == ["issue"]
