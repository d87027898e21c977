"""Linkage rules and validations: enforced on every write path, all problems at once, and the form
state endpoint answering exactly what a save would."""
from __future__ import annotations

import pytest


@pytest.fixture
def lk(forms_env):
    return forms_env("linkage")


def _paths(r) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {d["path"]: d["message"]["en"] for d in r.json()["details"]}


def test_every_problem_comes_back_at_once_with_its_path(lk):
    r = lk.admin.post(lk.url("applicant"), json={"kind": "company", "id_number": "12345", "nickname": "x",
                                                 "ends_on": "2000-01-01", "budget": "2000000"})
    got = _paths(r)
    assert set(got) == {"company_name", "id_number", "nickname", "ends_on", ""}
    assert got["id_number"] == "an ID number has 18 characters"  # the definition's own message
    assert "at least 2" in got["nickname"] and "before the start" in got["ends_on"]
    assert got[""] == "a company budget above one million"


def test_a_hidden_field_is_not_required_and_required_if_follows_the_record(lk):
    r = lk.admin.post(lk.url("applicant"), json={"kind": "person"})  # company_name hidden: not required
    assert set(_paths(r)) == {"id_number"}  # but a person needs an ID number
    r = lk.admin.post(lk.url("applicant"), json={"kind": "person", "id_number": "11010519491231002X"})
    assert r.status_code == 201, r.text
    assert r.json()["days"] is None and r.json()["starts_on"]  # an expression default (TODAY())


def test_expression_defaults_read_the_user_and_related_records(lk):
    owner = lk.client_for("owner1", is_admin=True)
    acct = owner.post(lk.url("account"), json={"name": "Acme"}).json()
    rec = lk.admin.post(lk.url("applicant"), json={"id_number": "11010519491231002X", "account": acct["id"]}).json()
    me = lk.admin.get("/api/v1/auth/me").json()["user"]
    assert rec["handler"] == {"id": me["id"], "title": me["name"]}
    assert rec["account_owner"] == {"id": acct["owner"], "title": "owner1"}
    given = lk.admin.post(lk.url("applicant"), json={"id_number": "11010519491231002X",
                                                     "handler": acct["owner"]}).json()
    assert given["handler"] == {"id": acct["owner"], "title": "owner1"}  # a given value wins


def test_readonly_if_refuses_a_change_through_the_api(lk):
    rec = lk.admin.post(lk.url("applicant"), json={"id_number": "11010519491231002X", "budget": "10"}).json()
    r = lk.admin.patch(lk.url("applicant", f"/{rec['id']}"), json={"status": "closed"})
    assert r.status_code == 200
    r = lk.admin.patch(lk.url("applicant", f"/{rec['id']}"), json={"budget": "20"})
    assert _paths(r) == {"budget": "Budget cannot be changed now"}
    # sending the value it already has is not a change
    assert lk.admin.patch(lk.url("applicant", f"/{rec['id']}"), json={"budget": "10"}).status_code == 200


def test_option_filters_limit_what_a_select_may_take(lk):
    r = lk.admin.post(lk.url("applicant"), json={"id_number": "11010519491231002X", "tier": "vip"})
    assert _paths(r) == {"tier": "Tier cannot be vip here"}
    r = lk.admin.post(lk.url("applicant"), json={"kind": "company", "company_name": "积木科技", "tier": "vip"})
    assert r.status_code == 201, r.text


def test_a_relation_with_match_offers_and_accepts_only_matching_records(lk):
    acme = lk.admin.post(lk.url("account"), json={"name": "Acme"}).json()
    other = lk.admin.post(lk.url("account"), json={"name": "Other"}).json()
    ann = lk.admin.post(lk.url("person"), json={"account": acme["id"], "name": "Ann"}).json()
    bob = lk.admin.post(lk.url("person"), json={"account": other["id"], "name": "Bob"}).json()
    base = {"id_number": "11010519491231002X", "account": acme["id"]}
    assert _paths(lk.admin.post(lk.url("applicant"), json={**base, "person": bob["id"]})) == {
        "person": "Person is not one of the records offered here"}
    assert lk.admin.post(lk.url("applicant"), json={**base, "person": ann["id"]}).status_code == 201
    # the form state says which records to offer, and the picker takes that filter
    state = lk.admin.post(lk.url("applicant", "/form-state"), json={"values": base}).json()
    flt = state["fields"]["person"]["filter"]
    assert flt == {"account": acme["id"]}
    import json

    picked = lk.admin.get(lk.url("person", "/picker"), params={"filter": json.dumps(flt)}).json()
    assert [i["title"] for i in picked["items"]] == ["Ann"]


def test_unique_ignores_case_without_saying_which_record_holds_the_value(lk):
    assert lk.admin.post(lk.url("account"), json={"name": "Jimu Tech"}).status_code == 201
    r = lk.admin.post(lk.url("account"), json={"name": "JIMU tech"})
    assert _paths(r) == {"name": "another record already has this Name"}


def test_the_form_state_judges_like_a_save_without_saving(lk):
    before = lk.admin.get(lk.url("applicant")).json()["total"]
    state = lk.admin.post(lk.url("applicant", "/form-state"), json={"values": {
        "kind": "company", "starts_on": "2026-01-01", "ends_on": "2026-03-01", "tier": "basic"}}).json()
    assert state["values"]["days"] == 59  # the formula, computed
    assert state["fields"]["company_name"] == {"visible": True, "required": True, "readonly": False}
    assert state["fields"]["id_number"]["required"] is False
    assert state["fields"]["tier"]["options"] == ["basic", "vip"]
    assert state["fields"]["days"]["readonly"] is True
    assert {e["path"] for e in state["errors"]} == {"company_name"} and state["valid"] is False
    person = lk.admin.post(lk.url("applicant", "/form-state"), json={"values": {"kind": "person"}}).json()
    assert person["fields"]["company_name"]["visible"] is False
    assert person["fields"]["tier"]["options"] == ["basic"]
    assert lk.admin.get(lk.url("applicant")).json()["total"] == before  # nothing saved


def test_the_form_state_of_an_existing_record_uses_its_stored_values(lk):
    rec = lk.admin.post(lk.url("applicant"), json={"id_number": "11010519491231002X", "status": "closed"}).json()
    state = lk.admin.post(lk.url("applicant", "/form-state"), json={"id": rec["id"], "values": {"budget": "5"}}).json()
    assert state["fields"]["budget"]["readonly"] is True
    assert [e["path"] for e in state["errors"]] == ["budget"]
    assert lk.admin.post(lk.url("applicant", "/form-state"), json={"id": 999999, "values": {}}).status_code == 404
    bad = lk.admin.post(lk.url("applicant", "/form-state"), json={"values": []})
    assert bad.status_code == 422 and bad.json()["code"] == "form.E001"


def test_the_form_state_offers_the_cascade_options_the_save_accepts(forms_env):
    env = forms_env("fieldtypes")
    state = lambda values: env.admin.post(env.url("specimen", "/form-state"),  # noqa: E731
                                          json={"values": values}).json()["fields"]["f_cascade"]["options"]
    assert state({"f_select": "south"}) == ["guangzhou", "shenzhen"]
    assert state({}) == []  # no parent chosen: nothing to offer, as the save refuses any city then
    assert env.admin.post(env.url("specimen"), json={"f_cascade": "shanghai"}).status_code == 422
