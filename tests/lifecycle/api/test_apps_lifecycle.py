"""Issue 13, the app lifecycle API (platform admins): upload a bundle .zip, read its plan (the JSON of
`jimu plan --json`), apply it with the CLI's refusals, list installed apps, edit a definition in place.
Malicious archives are refused with a clear 4xx and nothing is written outside the upload folder;
every step is in the event log."""
from __future__ import annotations

import io
import json
import shutil
import stat
import zipfile
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from engine.api.app import create_app
from engine.cli import main as jimu
from engine.identity.org import Org
from engine.identity.passwords import hash_password
from engine.install import install_bundle
from engine.lifecycle import uploads
from engine.runtime import open_runtime

BUNDLE = Path(__file__).resolve().parents[1] / "bundles" / "helpdesk"
PASSWORD = "lifecycle-api-2026"
ZIP = {"content-type": "application/zip"}


@pytest.fixture(autouse=True)
def sample_engine(monkeypatch):
    monkeypatch.setenv("JIMU_EXTRA_ENGINES", "tests.hooks.sample_engine")  # the checklist kind


@pytest.fixture
def upload_dir(tmp_path, monkeypatch):
    root = tmp_path / "spool" / "uploads"
    monkeypatch.setenv("JIMU_UPLOAD_DIR", str(root))
    return root


@pytest.fixture
def rt(db_url, upload_dir):
    rt = open_runtime(db_url)
    install_bundle(rt, BUNDLE)
    rt.records("helpdesk", "client").create({"name": "Acme", "fax": "010-1"})
    with rt.transaction() as c:
        org = Org(rt, rt.db.system_user_id)
        org.create_user(c, "boss", "Boss", is_admin=True, password_hash=hash_password(PASSWORD))
        org.create_user(c, "clerk", "Clerk", password_hash=hash_password(PASSWORD))
    yield rt
    rt.db.dispose()


@pytest.fixture
def client(rt):
    clients = []

    def make(login: str) -> TestClient:
        c = TestClient(create_app(rt))
        c.__enter__()
        clients.append(c)
        r = c.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def variant(tmp_path: Path, edit) -> Path:
    root = tmp_path / "helpdesk"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(BUNDLE, root)
    docs = {str(p.relative_to(root)): yaml.safe_load(p.read_text(encoding="utf-8")) for p in root.rglob("*.yaml")}
    edit(docs)
    for p in root.rglob("*.yaml"):
        p.unlink()
    for name, doc in docs.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def zipped(folder: Path, extra: dict[str, bytes] | None = None, infos: list | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                z.write(p, p.relative_to(folder).as_posix())
        for name, data in (extra or {}).items():
            z.writestr(name, data)
        for info, data in infos or ():
            z.writestr(info, data)
    return out.getvalue()


def events(boss, kind):
    return boss.get("/api/v1/admin/events", params={"kind": kind}).json()["items"]


def test_upload_plan_apply_and_the_event_log(rt, client, tmp_path, upload_dir, db_url):
    boss = client("boss")
    v2 = variant(tmp_path, lambda d: (d["roles.yaml"]["roles"]["agent"]["label"].update(en="Agent v2"),
                                      d["app.yaml"].update(version="1.1.0")))
    r = boss.post("/api/v1/admin/bundles", content=zipped(v2), headers=ZIP)
    assert r.status_code == 201, r.text
    up = r.json()
    assert (up["app"], up["version"], up["plan"]["action"]) == ("helpdesk", "1.1.0", "upgrade")
    assert [p.name for p in upload_dir.iterdir()] == [up["id"]]

    plan = boss.get(f"/api/v1/admin/bundles/{up['id']}/plan")
    assert plan.status_code == 200
    kept_zip = upload_dir / up["id"] / "bundle.zip"
    out = io.StringIO()
    with redirect_stdout(out):
        assert jimu(["plan", str(kept_zip), "--json", "--db", db_url]) == 0
    assert plan.json() == json.loads(out.getvalue())  # the same JSON as `jimu plan --json`
    assert [(i["kind"], i["name"], i["change"]) for i in plan.json()["items"]] == [
        ("app", "helpdesk", "changed"), ("role", "agent", "changed")]

    assert boss.post(f"/api/v1/admin/bundles/{up['id']}/apply", json={"demo": "yes"}).status_code == 422
    done = boss.post(f"/api/v1/admin/bundles/{up['id']}/apply", json={"demo": False})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "upgraded" and done.json()["version"] == "1.1.0"
    assert {"kind": "roles", "name": "roles", "version": 2} in done.json()["versions"]
    assert rt.app("helpdesk").documents["roles"]["roles"]["agent"]["label"]["en"] == "Agent v2"
    versions = boss.get("/api/v1/apps/helpdesk/versions").json()["items"]
    assert {(v["kind"], v["version"], v["origin"]) for v in versions if v["kind"] == "roles"} == {
        ("roles", 1, "bundle"), ("roles", 2, "upload")}
    apps = boss.get("/api/v1/admin/apps").json()["items"]
    assert [(a["name"], a["version"], a["local_changes"]) for a in apps] == [("helpdesk", "1.1.0", [])]

    assert events(boss, "bundle_uploaded")[0]["detail"]["upload"] == up["id"]
    assert events(boss, "bundle_planned")[0]["target"] == "helpdesk"
    applied = events(boss, "bundle_applied")[0]
    assert applied["detail"]["status"] == "upgraded" and applied["actor"] is not None


def test_an_upgrade_that_loses_data_is_refused_logged_and_changes_nothing(rt, client, tmp_path):
    boss = client("boss")

    def drop_fax(docs):
        fields = docs["entities/client.yaml"]["fields"]
        docs["entities/client.yaml"]["fields"] = [f for f in fields if f["name"] != "fax"]

    up = boss.post("/api/v1/admin/bundles", content=zipped(variant(tmp_path, drop_fax)), headers=ZIP).json()
    assert up["plan"]["loses_data"] is True
    r = boss.post(f"/api/v1/admin/bundles/{up['id']}/apply")
    assert r.status_code == 409 and r.json()["code"] == "install.E007"
    assert "fax" in {f.name for f in rt.app("helpdesk").entity("client").fields}
    assert [c["fax"] for c in boss.get("/api/v1/records/helpdesk/client").json()["items"]] == ["010-1"]
    refused = events(boss, "bundle_refused")[0]
    assert refused["detail"]["stage"] == "apply" and refused["detail"]["code"] == "install.E007"


def test_a_local_edit_through_the_api(rt, client):
    boss = client("boss")
    roles = json.loads(json.dumps(rt.app("helpdesk").documents["roles"]))
    roles["roles"]["agent"]["label"] = {"zh": "本地客服", "en": "Our agent"}
    r = boss.put("/api/v1/apps/helpdesk/definitions/roles/roles", json=roles)
    assert r.status_code == 200, r.text
    assert r.json() == {"app": "helpdesk", "kind": "roles", "name": "roles", "version": 2, "origin": "local",
                        "status": "upgraded"}
    assert rt.app("helpdesk").documents["roles"]["roles"]["agent"]["label"]["en"] == "Our agent"
    apps = boss.get("/api/v1/admin/apps").json()["items"]
    assert apps[0]["local_changes"] == [{"kind": "roles", "name": "roles", "version": 2, "base_version": 1}]
    assert events(boss, "definition_edited")[0]["target"] == "helpdesk:roles/roles"

    roles["roles"]["agent"]["entities"]["ticket"]["read"] = 42  # not a scope
    bad = boss.put("/api/v1/apps/helpdesk/definitions/roles/roles", json=roles)
    assert bad.status_code == 422
    assert any("agent" in d.get("path", "") for d in bad.json()["details"]), bad.json()
    assert boss.put("/api/v1/apps/helpdesk/definitions/roles/roles", json=[1]).status_code == 422
    assert boss.put("/api/v1/apps/helpdesk/definitions/roles/roles", content=b"{").status_code == 422
    assert boss.put("/api/v1/apps/helpdesk/definitions/nokind/x", json={"a": 1}).status_code == 404
    assert boss.put("/api/v1/apps/nope/definitions/roles/roles", json=roles).status_code == 404
    assert rt.app("helpdesk").documents["roles"]["roles"]["agent"]["label"]["en"] == "Our agent"
    assert [e["detail"]["stage"] for e in events(boss, "bundle_refused")][:1] == ["edit"]


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize("case", ["traversal", "absolute", "symlink", "bomb", "not_a_zip", "empty"])
def test_malicious_or_broken_archives_are_refused_and_nothing_is_written(rt, client, upload_dir, case):
    boss = client("boss")
    body = {
        "traversal": lambda: zipped(BUNDLE, {"../../evil.yaml": b"x: 1"}),
        "absolute": lambda: zipped(BUNDLE, {"/tmp/evil.yaml": b"x: 1"}),
        "symlink": lambda: zipped(BUNDLE, infos=[(_symlink("entities/evil.yaml"), b"/etc/passwd")]),
        "bomb": lambda: zipped(BUNDLE, {"seed/bomb.yaml": b"0" * (4 * 1024 * 1024)}),
        "not_a_zip": lambda: b"PK this is not an archive",
        "empty": lambda: b"",
    }[case]()
    r = boss.post("/api/v1/admin/bundles", content=body, headers=ZIP)
    assert 400 <= r.status_code < 500 and r.status_code == 422, r.text
    code = {"traversal": "bundle.E021", "absolute": "bundle.E021", "symlink": "bundle.E022", "bomb": "bundle.E025",
            "not_a_zip": "bundle.E020", "empty": "bundle.E029"}[case]
    assert code in json.dumps(r.json()), r.json()
    assert str(upload_dir) not in r.text  # the upload, not the server's file, is named
    assert case == "empty" or "bundle.zip" in r.text
    assert list(upload_dir.iterdir()) == []  # the refused upload is gone
    assert not any(p.name == "evil.yaml" for p in upload_dir.parent.parent.rglob("*"))
    refused = events(boss, "bundle_refused")[0]["detail"]
    assert refused["stage"] == "upload"


def test_an_upload_over_the_size_cap_is_cut_off_while_streaming(rt, client, upload_dir):
    boss = client("boss")
    chunk = b"\0" * (1024 * 1024)
    sent = []

    def stream():  # more than the cap, in 1 MiB pieces: no request body is ever held whole by the server
        for _ in range(uploads.MAX_UPLOAD // len(chunk) + 2):
            sent.append(1)
            yield chunk

    r = boss.post("/api/v1/admin/bundles", content=stream(), headers=ZIP)
    assert r.status_code == 413 and r.json()["code"] == "bundle.E030"
    assert list(upload_dir.iterdir()) == []
    declared = boss.post("/api/v1/admin/bundles", content=b"x",
                         headers={**ZIP, "content-length": str(500 * 1024 * 1024)})
    assert declared.status_code == 413, declared.text


def test_unknown_or_forged_upload_ids_are_404(rt, client):
    boss = client("boss")
    for uid in ("0" * 32, "..%2F..%2Fetc", "abc"):
        assert boss.get(f"/api/v1/admin/bundles/{uid}/plan").status_code == 404
        assert boss.post(f"/api/v1/admin/bundles/{uid}/apply").status_code == 404


def test_applying_a_bundle_over_a_local_edit_keeps_it_unless_told(rt, client, tmp_path):
    boss = client("boss")
    roles = json.loads(json.dumps(rt.app("helpdesk").documents["roles"]))
    roles["roles"]["agent"]["label"] = {"zh": "本地客服", "en": "Our agent"}
    assert boss.put("/api/v1/apps/helpdesk/definitions/roles/roles", json=roles).status_code == 200
    v2 = variant(tmp_path, lambda d: (d["roles.yaml"]["roles"]["agent"]["label"].update(en="Agent v2"),
                                      d["checklists/closing.yaml"]["title"].update(en="Closing v2")))
    up = boss.post("/api/v1/admin/bundles", content=zipped(v2), headers=ZIP).json()
    assert up["plan"]["kept_local"] == [{"kind": "roles", "name": "roles"}]
    done = boss.post(f"/api/v1/admin/bundles/{up['id']}/apply").json()
    assert done["kept_local"] == [{"kind": "roles", "name": "roles"}]
    assert rt.app("helpdesk").documents["roles"]["roles"]["agent"]["label"]["en"] == "Our agent"
    assert rt.app("helpdesk").documents["definitions"]["checklist"]["closing"]["title"]["en"] == "Closing v2"
    plan = boss.get(f"/api/v1/admin/bundles/{up['id']}/plan", params={"overwrite_local": "true"}).json()
    assert plan["kept_local"] == [] and [i["name"] for i in plan["items"]] == ["agent"]
    over = boss.post(f"/api/v1/admin/bundles/{up['id']}/apply", json={"overwrite_local": True}).json()
    assert over["kept_local"] == [] and over["status"] == "upgraded"
    assert rt.app("helpdesk").documents["roles"]["roles"]["agent"]["label"]["en"] == "Agent v2"
    assert boss.get("/api/v1/admin/apps").json()["items"][0]["local_changes"] == []


def test_an_expired_upload_is_gone(rt, client, tmp_path, monkeypatch):
    boss = client("boss")
    up = boss.post("/api/v1/admin/bundles", content=zipped(BUNDLE), headers=ZIP).json()
    assert up["plan"]["action"] == "unchanged"
    monkeypatch.setattr(uploads, "TTL", -1)
    assert boss.get(f"/api/v1/admin/bundles/{up['id']}/plan").status_code == 404


def test_revert_through_the_api(rt, client, tmp_path):
    boss = client("boss")
    v2 = variant(tmp_path, lambda d: (d["checklists/closing.yaml"]["title"].update(en="Closing v2"),
                                      d["app.yaml"].update(version="1.1.0")))
    up = boss.post("/api/v1/admin/bundles", content=zipped(v2), headers=ZIP).json()
    assert boss.post(f"/api/v1/admin/bundles/{up['id']}/apply").json()["status"] == "upgraded"
    assert boss.post("/api/v1/apps/helpdesk/revert", json={"version": 1}).status_code == 422
    # the upgrade's options, as apply takes them; anything else is said, not ignored
    bad = boss.post("/api/v1/apps/helpdesk/revert", json={"version": "1.0.0", "force": True})
    assert bad.status_code == 422 and [d["path"] for d in bad.json()["details"]] == ["force"]
    bad = boss.post("/api/v1/apps/helpdesk/revert", json={"version": "1.0.0", "fill": ["no-equals-sign"]})
    assert bad.status_code == 422 and bad.json()["code"] == "migrate.E006"
    assert boss.post("/api/v1/apps/helpdesk/revert", json={"version": "1.0.0", "dry_run": "yes"}).status_code == 422
    dry = boss.post("/api/v1/apps/helpdesk/revert", json={"version": "1.0.0", "dry_run": True})
    assert dry.status_code == 200 and dry.json()["status"] == "planned"
    assert {i["kind"] for i in dry.json()["plan"]["items"]} == {"app", "checklist"}
    assert rt.app("helpdesk").version == "1.1.0"
    done = boss.post("/api/v1/apps/helpdesk/revert", json={"version": "1.0.0"})
    assert done.status_code == 200, done.text
    assert rt.app("helpdesk").version == "1.0.0"
    assert rt.app("helpdesk").documents["definitions"]["checklist"]["closing"]["title"]["en"] == "Closing"
    items = boss.get("/api/v1/apps/helpdesk/versions").json()["items"]
    origins = {(v["kind"], v["version"]): v["origin"] for v in items}
    assert origins[("checklist", 3)] == "revert" and origins[("checklist", 2)] == "upload"
    # reverted past the vendor's latest: a later install of that bundle keeps the revert, and says so
    apps = boss.get("/api/v1/admin/apps").json()["items"][0]
    assert {(c["kind"], c["name"]) for c in apps["local_changes"]} >= {("checklist", "closing")}
    assert boss.post("/api/v1/apps/nope/revert", json={"version": "1.0.0"}).status_code == 404


def test_apply_passes_the_upgrade_options_through(rt, client, tmp_path):
    boss = client("boss")

    def city_required(docs):
        next(f for f in docs["entities/client.yaml"]["fields"] if f["name"] == "city")["required"] = True

    up = boss.post("/api/v1/admin/bundles", content=zipped(variant(tmp_path, city_required)), headers=ZIP).json()
    refused = boss.post(f"/api/v1/admin/bundles/{up['id']}/apply")
    assert refused.status_code == 409, refused.text
    assert boss.post(f"/api/v1/admin/bundles/{up['id']}/apply", json={"fill": "client.city=Paris"}).status_code == 422
    done = boss.post(f"/api/v1/admin/bundles/{up['id']}/apply", json={"fill": ["client.city=Paris"]})
    assert done.status_code == 200, done.text
    assert [c["city"] for c in boss.get("/api/v1/records/helpdesk/client").json()["items"]] == ["Paris"]
