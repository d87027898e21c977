"""Formulas, lookups and rollups: dependency order within a record, and changes carried to the
records that read them (a 3-level chain: line subtotal -> order total/net -> tier; the customer's
discount -> every order's net -> the customer's ordered and receivable)."""
from __future__ import annotations

import threading

import pytest

from engine.bundle.checker import check_bundle


@pytest.fixture
def calc(forms_env):
    env = forms_env("calc")
    post = lambda entity, body: env.admin.post(env.url(entity), json=body)  # noqa: E731
    cust = post("customer", {"name": "华东电子", "discount_rate": "0.10"}).json()
    a = post("product", {"name": "路由器", "price": "100"}).json()
    b = post("product", {"name": "交换机", "price": "2500"}).json()
    return env, cust, a, b


def _get(env, entity, rid):
    r = env.admin.get(env.url(entity, f"/{rid}"))
    assert r.status_code == 200, r.text
    return r.json()


def test_a_chain_of_formulas_recalculates_after_a_row_edit_and_a_related_change(calc):
    env, cust, a, b = calc
    r = env.admin.post(env.url("order"), json={"customer": cust["id"], "lines": [
        {"product": a["id"], "qty": 3}, {"product": b["id"], "qty": 4}]})
    assert r.status_code == 201, r.text
    order = r.json()
    assert [ln["subtotal"] for ln in order["lines"]] == [300, 10000]  # row formula over a snapshot lookup
    assert (order["total"], order["discount"], order["net"], order["tier"]) == (10300, 0.1, 9270, "普通")
    assert _get(env, "customer", cust["id"])["ordered"] == 9270  # rollup over the orders pointing at it

    # edit one row: the chain row -> total -> net -> tier follows, and the customer's rollup too
    lines = order["lines"]
    lines[0]["qty"] = 20
    r = env.admin.patch(env.url("order", f"/{order['id']}"), json={"lines": lines, "version": order["version"]})
    assert r.status_code == 200, r.text
    order = r.json()
    assert (order["total"], order["net"], order["tier"]) == (12000, 10800, "大额")
    assert _get(env, "customer", cust["id"])["ordered"] == 10800

    # a change in the related record: the customer's discount reaches the order and comes back
    r = env.admin.patch(env.url("customer", f"/{cust['id']}"), json={"discount_rate": "0.5"})
    assert r.status_code == 200, r.text
    order = _get(env, "order", order["id"])
    assert (order["discount"], order["net"], order["tier"]) == (0.5, 6000, "普通")
    customer = _get(env, "customer", cust["id"])
    assert (customer["ordered"], customer["receivable"]) == (6000, 6000)

    # the product's new price does not rewrite the quoted lines (a snapshot lookup)
    env.admin.patch(env.url("product", f"/{a['id']}"), json={"price": "999"})
    assert _get(env, "order", order["id"])["lines"][0]["price"] == 100


def test_rows_are_added_edited_and_removed_in_one_update(calc):
    env, cust, a, b = calc
    order = env.admin.post(env.url("order"), json={"customer": cust["id"], "lines": [
        {"product": a["id"], "qty": 1}, {"product": b["id"], "qty": 1}]}).json()
    first, second = order["lines"]
    r = env.admin.patch(env.url("order", f"/{order['id']}"), json={"lines": [
        {"id": second["id"], "qty": 2},  # kept, edited, moved first
        {"product": a["id"], "qty": 5},  # added
    ]})
    assert r.status_code == 200, r.text
    lines = r.json()["lines"]
    assert [ln["id"] for ln in lines][0] == second["id"] and first["id"] not in [ln["id"] for ln in lines]
    assert [(ln["product"]["id"], ln["qty"], ln["subtotal"]) for ln in lines] == [(b["id"], 2, 5000), (a["id"], 5, 500)]
    assert r.json()["items"] == 2
    history = env.admin.get(env.url("order", f"/{order['id']}/history")).json()["items"]
    assert "lines" in history[-1]["changes"] and "total" in history[-1]["changes"]


def test_row_problems_come_back_together_with_their_paths(calc):
    env, cust, a, _b = calc
    r = env.admin.post(env.url("order"), json={"customer": cust["id"], "lines": [
        {"product": a["id"], "qty": 1},
        {"product": a["id"], "qty": "many"},
        {"qty": 5000, "product": a["id"]},
        {"qty": 1},
    ]})
    assert r.status_code == 422
    paths = {d["path"] for d in r.json()["details"]}
    assert paths == {"lines[1].qty"}  # parsing fails first; nothing else is judged on a malformed record
    r = env.admin.post(env.url("order"), json={"customer": cust["id"], "lines": [
        {"product": a["id"], "qty": 1}, {"qty": 5000, "product": a["id"]}, {"qty": 1}, {"product": 999999, "qty": 1}]})
    assert r.status_code == 422
    got = {d["path"]: d["message"]["en"] for d in r.json()["details"]}
    assert got.keys() == {"lines[1].qty", "lines[2].product", "lines[3].product"}
    assert "1000" in got["lines[1].qty"]  # the row rule's own message


def test_a_row_id_of_another_record_is_refused(calc):
    env, cust, a, _b = calc
    one = env.admin.post(env.url("order"), json={"customer": cust["id"], "lines": [{"product": a["id"], "qty": 1}]})
    two = env.admin.post(env.url("order"), json={"customer": cust["id"], "lines": []}).json()
    stolen = one.json()["lines"][0]["id"]
    r = env.admin.patch(env.url("order", f"/{two['id']}"), json={"lines": [{"id": stolen, "qty": 3}]})
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "lines[0].id"
    assert _get(env, "order", one.json()["id"])["lines"][0]["qty"] == 1


def test_computed_fields_cannot_be_written(calc):
    env, cust, *_ = calc
    r = env.admin.patch(env.url("customer", f"/{cust['id']}"), json={"paid": "1000000"})
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "paid"


def test_payments_roll_up_with_filter_count_and_latest_and_deletes_count_back(calc):
    env, cust, *_ = calc
    pay = lambda amount, **kw: env.admin.post(env.url("payment"), json={  # noqa: E731
        "customer": cust["id"], "amount": amount, **kw}).json()
    pay("100", paid_on="2026-01-05")
    draft = pay("7", status="draft", paid_on="2026-03-01")
    last = pay("250", paid_on="2026-02-01")
    c = _get(env, "customer", cust["id"])
    assert (c["paid"], c["payments"], c["last_payment"]) == (350, 3, 7)
    env.admin.patch(env.url("payment", f"/{draft['id']}"), json={"status": "confirmed"})
    assert _get(env, "customer", cust["id"])["paid"] == 357
    env.admin.delete(env.url("payment", f"/{last['id']}"))
    c = _get(env, "customer", cust["id"])
    assert (c["paid"], c["payments"], c["receivable"]) == (107, 2, -107)


def test_twenty_concurrent_payments_leave_the_receivable_equal_to_the_rows(calc):
    env, cust, *_ = calc
    service = lambda: env.rt.records("calc", "payment")  # noqa: E731
    errors = []

    def pay(i):
        try:
            service().create({"customer": cust["id"], "amount": str(100 + i)})
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    c = _get(env, "customer", cust["id"])
    assert c["paid"] == sum(100 + i for i in range(20)) == 2190
    assert c["payments"] == 20 and c["receivable"] == -2190


def test_a_cross_entity_cycle_is_rejected_at_load(tmp_path):
    import shutil
    from pathlib import Path

    root = tmp_path / "calc"
    shutil.copytree(Path(__file__).parent / "bundles" / "calc", root)
    product = root / "entities" / "product.yaml"
    product.write_text(product.read_text(encoding="utf-8") + (
        "  - {name: best, type: rollup, label: {zh: 最高, en: Best}, from: {entity: order, via: fav}, "
        "agg: max, field: net}\n"), encoding="utf-8")
    order = root / "entities" / "order.yaml"
    text = order.read_text(encoding="utf-8").replace('expr: "total * (1 - discount)"',
                                                     'expr: "total * (1 - discount) + fav.best"')
    order.write_text(text + "  - {name: fav, type: relation, to: product, label: {zh: 偏好, en: Favourite}}\n",
                     encoding="utf-8")
    errors = check_bundle(root).errors
    assert [e.code for e in errors] == ["bundle.E060"]
    assert "product.best" in errors[0].message["en"] and "order.net" in errors[0].message["en"]
    assert errors[0].file in ("entities/order.yaml", "entities/product.yaml")


def test_a_formula_that_does_not_check_is_a_load_error_at_its_place(tmp_path):
    import shutil
    from pathlib import Path

    root = tmp_path / "calc"
    shutil.copytree(Path(__file__).parent / "bundles" / "calc", root)
    order = root / "entities" / "order.yaml"
    order.write_text(order.read_text(encoding="utf-8").replace('expr: "qty * price"', 'expr: "qty * nosuch"'),
                     encoding="utf-8")
    errors = check_bundle(root).errors
    assert len(errors) == 1 and errors[0].path == "$.fields[1].fields[3].expr"
    assert "nosuch" in errors[0].message["en"]


def test_a_rollup_reaches_two_hops_with_a_match(calc):
    """The last price this customer paid for its main product: through orders and their lines."""
    env, cust, a, b = calc
    env.admin.patch(env.url("customer", f"/{cust['id']}"), json={"main_product": b["id"]})
    env.admin.post(env.url("order"), json={"customer": cust["id"], "lines": [{"product": b["id"], "qty": 1},
                                                                          {"product": a["id"], "qty": 2}]})
    env.admin.patch(env.url("product", f"/{b['id']}"), json={"price": "2300"})
    second = env.admin.post(env.url("order"), json={"customer": cust["id"], "lines": [
        {"product": b["id"], "qty": 3}]}).json()
    c = _get(env, "customer", cust["id"])
    assert (c["last_price"], c["units"]) == (2300, 6)
    env.admin.delete(env.url("order", f"/{second['id']}"))  # the latest goes: the one before counts again
    c = _get(env, "customer", cust["id"])
    assert (c["last_price"], c["units"]) == (2500, 3)


def test_recomputation_reaches_records_the_user_may_not_edit(calc):
    env, cust, *_ = calc
    clerk = env.client_for("clerk1", roles=(("calc", "clerk"),))
    assert clerk.patch(env.url("customer", f"/{cust['id']}"), json={"name": "x"}).status_code == 403
    r = clerk.post(env.url("payment"), json={"customer": cust["id"], "amount": "88"})
    assert r.status_code == 201, r.text
    assert clerk.get(env.url("customer", f"/{cust['id']}")).json()["paid"] == 88


def test_a_rollup_inside_sub_table_rows_is_refused_at_load(tmp_path):
    import shutil
    from pathlib import Path

    root = tmp_path / "calc"
    shutil.copytree(Path(__file__).parent / "bundles" / "calc", root)
    order = root / "entities" / "order.yaml"
    order.write_text(order.read_text(encoding="utf-8").replace(
        '      - {name: subtotal, type: formula, expr: "qty * price", label: {zh: 小计, en: Subtotal}}\n',
        '      - {name: subtotal, type: formula, expr: "qty * price", label: {zh: 小计, en: Subtotal}}\n'
        '      - {name: paid, type: rollup, from: {entity: payment, via: customer}, agg: sum, field: amount, '
        'label: {zh: 已付, en: Paid}}\n'), encoding="utf-8")
    errors = check_bundle(root).errors
    assert [(e.code, e.path) for e in errors] == [("bundle.E060", "$.fields[1].fields[4]")]
