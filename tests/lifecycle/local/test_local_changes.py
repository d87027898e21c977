"""Issue 13, vendor base and local edits: every definition version says where it came from, the current
row keeps the last version a vendor bundle installed (its base), and an install of a bundle never
overwrites a definition changed locally without being told to (--overwrite-local): it applies the
bundle everywhere else, keeps the local one, reports it, and `jimu plan` says so."""
from __future__ import annotations

import copy
import io
import json
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from engine.bundle.errors import BundleInvalid
from engine.cli import main as jimu
from engine.definition_store import list_versions
from engine.errors import JimuError
from engine.install import install_bundle
from engine.lifecycle import plan_bundle
from engine.lifecycle.local_changes import edit_definition
from engine.runtime import open_runtime

BUNDLE = Path(__file__).resolve().parents[1] / "bundles" / "helpdesk"
FILES = Path(__file__).resolve().parents[2] / "forms" / "bundles" / "files"  # max_size_mb: 0.01


@pytest.fixture(autouse=True)
def sample_engine(monkeypatch):
    monkeypatch.setenv("JIMU_EXTRA_ENGINES", "tests.hooks.sample_engine")  # the checklist kind


@pytest.fixture
def rt(db_url):
    rt = open_runtime(db_url)
    install_bundle(rt, BUNDLE)
    rt.records("helpdesk", "client").create({"name": "Acme", "fax": "010-1"})
    yield rt
    rt.db.dispose()


def bundle_copy(tmp_path: Path, edit=None, name="helpdesk") -> Path:
    root = tmp_path / name
    shutil.copytree(BUNDLE, root)
    if edit is not None:
        docs = {str(p.relative_to(root)): yaml.safe_load(p.read_text(encoding="utf-8")) for p in root.rglob("*.yaml")}
        edit(docs)
        for p in root.rglob("*.yaml"):
            p.unlink()
        for n, doc in docs.items():
            (root / n).parent.mkdir(parents=True, exist_ok=True)
            (root / n).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def local_roles(rt, label_en="Agent (ours)"):
    roles = copy.deepcopy(rt.app("helpdesk").documents["roles"])
    roles["roles"]["agent"]["label"] = {"zh": "本地客服", "en": label_en}
    return roles


def versions(rt, kind, name):
    return {v["version"]: v for v in list_versions(rt, "helpdesk") if (v["kind"], v["name"]) == (kind, name)}


def cli(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = jimu(list(args))
    return code, out.getvalue(), err.getvalue()


def test_an_install_records_bundle_origin_and_base(rt):
    v = versions(rt, "roles", "roles")
    assert v[1]["origin"] == "bundle" and v[1]["current"] and v[1]["base"]
    assert all(x["origin"] == "bundle" and x["base"] for x in list_versions(rt, "helpdesk"))


def test_a_local_edit_is_a_new_local_version_over_the_same_base(rt):
    res = edit_definition(rt, "helpdesk", "roles", "roles", local_roles(rt))
    assert res.versions == [("roles", "roles", 2)]
    v = versions(rt, "roles", "roles")
    assert (v[2]["origin"], v[2]["current"], v[2]["base"]) == ("local", True, False)
    assert (v[1]["origin"], v[1]["current"], v[1]["base"]) == ("bundle", False, True)
    assert rt.app("helpdesk").documents["roles"]["roles"]["agent"]["label"]["en"] == "Agent (ours)"
    # nothing else got a version: the rest of the app was written back as it was
    assert {(x["kind"], x["name"]) for x in list_versions(rt, "helpdesk") if x["version"] > 1} == {("roles", "roles")}


def test_a_local_edit_undone_is_the_vendors_again(rt, tmp_path):
    vendor_roles = copy.deepcopy(rt.app("helpdesk").documents["roles"])
    edit_definition(rt, "helpdesk", "roles", "roles", local_roles(rt))
    edit_definition(rt, "helpdesk", "roles", "roles", vendor_roles)  # version 3, the base's content
    assert list(versions(rt, "roles", "roles")) == [3, 2, 1]
    v2 = bundle_copy(tmp_path, lambda d: d["roles.yaml"]["roles"]["agent"]["label"].update(en="Agent v2"))
    res = install_bundle(rt, v2, upgrade=True)
    assert res.kept_local == [] and res.versions == [("roles", "roles", 4)]
    assert rt.app("helpdesk").documents["roles"]["roles"]["agent"]["label"]["en"] == "Agent v2"


def test_a_manifest_edit_is_local_too(rt):
    app = dict(rt.app("helpdesk").documents["app"], label={"zh": "我们的服务台", "en": "Our help desk"})
    edit_definition(rt, "helpdesk", "app", "helpdesk", app)
    assert rt.app("helpdesk").label["en"] == "Our help desk"
    assert versions(rt, "app", "helpdesk")[2]["origin"] == "local"


def test_a_bad_local_edit_is_refused_with_its_path_and_changes_nothing(rt):
    roles = local_roles(rt)
    roles["roles"]["agent"]["entities"]["nowhere"] = {"read": "all"}
    with pytest.raises(BundleInvalid) as e:
        edit_definition(rt, "helpdesk", "roles", "roles", roles)
    assert e.value.status == 422
    assert any(d.get("file") == "roles.yaml" and "nowhere" in d.get("path", "") for d in e.value.details)
    with pytest.raises(JimuError) as named:  # the body must name what the URL names
        edit_definition(rt, "helpdesk", "entity", "client", {**rt.app("helpdesk").documents["entities"]["memo"]})
    assert named.value.status == 422
    assert list(versions(rt, "roles", "roles")) == [1]


def test_an_entity_label_edited_locally_applies_in_place(rt):
    client = copy.deepcopy(rt.app("helpdesk").documents["entities"]["client"])
    client["fields"][1]["label"] = {"zh": "传真号", "en": "Fax number"}
    edit_definition(rt, "helpdesk", "entity", "client", client)
    assert rt.app("helpdesk").entity("client").field("fax").label["en"] == "Fax number"
    with rt.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(rt.table("helpdesk", "client"))).scalar_one() == 1


def test_a_bundle_install_keeps_a_local_change_and_applies_the_rest(rt, tmp_path):
    edit_definition(rt, "helpdesk", "roles", "roles", local_roles(rt))

    def vendor(docs):
        docs["roles.yaml"]["roles"]["agent"]["label"]["en"] = "Agent v2"  # the vendor changed it too
        docs["checklists/closing.yaml"]["title"]["en"] = "Closing v2"
        docs["app.yaml"]["version"] = "1.1.0"

    v2 = bundle_copy(tmp_path, vendor)
    plan = plan_bundle(rt, v2)
    kept = {(i.kind, i.name) for i in plan.items if i.details.get("local_change_kept")}
    assert kept == {("role", "agent")} and plan.kept_local == [{"kind": "roles", "name": "roles"}]
    code, text, _ = cli("plan", str(v2), "--db", rt.db.engine.url.render_as_string(hide_password=False))
    assert code == 0
    agent = [line for line in text.splitlines() if "role agent" in line]
    assert len(agent) == 1 and agent[0].strip().startswith("~ role agent: label")
    assert agent[0].endswith("[保留本地修改 / local change kept]")
    closing = [line for line in text.splitlines() if "closing" in line]
    assert len(closing) == 1 and "local change kept" not in closing[0]  # the vendor's change applies
    code, js, _ = cli("plan", str(v2), "--json", "--db", rt.db.engine.url.render_as_string(hide_password=False))
    data = json.loads(js)
    assert data["kept_local"] == [{"kind": "roles", "name": "roles"}]
    assert [i["details"].get("local_change_kept") for i in data["items"] if i["kind"] == "role"] == [True]

    res = install_bundle(rt, v2, upgrade=True)
    assert res.kept_local == [("roles", "roles")]
    assert "保留本地修改 / local changes kept: roles roles" in res.summary()
    assert rt.app("helpdesk").documents["roles"]["roles"]["agent"]["label"]["en"] == "Agent (ours)"
    assert rt.app("helpdesk").version == "1.1.0"
    assert rt.app("helpdesk").documents["definitions"]["checklist"]["closing"]["title"]["en"] == "Closing v2"
    v = versions(rt, "roles", "roles")
    assert list(v) == [2, 1] and v[1]["base"] and v[2]["current"]  # the vendor base stays for a merge later
    # installing the same bundle again: still kept, nothing new stored
    again = install_bundle(rt, v2, upgrade=True)
    assert again.kept_local == [("roles", "roles")] and again.versions == []


def test_overwrite_local_applies_the_bundles_version(rt, tmp_path):
    edit_definition(rt, "helpdesk", "roles", "roles", local_roles(rt))
    v2 = bundle_copy(tmp_path, lambda d: d["roles.yaml"]["roles"]["agent"]["label"].update(en="Agent v2"))
    url = rt.db.engine.url.render_as_string(hide_password=False)
    code, text, err = cli("install", str(v2), "--db", url, "--upgrade", "--overwrite-local")
    assert code == 0, err
    assert "local changes kept" not in text
    rt.db.dispose()
    fresh = open_runtime(url)
    try:
        assert fresh.app("helpdesk").documents["roles"]["roles"]["agent"]["label"]["en"] == "Agent v2"
        v = versions(fresh, "roles", "roles")
        assert (v[3]["origin"], v[3]["current"], v[3]["base"]) == ("bundle", True, True)
    finally:
        fresh.db.dispose()


def test_a_bundle_that_ships_the_local_change_makes_it_the_vendors_again(rt, tmp_path):
    edit_definition(rt, "helpdesk", "roles", "roles", local_roles(rt))
    local = rt.app("helpdesk").documents["roles"]

    def vendor(docs):  # a release that takes the local change in
        docs["roles.yaml"] = local
        docs["app.yaml"]["version"] = "1.1.0"

    same = bundle_copy(tmp_path, vendor)
    res = install_bundle(rt, same, upgrade=True)
    assert res.kept_local == []
    v = versions(rt, "roles", "roles")
    assert v[2]["current"] and v[2]["base"]


def test_a_kept_local_change_that_no_longer_checks_stops_the_install(rt, tmp_path):
    edit_definition(rt, "helpdesk", "roles", "roles", local_roles(rt))  # its grants name memo

    def vendor(docs):
        del docs["entities/memo.yaml"]
        docs["roles.yaml"]["roles"]["supervisor"]["entities"].pop("memo")
        docs["checklists/closing.yaml"]["title"]["en"] = "Closing v2"

    v2 = bundle_copy(tmp_path, vendor)
    with pytest.raises(JimuError) as e:
        install_bundle(rt, v2, upgrade=True)
    assert e.value.code == "install.E010" and e.value.status == 409
    assert e.value.details[0] == {"kept": [{"kind": "roles", "name": "roles"}]}
    assert any("memo" in json.dumps(d, ensure_ascii=False) for d in e.value.details[1:])
    assert rt.app("helpdesk").documents["definitions"]["checklist"]["closing"]["title"]["en"] == "Closing"
    assert "memo" in rt.app("helpdesk").entities
    with rt.connect() as c:
        d = rt.db.core["definition"]
        title = c.execute(sa.select(d.c.body).where(d.c.kind == "checklist")).scalar_one()["title"]["en"]
    assert title == "Closing"


def test_a_database_made_before_origins_takes_its_definitions_as_the_vendors(db_url):
    rt = open_runtime(db_url)
    install_bundle(rt, BUNDLE)
    with rt.transaction() as c:
        c.exec_driver_sql("ALTER TABLE jimu_definition DROP COLUMN base_version")
        c.exec_driver_sql("ALTER TABLE jimu_definition_version DROP COLUMN origin")
    rt.db.dispose()
    rt = open_runtime(db_url)
    try:
        assert all(v["base"] and v["origin"] == "bundle" for v in list_versions(rt, "helpdesk"))
        edit_definition(rt, "helpdesk", "roles", "roles", local_roles(rt))
        assert versions(rt, "roles", "roles")[2]["origin"] == "local"
    finally:
        rt.db.dispose()


def test_a_decimal_stored_as_text_does_not_fail_a_later_local_edit(db_url):
    """The database keeps 0.01 as "0.01"; the documents written back for the check are numbers again."""
    rt = open_runtime(db_url)
    name = install_bundle(rt, FILES).app.name
    rt.db.dispose()
    rt = open_runtime(db_url)  # the app as the database gives it back
    try:
        app = dict(rt.app(name).documents["app"], label={"zh": "附件", "en": "Files (ours)"})
        res = edit_definition(rt, name, "app", name, app)
        assert res.versions == [("app", name, 2)]  # the entity holding 0.01 was not taken as changed
        assert rt.app(name).label["en"] == "Files (ours)"
    finally:
        rt.db.dispose()
