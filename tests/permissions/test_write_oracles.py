"""Writes that would tell a user what they may not read (issue 11 item 4): a hidden field sent in any
write is refused the same way whatever its value, so a right guess and a wrong one look alike — on
create, PATCH, bulk create, the form state (new and existing records) and import. A read-only field
the user can see may still be sent back unchanged."""
from __future__ import annotations

from .test_fields_and_writes import PLANTED
from .test_read_matrix import BASE, _ids_by_code


def _answers(rep, hw: int, value: str) -> dict[str, tuple[int, dict]]:
    probes = {
        "patch": lambda: rep.patch(f"{BASE}/customer/{hw}", json={"credit_limit": value}),
        "patch_with_other_field": lambda: rep.patch(f"{BASE}/customer/{hw}",
                                                    json={"phone": "010-1", "credit_limit": value}),
        "form_state_existing": lambda: rep.post(f"{BASE}/customer/form-state",
                                                json={"id": hw, "values": {"credit_limit": value}}),
        "form_state_new": lambda: rep.post(f"{BASE}/customer/form-state",
                                           json={"values": {"name": "探测", "credit_limit": value}}),
        "create": lambda: rep.post(f"{BASE}/customer", json={"name": "探测", "credit_limit": value}),
        "bulk": lambda: rep.post(f"{BASE}/customer/bulk", json=[{"name": "探测", "credit_limit": value}]),
    }
    out = {}
    for name, probe in probes.items():
        r = probe()
        out[name] = (r.status_code, r.json())
    return out


def test_item4_hidden_field_write_refused_whatever_value(erp, login):
    hw = _ids_by_code(erp)["C0001"]  # rep_east1's own customer; credit_limit is hidden from reps
    assert login("erp_admin").patch(f"{BASE}/customer/{hw}", json={"credit_limit": PLANTED}).status_code == 200
    rep = login("rep_east1")
    right, wrong = _answers(rep, hw, PLANTED), _answers(rep, hw, "1.00")
    assert right == wrong  # the same status and the same body: a right guess tells nothing
    for name, (status, body) in right.items():
        assert status == 403, (name, body)
        assert [d["path"] for d in body["details"]] == [
            "[0].credit_limit" if name == "bulk" else "credit_limit"], name
    got = rep.get(f"{BASE}/customer/{hw}").json()
    assert got["phone"] != "010-1" and got["version"] == 2  # nothing was written (1 + the admin's change)
    assert rep.get(f"{BASE}/customer", params={"q": "探测"}).json()["total"] == 0


def test_item4_visible_read_only_field_may_be_sent_back_unchanged(erp, login):
    """The web form never sends hidden fields; a read-only one the user sees is no secret, so sending
    it back unchanged is still accepted, and a change of it is refused."""
    hw = _ids_by_code(erp)["C0001"]
    rep = login("rep_east1")
    code = rep.get(f"{BASE}/customer/{hw}").json()["code"]
    assert rep.patch(f"{BASE}/customer/{hw}", json={"code": code, "phone": "021-2"}).status_code == 200
    state = rep.post(f"{BASE}/customer/form-state", json={"id": hw, "values": {"code": code}})
    assert state.status_code == 200
    changed = rep.patch(f"{BASE}/customer/{hw}", json={"code": "X-9"})
    assert changed.status_code == 403 and changed.json()["details"][0]["path"] == "code"


def test_item4_import_of_a_hidden_column_is_refused_whatever_its_values(erp, login):
    """A rep allowed to import customers (granted here) still cannot fill their hidden credit limit:
    the column is refused at its header, and the report is the same whatever the cells hold."""
    import dataclasses

    grants = erp.apps["sales_erp"].grants["customer"]
    grants["sales_rep"] = dataclasses.replace(grants["sales_rep"], import_=True)
    rep = login("rep_east1")
    reports = []
    for value in (PLANTED, "1.00"):
        content = f"客户名称,信用额度\r\n导入探测,{value}\r\n".encode("utf-8-sig")
        r = rep.post(f"{BASE}/customer/import", files={"file": ("c.csv", content)}, data={"dry_run": "false"})
        assert r.status_code == 422, r.text
        body = r.json()
        for p in body["report"]["problems"]:
            p.pop("value", None)
        reports.append(body)
    assert reports[0] == reports[1]
    assert [(p["row"], p["field"]) for p in reports[0]["report"]["problems"]] == [(1, "credit_limit")]
    assert rep.get(f"{BASE}/customer", params={"q": "导入探测"}).json()["total"] == 0
