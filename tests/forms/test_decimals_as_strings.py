"""Issue 11 item 10: money goes out as JSON numbers, which a JavaScript client reads as doubles
(9999999999999999.99 becomes 10000000000000000). ``X-Jimu-Decimals: string`` or ``?decimals=string``
makes every decimal (money, number, percent, computed) go out as its exact text, on every read path."""
from __future__ import annotations

import json

import pytest

BIG = "9999999999999999.99"
STRING = {"X-Jimu-Decimals": "string"}


@pytest.fixture
def ex(forms_env):
    env = forms_env("exact")
    env.clerk = env.client_for("clerk1", roles=(("exact", "clerk"),))
    return env


def _create(ex):
    body = ('{"name": "大单", "big": %s, "amount": 800.5, "weight": 1.25, "rate": 0.1234, '
            '"lines": [{"qty": 3, "price": 10}]}' % BIG)  # BIG as a JSON number, exactly as typed
    r = ex.clerk.post(ex.url("job"), content=body, headers={"Content-Type": "application/json", **STRING})
    assert r.status_code == 201, r.text
    return r.json()


def test_item10_without_the_flag_money_is_a_json_number_a_double_cannot_hold(ex):
    made = _create(ex)
    r = ex.clerk.get(ex.url("job", f"/{made['id']}"))
    assert f'"big":{BIG}' in r.text
    assert json.loads(r.text)["big"] == 1e16  # what a client reading doubles sees: the cents are gone


def test_item10_every_read_path_gives_exact_strings_with_the_header_or_the_flag(ex):
    made = _create(ex)
    assert made["big"] == BIG and made["amount"] == "800.50"  # the create's answer too
    rid = made["id"]
    got = ex.clerk.get(ex.url("job", f"/{rid}"), headers=STRING).json()
    assert (got["big"], got["amount"], got["weight"], got["rate"]) == (BIG, "800.50", "1.250", "0.1234")
    assert got["eighth"] == "100.06" and got["fee"] == "98.78"  # computed values too
    assert got["lines"][0]["price"] == "10.00" and got["lines"][0]["line_total"] == "10.00"
    assert got["total"] == "10.00"

    listed = ex.clerk.get(ex.url("job"), params={"decimals": "string"}).json()
    assert listed["items"][0]["big"] == BIG and listed["total"] == 1  # counts stay numbers
    searched = ex.clerk.get(ex.url("job"), params={"q": "大单"}, headers=STRING).json()
    assert searched["items"][0]["big"] == BIG

    state = ex.clerk.post(ex.url("job", "/form-state"), headers=STRING,
                          json={"id": rid, "values": {"big": BIG, "amount": "800.50"}}).json()
    assert state["values"]["big"] == BIG and state["values"]["eighth"] == "100.06"

    # what a client read back as a string it sends again unchanged: the value round-trips exactly
    patched = ex.clerk.patch(ex.url("job", f"/{rid}"), headers=STRING,
                             json={"big": got["big"], "name": "再来", "version": got["version"]})
    assert patched.status_code == 200, patched.text
    again = ex.clerk.get(ex.url("job", f"/{rid}"), params={"decimals": "string"}).json()
    assert again["big"] == BIG and again["name"] == "再来"


def test_item10_other_values_of_the_flag_leave_numbers(ex):
    made = _create(ex)
    r = ex.clerk.get(ex.url("job", f"/{made['id']}"), params={"decimals": "number"})
    assert f'"big":{BIG}' in r.text
