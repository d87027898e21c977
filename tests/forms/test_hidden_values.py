"""Issue 11 item 16: a field hidden by a linkage rule (visible_if) is not validated, and its value is
cleared on save by default (``hidden_value: clear``) or kept untouched (``hidden_value: keep``, per
field or per entity) — on create, PATCH, bulk, import and the form state, in sub-table rows too."""
from __future__ import annotations

import pytest

from .io_helpers import xlsx_bytes


@pytest.fixture
def hd(forms_env):
    return forms_env("hidden")


def _paths(r) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {d["path"]: d["message"]["en"] for d in r.json()["details"]}


def test_item16_a_hidden_value_is_cleared_and_not_validated(hd):
    r = hd.admin.post(hd.url("claim"), json={"kind": "person", "company_name": "x"})  # too short, but hidden
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["company_name"] is None and rec["name_len"] in (None, 0, "0")  # the formula sees the cleared value
    # shown, the same value is judged
    r = hd.admin.post(hd.url("claim"), json={"kind": "company", "company_name": "x"})
    assert _paths(r) == {"company_name": "Company name needs at least 3 characters", "ends_on": "give an end date"}


def test_item16_patch_hiding_a_field_clears_it(hd):
    rec = hd.admin.post(hd.url("claim"), json={"kind": "company", "company_name": "Acme",
                                              "ends_on": "2026-12-31"}).json()
    assert rec["company_name"] == "Acme" and rec["name_len"] in (4, "4")
    r = hd.admin.patch(hd.url("claim", f"/{rec['id']}"), json={"kind": "person"})
    assert r.status_code == 200, r.text
    assert r.json()["company_name"] is None and r.json()["ends_on"] is None
    # a value sent for a field hidden now is cleared as well
    r = hd.admin.patch(hd.url("claim", f"/{rec['id']}"), json={"company_name": "Evil Inc"})
    assert r.status_code == 200, r.text
    assert r.json()["company_name"] is None


def test_item16_keep_stores_the_value_untouched_without_validating_it(hd):
    r = hd.admin.post(hd.url("claim"), json={"kind": "person", "tax_no": "abc"})  # field-level keep
    assert r.status_code == 201, r.text
    assert r.json()["tax_no"] == "abc"
    r = hd.admin.post(hd.url("keeper"), json={"kind": "person", "company_name": "Evil Inc", "nickname": "Bo"})
    assert r.status_code == 201, r.text  # entity-level keep: neither the validation nor min_length fires
    rec = r.json()
    assert rec["company_name"] == "Evil Inc" and rec["nickname"] is None  # a field may still say clear
    r = hd.admin.patch(hd.url("keeper", f"/{rec['id']}"), json={"kind": "company"})
    assert _paths(r) == {"company_name": "that name is not allowed"}  # shown again, judged again


def test_item16_form_state_reports_the_cleared_value(hd):
    st = hd.admin.post(hd.url("claim", "/form-state"), json={"values": {"kind": "person", "company_name": "x",
                                                                         "tax_no": "abc"}}).json()
    assert st["valid"], st
    assert st["values"]["company_name"] is None and st["values"]["tax_no"] == "abc"
    assert st["fields"]["company_name"]["visible"] is False


def test_item16_bulk_and_import_clear_hidden_values(hd):
    r = hd.admin.post(hd.url("claim", "/bulk"), json=[{"kind": "person", "company_name": "x"},
                                                      {"kind": "company", "company_name": "Big Co",
                                                       "ends_on": "2026-12-31"}])
    assert r.status_code == 201, r.text
    got = [hd.admin.get(hd.url("claim", f"/{i}")).json()["company_name"] for i in r.json()["ids"]]
    assert got == [None, "Big Co"]
    content = xlsx_bytes(["类型", "企业名称"], [["个人", "x"]])
    r = hd.admin.post(hd.url("claim", "/import"), data={"dry_run": "false"},
                      files={"file": ("c.xlsx", content)})
    assert r.status_code == 201, r.text
    items = hd.admin.get(hd.url("claim")).json()["items"]
    assert len(items) == 3 and sorted(str(i["company_name"]) for i in items) == ["Big Co", "None", "None"]


def test_item16_subtable_row_fields_with_visible_if(hd):
    r = hd.admin.post(hd.url("claim"), json={"kind": "person", "lines": [
        {"item": "bolt", "note": "nope"}, {"item": "other", "note": "abc"}]})
    assert _paths(r) == {"lines[1].note": "Note needs at least 5 characters"}  # row 0's note is hidden
    r = hd.admin.post(hd.url("claim"), json={"kind": "person", "lines": [
        {"item": "bolt", "note": "nope"}, {"item": "other", "note": "a long note"}]})
    assert r.status_code == 201, r.text
    lines = r.json()["lines"]
    assert [ln["note"] for ln in lines] == [None, "a long note"]


def test_item16_a_hidden_subtable_loses_its_rows_unjudged(hd):
    r = hd.admin.post(hd.url("claim"), json={"kind": "company", "company_name": "Acme", "ends_on": "2026-12-31",
                                             "parts": [{"part": "x"}]})
    assert _paths(r) == {"parts[0].part": "Part needs at least 3 characters"}
    rec = hd.admin.post(hd.url("claim"), json={"kind": "company", "company_name": "Acme", "ends_on": "2026-12-31",
                                               "parts": [{"part": "gear"}]}).json()
    assert [p["part"] for p in rec["parts"]] == ["gear"]
    r = hd.admin.patch(hd.url("claim", f"/{rec['id']}"), json={"kind": "person", "parts": [{"part": "x"}]})
    assert r.status_code == 200, r.text
    assert r.json()["parts"] == []
    assert hd.admin.get(hd.url("claim", f"/{rec['id']}")).json()["parts"] == []
