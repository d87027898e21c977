"""Attachment and image fields through the API, on SQLite and PostgreSQL: upload, attach on create,
add and remove on update, download only for those who may read the record and see the field (404
otherwise), limits refused at the field with bilingual messages, files of other users refused, image
bytes sniffed, Chinese names downloaded intact, markup never shown inline, unbound files cleaned up.
Every test keeps its files in its own folder (``settings["files_dir"]``)."""
from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import struct
import zlib
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from engine.bundle.checker import check_bundle
from engine.platform.clock import FixedClock
from forms.attachments.cleanup import UnboundFileCleanup
from forms.attachments.storage import files_dir
from rules.expr import EvalContext, compile_expression

FIELD = "附件"
BUNDLE = Path(__file__).resolve().parent / "bundles" / "files"


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def env(forms_env, tmp_path):
    e = forms_env("files")
    e.store = tmp_path / "store"
    e.rt.settings["files_dir"] = str(e.store)
    e.rep = e.client_for("rep1", roles=(("files", "rep"),))
    e.rep2 = e.client_for("rep2", roles=(("files", "rep"),))
    e.auditor = e.client_for("auditor", roles=(("files", "auditor"),))
    return e


def upload(client, name: str, data: bytes, field: str = FIELD, **target):
    form = {"app": "files", "entity": "visit", "field": field, **target}
    return client.post("/api/v1/files", data=form, files={"file": (name, data, "application/octet-stream")})


def uploaded(client, name: str, data: bytes, field: str = FIELD) -> dict:
    r = upload(client, name, data, field)
    assert r.status_code == 201, r.text
    return r.json()


def create(env, client, **values):
    return client.post(env.url("visit"), json={"subject": "拜访", **values})


def file_url(env, record_id: int, file_id: str) -> str:
    return env.url("visit", f"/{record_id}/files/{file_id}")


def file_rows(env) -> dict[str, dict]:
    t = env.rt.db.core["file"]
    with env.rt.connect() as c:
        return {r["id"]: dict(r) for r in c.execute(sa.select(t)).mappings()}


def the_error(r, path: str) -> dict:
    found = [d for d in r.json()["details"] if d["path"] == path]
    assert found, r.text
    return found[0]


# --- the happy path ----------------------------------------------------------------------------------
def test_upload_attach_on_create_read_and_download_by_the_owner(env):
    f = uploaded(env.rep, "visit-notes.txt", b"met the buyer")
    assert f["name"] == "visit-notes.txt" and f["size"] == 13 and f["content_type"] == "text/plain"
    assert set(f) == {"id", "name", "size", "content_type"}
    r = create(env, env.rep, **{FIELD: [f["id"]]})
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec[FIELD] == [f]  # ids in, full file objects out
    assert env.rep.get(env.url("visit", f"/{rec['id']}")).json()[FIELD] == [f]

    d = env.rep.get(file_url(env, rec["id"], f["id"]))
    assert d.status_code == 200
    assert d.content == b"met the buyer"
    assert d.headers["content-type"].startswith("text/plain")
    assert d.headers["x-content-type-options"] == "nosniff"
    assert d.headers["content-disposition"].startswith("attachment;")  # only images and PDFs inline
    row = file_rows(env)[f["id"]]
    assert row["record_id"] == rec["id"] and row["uploaded_by"] is not None
    assert row["sha256"] == hashlib.sha256(b"met the buyer").hexdigest()


def test_the_stored_list_is_what_conditions_read(env):
    """The expression type is a list of files: COUNTA(附件) > 0 says an attachment is present."""
    f = uploaded(env.rep, "a.txt", b"a")
    with_file = create(env, env.rep, **{FIELD: [f["id"]]}).json()
    without = create(env, env.rep).json()
    app = env.rt.app("files")
    present = compile_expression(f"COUNTA({FIELD}) > 0", app.record_type("visit"), env.rt.functions)
    total = compile_expression(f"SUM({FIELD}.size)", app.record_type("visit"), env.rt.functions)
    t = env.rt.table("files", "visit")
    col = app.entity("visit").field(FIELD).column_name
    ctx = EvalContext(today=dt.date(2026, 1, 1), now=dt.datetime(2026, 1, 1))
    with env.rt.connect() as c:
        stored = {r.id: {FIELD: r[1]} for r in c.execute(sa.select(t.c.id, t.c[col]))}
    assert present.fn(stored[with_file["id"]], ctx) is True
    assert present.fn(stored[without["id"]], ctx) is False
    assert total.fn(stored[with_file["id"]], ctx) == 1
    # exports and prints show the names
    fdef = app.entity("visit").field(FIELD)
    two = stored[with_file["id"]][FIELD] * 2
    assert fdef.ftype.show(fdef.definition, two, "zh") == "a.txt、a.txt"
    assert fdef.ftype.show(fdef.definition, two, "en") == "a.txt, a.txt"


def test_the_bundle_check_holds_file_fields_to_their_rules(tmp_path):
    bundle = tmp_path / "files"
    shutil.copytree(BUNDLE, bundle)
    visit = bundle / "entities" / "visit.yaml"
    visit.write_text(visit.read_text(encoding="utf-8").replace('accept: [".pdf"]', 'accept: ["pdf"]'),
                     encoding="utf-8")
    result = check_bundle(bundle)
    assert [(e.file, e.path) for e in result.errors] == [("entities/visit.yaml", "$.fields[3].accept[0]")]
    shutil.copytree(BUNDLE, bundle, dirs_exist_ok=True)
    roles = bundle / "roles.yaml"
    # a list of files cannot become a database condition: refused when the bundle is checked
    roles.write_text(roles.read_text(encoding="utf-8").replace("read: all", f'read: "COUNTA({FIELD}) > 0"'),
                     encoding="utf-8")
    result = check_bundle(bundle)
    assert [(e.file, e.path) for e in result.errors] == [("roles.yaml", "$.roles.auditor.entities.visit.read")]
    assert "database" in result.errors[0].message["en"]


def test_add_and_remove_on_update(env):
    a = uploaded(env.rep, "a.txt", b"first")
    rec = create(env, env.rep, **{FIELD: [a["id"]]}).json()
    b = uploaded(env.rep, "b.pdf", PDF)
    # what a read returned, plus a new one: objects are taken as ids, what they claim is not believed
    forged = {"id": b["id"], "name": "forged.exe", "size": 1, "content_type": "text/html"}
    r = env.rep.patch(env.url("visit", f"/{rec['id']}"), json={FIELD: [rec[FIELD][0], forged],
                                                               "version": rec["version"]})
    assert r.status_code == 200, r.text
    assert r.json()[FIELD][1] == b
    assert [x["name"] for x in r.json()[FIELD]] == ["a.txt", "b.pdf"]
    version = r.json()["version"]
    # sending back what was read changes nothing
    same = env.rep.patch(env.url("visit", f"/{rec['id']}"), json={FIELD: r.json()[FIELD]})
    assert same.status_code == 200 and same.json()["version"] == version
    # removing a: unbound, no longer downloadable from the record
    r = env.rep.patch(env.url("visit", f"/{rec['id']}"), json={FIELD: [b["id"]]})
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()[FIELD]] == [b["id"]]
    rows = file_rows(env)
    assert rows[a["id"]]["record_id"] is None and rows[b["id"]]["record_id"] == rec["id"]
    assert env.rep.get(file_url(env, rec["id"], a["id"])).status_code == 404
    assert env.rep.get(file_url(env, rec["id"], b["id"])).content == PDF
    # clearing the field: blank, and b unbound too
    r = env.rep.patch(env.url("visit", f"/{rec['id']}"), json={FIELD: []})
    assert r.status_code == 200 and r.json()[FIELD] is None
    assert file_rows(env)[b["id"]]["record_id"] is None
    # the history names the files that came and went
    hist = env.rep.get(env.url("visit", f"/{rec['id']}/history")).json()["items"]
    changes = [h["changes"][FIELD] for h in hist if FIELD in h["changes"]]
    assert [x["name"] for x in changes[1]["new"]] == ["a.txt", "b.pdf"]
    assert changes[-1]["new"] is None


def test_blank_and_notblank_filters(env):
    f = uploaded(env.rep, "a.txt", b"a")
    with_file = create(env, env.rep, **{FIELD: [f["id"]]}).json()
    without = create(env, env.rep).json()
    for op, expected in (("notblank", with_file["id"]), ("blank", without["id"])):
        r = env.rep.get(env.url("visit"), params={"filter": f'{{"{FIELD}": {{"{op}": true}}}}'})
        assert r.status_code == 200, r.text
        assert [i["id"] for i in r.json()["items"]] == [expected]
    r = env.rep.get(env.url("visit"), params={"filter": f'{{"{FIELD}": {{"contains": "a"}}}}'})
    assert r.status_code == 422


# --- who may download --------------------------------------------------------------------------------
def test_a_user_who_may_not_read_the_record_gets_404(env):
    f = uploaded(env.rep, "a.txt", b"secret plans")
    rec = create(env, env.rep, **{FIELD: [f["id"]]}).json()
    r = env.rep2.get(file_url(env, rec["id"], f["id"]))  # reps read only their own visits
    assert r.status_code == 404
    assert b"secret plans" not in r.content
    # the same answer as for a file that does not exist at all
    assert env.rep2.get(file_url(env, rec["id"], "0" * 40)).json()["code"] == r.json()["code"]
    assert env.rep.get(file_url(env, rec["id"], "0" * 40)).status_code == 404
    assert env.rep.get(file_url(env, rec["id"], "..%2F..%2Fjimu.db")).status_code == 404


def test_a_field_hidden_from_the_reader_gives_404(env):
    scan = uploaded(env.rep, "signed.pdf", PDF, field="contract_scan")
    note = uploaded(env.rep, "note.txt", b"note")
    rec = create(env, env.rep, contract_scan=[scan["id"]], **{FIELD: [note["id"]]}).json()
    assert env.rep.get(file_url(env, rec["id"], scan["id"])).content == PDF
    # the auditor reads every visit, but the signed contract is hidden from them
    seen = env.auditor.get(env.url("visit", f"/{rec['id']}")).json()
    assert "contract_scan" not in seen and seen[FIELD][0]["id"] == note["id"]
    assert env.auditor.get(file_url(env, rec["id"], note["id"])).content == b"note"
    r = env.auditor.get(file_url(env, rec["id"], scan["id"]))
    assert r.status_code == 404 and r.json()["code"] == "file.E404"


def test_a_file_is_served_only_from_the_record_and_field_that_hold_it(env):
    f = uploaded(env.rep, "a.txt", b"a")
    holder = create(env, env.rep, **{FIELD: [f["id"]]}).json()
    other = create(env, env.rep).json()
    assert env.rep.get(file_url(env, other["id"], f["id"])).status_code == 404
    env.rep.delete(env.url("visit", f"/{holder['id']}"))
    assert env.rep.get(file_url(env, holder["id"], f["id"])).status_code == 404  # deleted: not readable
    env.rep.post(env.url("visit", f"/{holder['id']}/restore"))
    assert env.rep.get(file_url(env, holder["id"], f["id"])).content == b"a"  # restored with its files


# --- limits ---------------------------------------------------------------------------------------------
def test_size_type_and_count_limits_are_refused_with_messages(env):
    r = upload(env.rep, "big.pdf", b"%PDF-" + b"x" * 20_000)  # 附件 takes 0.01 MB
    assert r.status_code == 422
    e = the_error(r, "file")
    assert e["code"] == "file.E002" and r.json()["code"] == "file.E002"
    assert "big.pdf" in e["message"]["zh"] and "0.01 MB" in e["message"]["en"]
    assert not list((env.store / ".incoming").glob("*"))  # the partial bytes are gone

    r = upload(env.rep, "tool.exe", b"MZ\x90\x00")
    assert r.status_code == 422
    e = the_error(r, "file")
    assert e["code"] == "file.E003" and ".pdf" in e["message"]["en"] and "不能上传" in e["message"]["zh"]

    r = upload(env.rep, "empty.txt", b"")
    assert r.status_code == 422 and the_error(r, "file")["code"] == "file.E001"
    r = upload(env.rep, "", b"")  # a form sent with no file chosen
    assert r.status_code == 422 and the_error(r, "file")["message"]["en"] == "choose a file to upload (the part file)"

    ids = [uploaded(env.rep, f"{n}.txt", b"x")["id"] for n in range(4)]
    r = create(env, env.rep, **{FIELD: ids})
    assert r.status_code == 422
    e = the_error(r, FIELD)
    assert e["code"] == "file.E005"
    assert e["message"] == {"zh": "最多 3 个文件，现有 4 个", "en": "at most 3 files; there are 4"}
    assert create(env, env.rep, **{FIELD: ids[:3]}).status_code == 201
    assert file_rows(env)[ids[3]]["record_id"] is None


def test_limits_are_checked_again_when_a_record_takes_the_file(env):
    """A file uploaded for one field cannot be slipped into another with tighter limits."""
    f = uploaded(env.rep, "notes.txt", b"x")
    r = create(env, env.rep, contract_scan=[f["id"]])
    assert r.status_code == 422 and the_error(r, "contract_scan")["code"] == "file.E006"
    assert file_rows(env)[f["id"]]["record_id"] is None


def test_input_that_is_not_a_list_of_file_ids_is_refused_at_the_field(env):
    for bad in ("abc", [123], ["../../etc/passwd"], [{"name": "x.pdf"}]):
        r = create(env, env.rep, **{FIELD: bad})
        assert r.status_code == 422, bad
        assert the_error(r, FIELD)["message"]["en"]


def test_a_file_uploaded_by_another_user_cannot_be_attached(env):
    theirs = uploaded(env.rep2, "theirs.txt", b"theirs")
    r = create(env, env.rep, **{FIELD: [theirs["id"]]})
    assert r.status_code == 422
    e = the_error(r, FIELD)
    assert e["code"] == "file.E006"
    assert e["message"] == {"zh": "第 1 个文件不存在，或不是你为这个字段上传的",
                            "en": "file 1 does not exist or was not uploaded by you for this field"}
    # nor can a file already on one record be attached to a second one
    mine = uploaded(env.rep, "mine.txt", b"mine")
    first = create(env, env.rep, **{FIELD: [mine["id"]]}).json()
    r = create(env, env.rep, **{FIELD: [mine["id"]]})
    assert r.status_code == 422 and the_error(r, FIELD)["code"] == "file.E006"
    assert file_rows(env)[mine["id"]]["record_id"] == first["id"]
    # and one upload cannot go into two records of one bulk create
    again = uploaded(env.rep, "again.txt", b"again")
    r = env.rep.post(env.url("visit", "/bulk"), json=[{"subject": "a", FIELD: [again["id"]]},
                                                       {"subject": "b", FIELD: [again["id"]]}])
    assert r.status_code == 422 and the_error(r, f"[1].{FIELD}")["code"] == "file.E006"


def test_uploading_needs_a_field_the_user_may_write(env):
    r = upload(env.auditor, "a.txt", b"a")  # the auditor only reads
    assert r.status_code == 403 and r.json()["code"] == "file.E403"
    r = upload(env.rep, "a.txt", b"a", field="subject")
    assert r.status_code == 422 and the_error(r, "field")["code"] == "file.E007"
    assert upload(env.rep, "a.txt", b"a", app="nope").status_code == 404
    r = env.rep.post("/api/v1/files", data={"app": "files"}, files={"file": ("a.txt", b"a", "text/plain")})
    assert r.status_code == 422
    assert {d["path"] for d in r.json()["details"]} == {"entity", "field"}
    r = env.rep.post("/api/v1/files", json={"app": "files"})
    assert r.status_code == 422 and r.json()["code"] == "file.E008"
    assert not file_rows(env)


# --- what the bytes are ---------------------------------------------------------------------------------
def test_image_fields_sniff_the_bytes(env):
    r = upload(env.rep, "photo.png", HTML, field="photos")  # a .png that is really a web page
    assert r.status_code == 422
    e = the_error(r, "file")
    assert e["code"] == "file.E004" and "photo.png" in e["message"]["en"]
    r = upload(env.rep, "drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
               field="photos")
    assert r.status_code == 422 and the_error(r, "file")["code"] == "file.E004"
    r = upload(env.rep, "notes.txt", b"just text", field="photos")
    assert r.status_code == 422 and the_error(r, "file")["code"] == "file.E004"

    real = uploaded(env.rep, "photo.png", png_bytes(), field="photos")
    renamed = uploaded(env.rep, "screenshot.jpg", png_bytes(), field="photos")  # a PNG named .jpg
    assert real["content_type"] == "image/png" and renamed["content_type"] == "image/png"
    rec = create(env, env.rep, photos=[real["id"], renamed["id"]]).json()
    d = env.rep.get(file_url(env, rec["id"], real["id"]))
    assert d.status_code == 200 and d.content == png_bytes()
    assert d.headers["content-type"] == "image/png"
    assert d.headers["content-disposition"].startswith("inline;")
    assert env.rep.get(file_url(env, rec["id"], real["id"]), params={"download": "true"}
                       ).headers["content-disposition"].startswith("attachment;")
    # an attachment field checks a claimed PDF as well
    r = upload(env.rep, "invoice.pdf", HTML)
    assert r.status_code == 422 and the_error(r, "file")["code"] == "file.E004"


def test_markup_is_never_served_inline(env):
    page = uploaded(env.rep, "page.html", HTML)
    svg = uploaded(env.rep, "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>')  # image/* accepts it
    assert svg["content_type"] == "image/svg+xml"
    rec = create(env, env.rep, **{FIELD: [page["id"], svg["id"]]}).json()
    for f in (page, svg):
        d = env.rep.get(file_url(env, rec["id"], f["id"]))
        assert d.status_code == 200
        assert d.headers["content-disposition"].startswith("attachment;")
        assert d.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in d.headers["content-security-policy"]


def test_chinese_file_names(env):
    name = "合同 扫描件(终版).pdf"
    f = uploaded(env.rep, name, PDF)
    assert f["name"] == name and f["content_type"] == "application/pdf"
    rec = create(env, env.rep, **{FIELD: [f["id"]]}).json()
    assert rec[FIELD][0]["name"] == name
    d = env.rep.get(file_url(env, rec["id"], f["id"]))
    cd = d.headers["content-disposition"]
    assert cd.startswith("inline;")
    assert f"filename*=UTF-8''{quote(name, safe='')}" in cd
    assert 'filename="' in cd and cd.split('filename="')[1].split('"')[0].isascii()
    # on disk the file has the server's name, never the user's
    stored = [p for p in env.store.rglob("*") if p.is_file()]
    assert [p.name for p in stored] == [f["id"]]


def test_a_name_with_folders_is_only_a_name(env):
    f = uploaded(env.rep, "../../../etc/passwd.txt", b"root")
    assert f["name"] == "passwd.txt"
    f = uploaded(env.rep, "C:\\Users\\me\\报告.txt", b"r")
    assert f["name"] == "报告.txt"
    assert all(p.resolve().is_relative_to(env.store.resolve()) for p in env.store.rglob("*"))


def test_the_file_part_may_come_before_the_field(env):
    """Streaming reads the parts in order; a file sent first is checked once the field is known."""
    boundary = "jimuboundary"

    def body(content: bytes) -> bytes:
        parts = [(b'Content-Disposition: form-data; name="file"; filename="late.txt"\r\n'
                  b"Content-Type: text/plain\r\n\r\n" + content)]
        for k, v in (("app", "files"), ("entity", "visit"), ("field", FIELD)):
            parts.append(f'Content-Disposition: form-data; name="{k}"\r\n\r\n{v}'.encode())
        return b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts) + \
            b"--" + boundary.encode() + b"--\r\n"

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    r = env.rep.post("/api/v1/files", content=body(b"late but fine"), headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "late.txt" and r.json()["size"] == 13
    r = env.rep.post("/api/v1/files", content=body(b"x" * 20_000), headers=headers)
    assert r.status_code == 422 and the_error(r, "file")["code"] == "file.E002"


# --- cleanup and where files live ------------------------------------------------------------------------
def test_unbound_files_are_deleted_a_day_after_upload(env):
    clock = FixedClock(dt.datetime(2026, 3, 2, 8, 0))
    env.rt.clock = clock
    kept = uploaded(env.rep, "kept.txt", b"kept")
    removed = uploaded(env.rep, "removed.txt", b"removed")
    abandoned = uploaded(env.rep, "abandoned.txt", b"abandoned")
    rec = create(env, env.rep, **{FIELD: [kept["id"], removed["id"]]}).json()
    env.rep.patch(env.url("visit", f"/{rec['id']}"), json={FIELD: [kept["id"]]})
    step = next(s for s in env.rt.background_steps if isinstance(s, UnboundFileCleanup))

    clock.set(dt.datetime(2026, 3, 3, 7, 0))  # 23 hours on: a form may still be filled in
    fresh = uploaded(env.rep, "fresh.txt", b"fresh")
    assert step(env.rt) == 0
    assert set(file_rows(env)) == {kept["id"], removed["id"], abandoned["id"], fresh["id"]}

    clock.set(dt.datetime(2026, 3, 3, 8, 30))
    assert step(env.rt) == 2
    assert set(file_rows(env)) == {kept["id"], fresh["id"]}
    on_disk = {p.name for p in env.store.rglob("*") if p.is_file()}
    assert on_disk == {kept["id"], fresh["id"]}
    assert env.rep.get(file_url(env, rec["id"], kept["id"])).content == b"kept"
    # a cleaned-up upload can no longer be attached
    r = create(env, env.rep, **{FIELD: [abandoned["id"]]})
    assert r.status_code == 422 and the_error(r, FIELD)["code"] == "file.E006"


def test_the_files_folder_comes_from_settings_then_environment_then_beside_the_database(tmp_path, monkeypatch):
    def runtime(url: str, settings: dict | None = None):
        return SimpleNamespace(settings=settings or {}, db=SimpleNamespace(engine=sa.create_engine(url)))

    monkeypatch.delenv("JIMU_FILES_DIR", raising=False)
    db = tmp_path / "db" / "jimu.db"
    assert files_dir(runtime(f"sqlite:///{db}")) == db.parent.resolve() / "files"
    assert files_dir(runtime("postgresql+psycopg://u@h/d")) == Path("data/files")
    monkeypatch.setenv("JIMU_FILES_DIR", str(tmp_path / "env"))
    assert files_dir(runtime(f"sqlite:///{db}")) == tmp_path / "env"
    assert files_dir(runtime(f"sqlite:///{db}", {"files_dir": str(tmp_path / "set")})) == tmp_path / "set"
