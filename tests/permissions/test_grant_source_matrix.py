"""The permission matrix with a grant source (issue 12, item 6): an engine grants one user one record
while a task is open (tests/hooks/sample_engine/grant_tasks.py). rep_east1's roles admit only their
own customers (C0001, C0003), warehouse1's no customer at all; a task grants each of them C0004
(招商银行, rep_south1's) with the fields ``name`` and ``level``, ``level`` writable. Every read path
shows that record with those fields only; nothing else of the entity; the task closes, access ends."""
from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa

BASE = "/api/v1/records/sales_erp"
SAMPLE = "tests.hooks.sample_engine"
SHOWN = {"id", "title", "name", "level", "version", "created_at", "updated_at", "deleted_at"}


@pytest.fixture(autouse=True)
def sample_engine(monkeypatch):
    monkeypatch.setenv("JIMU_EXTRA_ENGINES", SAMPLE)  # before the runtime opens


def _ids(erp) -> dict[str, int]:
    t = erp.table("sales_erp", "customer")
    with erp.connect() as c:
        return dict(c.execute(sa.select(t.c.code, t.c.id)).all())


def _uid(erp, login: str) -> int:
    u = erp.db.core["user"]
    with erp.connect() as c:
        return c.execute(sa.select(u.c.id).where(u.c.login == login)).scalar_one()


def _task(erp, login: str, record_id: int, fields="name,level", write="level") -> int:
    t = erp.db.core["sample_grant_task"]
    with erp.transaction() as c:
        return c.execute(sa.insert(t).values(user_id=_uid(erp, login), app="sales_erp", entity="customer",
                                             record_id=record_id, fields=fields, write_fields=write,
                                             open=True)).inserted_primary_key[0]


def _close(erp, task: int) -> None:
    t = erp.db.core["sample_grant_task"]
    with erp.transaction() as c:
        c.execute(sa.update(t).where(t.c.id == task).values(open=False))


@pytest.mark.parametrize("user,own", [("rep_east1", {"C0001", "C0003"}), ("warehouse1", set())])
def test_a_granted_record_shows_only_its_named_fields_on_every_read_path(erp, login, user, own):
    ids = _ids(erp)
    cmb = ids["C0004"]
    task = _task(erp, user, cmb)
    c = login(user)

    got = c.get(f"{BASE}/customer/{cmb}")
    assert got.status_code == 200, got.text
    rec = got.json()
    assert set(rec) == SHOWN and rec["name"] == "招商银行" and rec["title"] == "招商银行"

    listed = c.get(f"{BASE}/customer", params={"page_size": 100}).json()
    assert {i["code"] for i in listed["items"] if "code" in i} == own
    assert {i["id"] for i in listed["items"]} == {ids[k] for k in own | {"C0004"}}
    assert listed["total"] == len(own) + 1
    granted = next(i for i in listed["items"] if i["id"] == cmb)
    assert set(granted) == SHOWN

    found = c.get(f"{BASE}/customer", params={"q": "招商", "page_size": 100}).json()  # by the named name
    assert [i["id"] for i in found["items"]] == [cmb]
    assert c.get(f"{BASE}/customer", params={"q": "C0004"}).json()["total"] == 0  # code is not named

    everywhere = c.get("/api/v1/search", params={"q": "招商"}).json()
    hits = [h for g in everywhere["items"] if g["entity"] == "customer" for h in g["hits"]]
    assert hits == [{"id": cmb, "title": "招商银行"}]

    picked = c.get(f"{BASE}/customer/picker", params={"page_size": 100}).json()
    assert {i["id"] for i in picked["items"]} == {ids[k] for k in own | {"C0004"}}

    hist = c.get(f"{BASE}/customer/{cmb}/history")
    assert hist.status_code == 200, hist.text
    assert "rep_south1" not in hist.text and "credit_limit" not in hist.text

    for code, rid in ids.items():  # nothing else of the entity
        status = c.get(f"{BASE}/customer/{rid}").status_code
        assert status == (200 if code in own | {"C0004"} else 404), (user, code)

    # filtering or sorting by a field the grant does not name is refused, as for a hidden field
    assert c.get(f"{BASE}/customer", params={"filter": json.dumps({"code": "C0004"})}).status_code == 422
    assert c.get(f"{BASE}/customer", params={"sort": "phone"}).status_code == 422

    _close(erp, task)  # the task closes: access ends at once
    assert c.get(f"{BASE}/customer/{cmb}").status_code == 404
    assert cmb not in {i["id"] for i in c.get(f"{BASE}/customer", params={"page_size": 100}).json()["items"]}
    assert c.get(f"{BASE}/customer/{cmb}/history").status_code == 404
    assert c.get("/api/v1/search", params={"q": "招商"}).json()["total"] == 0


def test_a_user_without_the_grant_sees_nothing_of_it(erp, login):
    cmb = _ids(erp)["C0004"]
    _task(erp, "rep_east1", cmb)
    other = login("rep_east2")
    assert other.get(f"{BASE}/customer/{cmb}").status_code == 404
    assert other.get(f"{BASE}/customer", params={"q": "招商"}).json()["total"] == 0
    assert login("warehouse1").get(f"{BASE}/customer/{cmb}").status_code == 404


@pytest.mark.parametrize("user,code", [("rep_east1", "C0001"), ("director", "C0004")])
def test_a_grant_on_a_record_the_roles_already_show_costs_nothing(erp, login, user, code):
    """A rep's own customer, or any customer for the director (an approver who could read it
    anyway): the grant adds no row, so the unnamed fields stay shown and filterable on every record."""
    c = login(user)
    before = c.get(f"{BASE}/customer", params={"page_size": 100}).json()
    _task(erp, user, _ids(erp)[code])
    after = c.get(f"{BASE}/customer", params={"page_size": 100}).json()
    assert after == before and any("code" in i for i in after["items"])
    assert c.get(f"{BASE}/customer", params={"q": code}).json()["total"] == 1  # code still searchable
    assert c.get(f"{BASE}/customer/{_ids(erp)[code]}").json()["code"] == code


def test_a_granted_write_field_can_be_written_and_no_other(erp, login):
    cmb = _ids(erp)["C0004"]
    task = _task(erp, "warehouse1", cmb)
    c = login("warehouse1")
    version = c.get(f"{BASE}/customer/{cmb}").json()["version"]
    r = c.patch(f"{BASE}/customer/{cmb}", json={"level": "C", "version": version})
    assert r.status_code == 200, r.text
    assert r.json()["level"] == "C"
    version = r.json()["version"]
    for body in ({"name": "改名"}, {"phone": "123"}, {"credit_limit": "1"}):
        r = c.patch(f"{BASE}/customer/{cmb}", json={**body, "version": version})
        assert r.status_code == 403, (body, r.text)
    assert c.delete(f"{BASE}/customer/{cmb}").status_code in (403, 404)
    _close(erp, task)
    r = c.patch(f"{BASE}/customer/{cmb}", json={"level": "A", "version": version})
    assert r.status_code in (403, 404), r.text
    admin = login("erp_admin")
    rec = admin.get(f"{BASE}/customer/{cmb}").json()
    assert rec["name"] == "招商银行" and rec["level"] == "C"


def test_related_titles_and_exports_follow_the_grant(erp, login):
    ids = _ids(erp)
    cmb = ids["C0004"]
    admin = login("erp_admin")
    made = admin.post(f"{BASE}/contact", json={"customer": cmb, "name": "跨区联系人", "owner": _uid(erp, "rep_east1")})
    assert made.status_code == 201, made.text
    c = login("rep_east1")

    def contact():
        items = c.get(f"{BASE}/contact", params={"page_size": 100}).json()["items"]
        return {i["name"]: i for i in items}.get("跨区联系人")

    before = contact()
    if before is not None:  # a contact the rep reads, of a customer they may not: no title yet
        assert before["customer"]["title"] is None
    task = _task(erp, "rep_east1", cmb, fields="level", write="")  # the title field is not named
    assert c.get(f"{BASE}/customer/{cmb}").json()["title"] == f"#{cmb}"
    items = c.get(f"{BASE}/contact", params={"page_size": 100}).json()["items"]
    titles = {i["customer"]["title"] for i in items}  # the rep's own customers keep their titles
    assert {"华为技术有限公司", "永辉超市"} <= titles and "招商银行" not in titles
    _close(erp, task)
    _task(erp, "rep_east1", cmb)
    after = contact()
    if after is not None:
        assert after["customer"] == {"id": cmb, "title": "招商银行"}



def test_an_export_holds_the_granted_record_with_its_named_fields_only(erp, login):
    """Export stays a role's action: manager_east may export the customers of their department tree;
    a grant adds C0004 to the file with its name and level, every other column blank."""
    cmb = _ids(erp)["C0004"]
    _task(erp, "manager_east", cmb)
    r = login("manager_east").get(f"{BASE}/customer/export", params={"format": "csv", "lang": "en"})
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 4
    granted = next(row for row in rows if row.get("Name") == "招商银行")
    assert {k for k, v in granted.items() if v} <= {"Name", "Level", "ID", "Id", "id"}, granted
    assert not granted.get("Code") and not granted.get("Phone")


def _opportunity(erp, login, tmp_path) -> tuple[int, str]:
    """rep_south1's opportunity on 招商银行 with a proposal attached, made by the app's admin."""
    erp.settings["files_dir"] = str(tmp_path / "files")
    admin = login("erp_admin")
    up = admin.post("/api/v1/files", data={"app": "sales_erp", "entity": "opportunity", "field": "proposal_doc"},
                    files={"file": ("方案.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    assert up.status_code == 201, up.text
    r = admin.post(f"{BASE}/opportunity", json={
        "name": "招行 PoC", "customer": _ids(erp)["C0004"], "owner": _uid(erp, "rep_south1"),
        "proposal_doc": [up.json()["id"]]})
    assert r.status_code == 201, r.text
    return r.json()["id"], up.json()["id"]


def _task_on(erp, login: str, entity: str, record_id: int, fields: str) -> int:
    t = erp.db.core["sample_grant_task"]
    with erp.transaction() as c:
        return c.execute(sa.insert(t).values(user_id=_uid(erp, login), app="sales_erp", entity=entity,
                                             record_id=record_id, fields=fields, write_fields="",
                                             open=True)).inserted_primary_key[0]


def test_attachments_follow_the_named_fields(erp, login, tmp_path):
    opp, file_id = _opportunity(erp, login, tmp_path)
    c = login("rep_east1")
    url = f"{BASE}/opportunity/{opp}/files/{file_id}"
    assert c.get(url).status_code == 404
    task = _task_on(erp, "rep_east1", "opportunity", opp, "name")  # the attachment field not named
    assert c.get(f"{BASE}/opportunity/{opp}").status_code == 200
    assert c.get(url).status_code == 404
    _close(erp, task)
    _task_on(erp, "rep_east1", "opportunity", opp, "name,proposal_doc")
    d = c.get(url)
    assert d.status_code == 200 and d.content.startswith(b"%PDF")


def test_computed_fields_show_only_when_every_field_they_read_is_named(erp, login, tmp_path):
    opp, _ = _opportunity(erp, login, tmp_path)
    _task_on(erp, "rep_east1", "opportunity", opp, "name,stage,probability,weighted_amount,customer_level")
    rec = login("rep_east1").get(f"{BASE}/opportunity/{opp}").json()
    assert "probability" in rec and "stage" in rec  # probability reads the stage, named
    assert "weighted_amount" not in rec  # reads amount, not named
    assert "customer_level" not in rec  # reads the customer's level: another entity is never granted
    assert "customer" not in rec and "amount" not in rec and "number" not in rec
    assert rec["title"] == f"#{opp}"  # the title shows the number, not named


def _pdf_text(content: bytes) -> str:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(content))
    return "".join("".join((p.extract_text() or "").replace("\x00", "").split()) for p in reader.pages)


def test_print_shows_the_granted_record_with_its_named_fields_only(erp, login):
    """Print stays a role's action (sales reps print quotes); rep_east2 reads only their own quotes,
    and a grant lets them print rep_east1's quote with its number and terms, the customer left out."""
    t = erp.table("sales_erp", "quote")
    with erp.connect() as c:
        quote, number = c.execute(sa.select(t.c.id, t.c.number)).first()
    c = login("rep_east2")
    url = f"{BASE}/quote/{quote}/print/quotation"
    assert c.get(url).status_code == 404
    task = _task_on(erp, "rep_east2", "quote", quote, "number,terms")
    r = c.get(url, params={"lang": "zh"})
    assert r.status_code == 200, r.text
    text = _pdf_text(r.content)
    assert number in text and "合同签订后30日内交货" in text
    assert "华为" not in text  # the customer is not named
    _close(erp, task)
    assert c.get(url).status_code == 404
