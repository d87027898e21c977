"""State fields on the shipped sales app: opportunity stages move one at a time (or to 'lost' from
anywhere), each stage's requirements are listed item by item, and the time of each move is kept."""
from __future__ import annotations

import pytest

from .conftest import SALES_ERP


@pytest.fixture
def rep(forms_env):
    env = forms_env(SALES_ERP, demo=True)
    client = env.client_for("rep_east1")
    customers = {c["name"]: c for c in client.get(env.url("customer")).json()["items"]}
    contacts = {c["name"]: c for c in env.admin.get(env.url("contact")).json()["items"]}
    products = {p["code"]: p for p in client.get(env.url("product"), params={"page_size": 50}).json()["items"]}
    return env, client, customers["华为技术有限公司"], contacts, products


def _problems(r) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {d["path"]: d["message"]["en"] for d in r.json()["details"]}


def test_stages_move_one_at_a_time_and_list_what_each_requires(rep):
    env, c, hw, contacts, products = rep
    url = env.url("opportunity")
    r = c.post(url, json={"name": "园区网络", "customer": hw["id"], "stage": "proposal"})
    assert _problems(r) == {"stage": "cannot move from 'a new record' to 'Proposal'"}
    opp = c.post(url, json={"name": "园区网络", "customer": hw["id"]}).json()
    assert opp["stage"] == "contact" and opp["number"].startswith("OP-") and opp["probability"] == 0.1
    one = env.url("opportunity", f"/{opp['id']}")

    assert _problems(c.patch(one, json={"stage": "proposal"})) == {
        "stage": "cannot move from 'First contact' to 'Proposal'"}
    assert _problems(c.patch(one, json={"stage": "needs"})) == {"contact": "'Needs confirmed' requires Contact"}
    r = c.patch(one, json={"stage": "needs", "contact": contacts["张伟"]["id"]})
    assert r.status_code == 200, r.text

    # every missing item of the next stage at once: two fields and a condition
    assert _problems(c.patch(one, json={"stage": "proposal"})) == {
        "lines": "'Proposal' requires Products",
        "expected_close": "'Proposal' requires Expected close",
        "stage": "'Proposal' requires: an amount above 0",
    }
    r = c.patch(one, json={"stage": "proposal", "expected_close": "2026-12-31", "lines": [
        {"product": products["P-1001"]["id"], "qty": 10, "discount": 0.1},
        {"product": products["P-3001"]["id"], "qty": 5}]})
    assert r.status_code == 200, r.text
    opp = r.json()
    assert [ln["price"] for ln in opp["lines"]] == [3999, 800]  # defaults from the product's price
    assert (opp["amount"], opp["probability"], opp["weighted_amount"]) == (39991, 0.5, 19995.5)

    assert _problems(c.patch(one, json={"stage": "negotiation"})) == {
        "proposal_doc": "'Negotiation' requires Proposal"}
    assert _problems(c.patch(one, json={"stage": "lost"})) == {"lost_reason": "'Lost' requires Why lost"}
    assert c.patch(one, json={"stage": "lost", "lost_reason": "预算冻结"}).status_code == 200

    states = c.get(env.url("opportunity", f"/{opp['id']}/states")).json()["items"]
    assert [s["state"] for s in states] == ["contact", "needs", "proposal", "lost"]
    assert all(s["left_at"] for s in states[:3]) and states[3]["left_at"] is None


def test_rows_and_relations_follow_their_rules(rep):
    env, c, hw, contacts, products = rep
    r = c.post(env.url("opportunity"), json={
        "name": "大折扣", "customer": hw["id"], "contact": contacts["王强"]["id"],  # 海尔's contact
        "lines": [{"product": products["P-1001"]["id"], "qty": 1, "discount": 0.5}]})
    assert _problems(r) == {
        "contact": "Contact is not one of the records offered here",
        "lines[0].discount": "A discount above 30% needs separate approval",
    }


def test_the_bulk_path_is_held_to_the_same_stage_rules(rep):
    """The bulk path (imports, rule actions) is held to the same stage rules as the form."""
    env, c, hw, _contacts, _products = rep
    r = c.post(env.url("opportunity", "/bulk"), json=[
        {"name": "一", "customer": hw["id"]}, {"name": "二", "customer": hw["id"], "stage": "won"}])
    assert _problems(r) == {"[1].stage": "cannot move from 'a new record' to 'Won'",
                            "[1].amount": "A won opportunity needs an amount above 0"}


def test_computed_values_export_as_the_values_they_hold(rep):
    env, *_ = rep
    r = env.admin.get(env.url("opportunity", "/export"), params={"format": "csv", "lang": "zh"})
    assert r.status_code == 200, r.text
    text = r.content.decode("utf-8-sig")
    won = next(line for line in text.splitlines() if "招商银行边缘计算试点" in line)
    assert ",100%," in won and ",223440.00," in won  # a percent formula as a percent, a money rollup
