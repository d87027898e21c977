"""How a stored name is read under an upgrade's renames: exactly the renamed name, in its own entity,
through relations for paths, inside sub-table rows for changes; payloads of another app untouched.
(No database: these are the lookups every table's rewrite uses.)"""
from __future__ import annotations

from engine.lifecycle.rename_map import RenameMap


def _map() -> RenameMap:
    return RenameMap("shop", {"deal": "agreement"},
                     {"agreement": {"amount": "total", "lines": "items", "lines.qty": "items.quantity"},
                      "customer": {"code": "ref"}},
                     relations={("agreement", "customer"): "customer", ("customer", "parent"): "customer"})


def test_only_the_renamed_name_in_its_own_entity_changes():
    m = _map()
    assert [m.field("agreement", n) for n in ("amount", "amount_due", "amounts", "code")] == [
        "total", "amount_due", "amounts", "code"]
    assert m.field("customer", "amount") == "amount" and m.field("customer", "code") == "ref"
    assert m.entity("deal") == "agreement" and m.entity("customer") == "customer"
    assert m.old_names == ["customer", "deal"]


def test_paths_follow_relations_and_keep_their_sign():
    m = _map()
    assert m.path("agreement", "-amount") == "-total"
    assert m.path("agreement", "customer.code") == "customer.ref"
    assert m.path("agreement", "+customer.parent.code") == "+customer.parent.ref"
    assert m.path("agreement", "customer.amount") == "customer.amount"
    assert m.path("customer", "amount") == "amount"  # the customer's amount is not the agreement's
    assert m.path("agreement", "amount_due.code") == "amount_due.code"  # not a relation: left as written


def test_changes_rename_keys_and_sub_table_columns_of_a_renamed_sub_table():
    m = _map()
    changes = {"amount": ["1", "2"], "amount_due": [None, "3"],
               "lines": [[{"qty": 1, "note": "a"}], [{"qty": 2, "qtyx": 0}]]}
    assert m.changes("agreement", changes) == {
        "total": ["1", "2"], "amount_due": [None, "3"],
        "items": [[{"quantity": 1, "note": "a"}], [{"quantity": 2, "qtyx": 0}]]}
    assert m.changes("customer", {"amount": 1, "code": "C"}) == {"amount": 1, "ref": "C"}
    assert m.field("agreement", "lines.qty") == "items.quantity" and m.field("agreement", "lines.note") == "items.note"


def test_payloads_of_another_app_or_without_an_entity_are_left_alone():
    m = _map()
    assert m.payload({"app": "other", "entity": "deal", "field": "amount"}) == {
        "app": "other", "entity": "deal", "field": "amount"}
    assert m.payload({"app": "shop", "todo_id": 3}) == {"app": "shop", "todo_id": 3}
    assert m.payload({"field": "amount", "values": {"amount": 1}}, entity="deal") == {
        "field": "total", "values": {"total": 1}}
    assert m.payload({"app": "shop", "entity": "deal", "fields": {"amount": "x", "amount_due": "y"}}) == {
        "app": "shop", "entity": "agreement", "fields": {"total": "x", "amount_due": "y"}}
