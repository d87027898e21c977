"""Issue 11 item 2: a computed field (formula, lookup, rollup) is hidden from a reader wherever a field
it reads, transitively and through relations, is hidden from them — per role and per row, on every
read path. The bundle (tests/permissions/bundles/vault): account.secret is hidden from clerks;
secret_k = secret / 1000, secret_k2 = secret_k * 2, tag = "S-" & secret; account.paid sums
payment.amount (hidden from clerks); a deal looks up account.secret, computes account.secret_k2 + 1,
and its rows look up payment.amount (summed into paid_total). clerk2 also reads their own accounts
(owner_peek, nothing hidden); auditor1 sees everything."""
from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from .conftest import VAULT

BASE = "/api/v1/records/vault"
# account A: secret 7654321.98 -> secret_k 7654.3220, secret_k2 15308.644, tag S-7654321.98, deal 15309.644;
# payment p1 8765432.10 -> account.paid, deal.lines.paid_amount, deal.paid_total
SECRETS = ("7654321", "7654.32", "15308.64", "15309.64", "8765432")
DERIVED = ("secret_k", "secret_k2", "tag", "account_secret", "account_k2", "paid_amount", "paid_total")


def _ids(rt, entity: str, by: str) -> dict[str, int]:
    t = rt.table("vault", entity)
    with rt.connect() as c:
        return dict(c.execute(sa.select(t.c[by], t.c.id)).all())


def _pdf_text(content: bytes) -> str:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(content))
    return "".join("".join((p.extract_text() or "").replace("\x00", "").split()) for p in reader.pages)


def _responses(c: TestClient, rt) -> list[tuple[str, str]]:
    """(what, text) of every read path over the planted records."""
    acc, deal = _ids(rt, "account", "name")["甲账户"], _ids(rt, "deal", "name")["大单"]
    out = []

    def get(what, url, **params):
        r = c.get(url, params=params)
        assert r.status_code == 200, (what, r.status_code, r.text)
        out.append((what, r.text))
        return r

    get("get account", f"{BASE}/account/{acc}")
    get("list accounts", f"{BASE}/account", page_size=100)
    get("search accounts", f"{BASE}/account", q="甲")
    get("picker accounts", f"{BASE}/account/picker")
    get("account history", f"{BASE}/account/{acc}/history")
    get("get deal", f"{BASE}/deal/{deal}")
    get("list deals", f"{BASE}/deal", page_size=100)
    get("picker deals", f"{BASE}/deal/picker")
    get("deal history", f"{BASE}/deal/{deal}/history")
    get("payments", f"{BASE}/payment", page_size=100)
    get("global search", "/api/v1/search", q="甲")
    get("global search deal", "/api/v1/search", q="大单")
    get("access", "/api/v1/auth/me/access")
    get("ui account", "/api/v1/ui/entities/vault/account")
    get("ui deal", "/api/v1/ui/entities/vault/deal")
    for entity in ("account", "deal"):
        r = get(f"export {entity}", f"{BASE}/{entity}/export", format="csv")
        out[-1] = (f"export {entity}", r.content.decode("utf-8-sig"))
    r = get("print", f"{BASE}/account/{acc}/print/card")
    out[-1] = ("print", _pdf_text(r.content))
    for what, body in (("form state account", {"id": acc, "values": {}}),
                       ("form state deal", {"id": deal, "values": {}}),
                       ("form state new deal", {"values": {"name": "x", "account": acc}})):
        entity = "account" if "account" in what else "deal"
        r = c.post(f"{BASE}/{entity}/form-state", json=body)
        assert r.status_code == 200, (what, r.text)
        out.append((what, r.text))
    return out


def test_item2_values_derived_from_a_hidden_field_never_reach_the_reader(vault, vlogin):
    auditor = vlogin("auditor1")
    deal_id = _ids(vault, "deal", "name")["大单"]
    row = auditor.get(f"{BASE}/deal/{deal_id}").json()["lines"][0]
    r = auditor.patch(f"{BASE}/deal/{deal_id}", json={"lines": [{"id": row["id"], "item": "一",
                                                                "payment": row["payment"]["id"], "qty": 4}]})
    assert r.status_code == 200 and r.json()["lines"][0]["paid_amount"] == 8765432.1, r.text  # history holds it
    seen = "\n".join(text for _, text in _responses(auditor, vault))
    for s in SECRETS:  # the reader who may see the sources sees every derived value
        assert s in seen, s
    clerk = vlogin("clerk1")
    for what, text in _responses(clerk, vault):
        for s in SECRETS:
            assert s not in text, (what, s, text[:2000])
        if what.startswith(("get", "list", "form state", "export")) or what.endswith("history"):
            for name in DERIVED:
                assert f'"{name}"' not in text and f",{name}" not in text, (what, name)
    # the derived fields say so where a page asks what is hidden
    access = {e["name"]: e for a in clerk.get("/api/v1/auth/me/access").json()["apps"] for e in a["entities"]
              if a["name"] == "vault"}
    assert {"secret", "secret_k", "secret_k2", "tag", "paid"} <= set(access["account"]["hidden"])
    assert {"account_secret", "account_k2", "paid_total"} <= set(access["deal"]["hidden"])
    for entity in ("account", "deal"):  # the web pages get no hidden field, nor a hidden sub-table column
        meta = clerk.get(f"/api/v1/ui/entities/vault/{entity}").json()
        names = {f["name"] for f in meta["fields"]} | {
            c["name"] for f in meta["fields"] for c in f.get("fields") or () if isinstance(c, dict)}
        assert not names & set(DERIVED) and "secret" not in names and "paid" not in names
        assert "lines.paid_amount" in meta["hidden"] or entity == "account"
    # what does not read a hidden field still shows
    acc = clerk.get(f"{BASE}/account/{_ids(vault, 'account', 'name')['甲账户']}").json()
    assert acc["note_len"] == 5 and acc["payments"] == 1
    deal = clerk.get(f"{BASE}/deal/{_ids(vault, 'deal', 'name')['大单']}").json()
    assert deal["account_note"] == "hello" and deal["qty_total"] == 4
    assert deal["lines"][0]["qty"] == 4 and "paid_amount" not in deal["lines"][0]


@pytest.mark.parametrize("entity,params", [
    ("account", {"filter": json.dumps({"secret_k": {"gt": 7000}})}),
    ("account", {"filter": json.dumps({"secret_k2": {"gt": 1}})}),
    ("account", {"filter": json.dumps({"tag": {"contains": "7654"}})}),
    ("account", {"filter": json.dumps({"paid": {"gt": 1}})}),
    ("account", {"sort": "-secret_k"}),
    ("account", {"sort": "tag"}),
    ("deal", {"filter": json.dumps({"account_secret": {"gt": 1}})}),
    ("deal", {"filter": json.dumps({"account.secret_k": {"gt": 1}})}),
    ("deal", {"filter": json.dumps({"account.tag": {"startswith": "S-7"}})}),
    ("deal", {"sort": "-account_k2"}),
    ("deal", {"sort": "account.paid"}),
])
def test_item2_filters_and_sorts_on_a_hidden_derived_field_are_refused(vault, vlogin, entity, params):
    clerk, auditor = vlogin("clerk1"), vlogin("auditor1")
    assert clerk.get(f"{BASE}/{entity}", params=params).status_code == 422
    assert auditor.get(f"{BASE}/{entity}", params=params).status_code == 200


def test_item2_a_keyword_never_matches_a_hidden_derived_field(vault, vlogin):
    clerk, auditor = vlogin("clerk1"), vlogin("auditor1")
    for c, n in ((auditor, 1), (clerk, 0)):
        assert c.get(f"{BASE}/account", params={"q": "S-7654"}).json()["total"] == n
        hits = [g for g in c.get("/api/v1/search", params={"q": "S-7654"}).json()["items"]
                if g["entity"] == "account"]
        assert sum(len(g["hits"]) for g in hits) == n


def test_item2_derived_fields_follow_the_row_mask(vault, vlogin):
    """clerk2 is a clerk (secret hidden) who also reads their own accounts with nothing hidden: on
    their own account B the derived values show, on A they stay hidden — like the field itself."""
    ids = _ids(vault, "account", "name")
    c = vlogin("clerk2")
    items = {i["name"]: i for i in c.get(f"{BASE}/account", params={"page_size": 100}).json()["items"]}
    assert items["乙账户"]["secret"] == 1234.5 and items["乙账户"]["tag"] == "S-1234.5"
    assert str(items["乙账户"]["secret_k"]).startswith("1.2345")
    assert not {"secret", "secret_k", "secret_k2", "tag"} & set(items["甲账户"])
    got = c.get(f"{BASE}/account/{ids['乙账户']}").json()
    assert got["tag"] == "S-1234.5"
    text = c.get(f"{BASE}/account/{ids['甲账户']}").text
    assert not any(s in text for s in SECRETS)


def test_item2_jimu_check_reports_a_default_copying_a_hidden_field(tmp_path):
    """A default expression is an input, not a derived field: it copies the hidden value into a field
    the role sees, so the checker says the `hidden` list cannot be honoured there."""
    import shutil

    from engine.bundle.checker import check_bundle

    bundle = tmp_path / "vault"
    shutil.copytree(VAULT, bundle)
    deal = (bundle / "entities" / "deal.yaml").read_text()
    copied = '{name: copied, type: money, default_expr: "account.secret", label: {zh: 复制, en: Copied}}'
    deal = deal.replace("  - {name: account_note,", f"  - {copied}\n  - {{name: account_note,")
    (bundle / "entities" / "deal.yaml").write_text(deal)
    result = check_bundle(bundle)
    assert result.ok
    found = [w for w in result.warnings if "copied" in w.message["en"]]
    assert found and "clerk" in found[0].message["en"] and "account.secret" in found[0].message["en"]
    assert not [w for w in check_bundle(VAULT).warnings]


def test_an_action_reads_a_record_as_its_user_without_hidden_derived_columns(vault):
    """What engine actions judge a record by (RecordService.stored_values with a reader): a clerk's
    read leaves out account_secret and the rows' paid_amount (derived from hidden fields); the
    system's read has them."""
    from engine.identity.actor import load_actor
    from engine.records.service import RecordService

    deal = _ids(vault, "deal", "name")["大单"]
    users = vault.db.core["user"]
    service = RecordService(vault, "vault", "deal")
    with vault.connect() as c:
        clerk = load_actor(vault, c.execute(sa.select(users.c.id).where(users.c.login == "clerk1")).scalar_one(),
                           via="system", conn=c)
        as_clerk = service.stored_values(deal, c, reader=clerk)
        as_system = service.stored_values(deal, c)
    assert as_clerk["account_secret"] is None and as_system["account_secret"] is not None
    assert as_clerk["lines"] and all(r["paid_amount"] is None for r in as_clerk["lines"])
    assert any(r["paid_amount"] is not None for r in as_system["lines"])
