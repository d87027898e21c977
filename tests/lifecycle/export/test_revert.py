"""Issue 13, `jimu revert APP VERSION`: the help desk installed at 1.0.0, upgraded to 1.1.0 (an agent
reads every ticket, a second checklist, a new description), then put back. The plan is printed
first; the roles, manifest and checklists are as they were at 1.0.0; the history only grows; a
revert of a revert is stable; --dry-run and a refusal write nothing."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.cli import main as jimu
from engine.definition_store import list_versions
from engine.errors import JimuError
from engine.install import install_bundle
from engine.lifecycle.export import stored_bodies
from engine.lifecycle.revert import revert_app
from engine.runtime import open_runtime

HELPDESK = Path(__file__).resolve().parents[2] / "lifecycle" / "bundles" / "helpdesk"


@pytest.fixture(autouse=True)
def sample_engine(monkeypatch):
    monkeypatch.setenv("JIMU_EXTRA_ENGINES", "tests.hooks.sample_engine")  # the checklist kind


def v2(tmp_path: Path) -> Path:
    root = tmp_path / "v2"
    shutil.copytree(HELPDESK, root)
    app = (root / "app.yaml").read_text(encoding="utf-8").replace("version: 1.0.0", "version: 1.1.0")
    (root / "app.yaml").write_text(app + "description: {zh: 第二版, en: Second}\n", encoding="utf-8")
    roles = (root / "roles.yaml").read_text(encoding="utf-8")
    (root / "roles.yaml").write_text(roles.replace("ticket: {create: true, read: own, update: own}",
                                                   "ticket: {create: true, read: all, update: own}"), encoding="utf-8")
    shutil.copy(root / "checklists" / "closing.yaml", root / "checklists" / "opening.yaml")
    return root


@pytest.fixture
def rt(db_url, tmp_path):
    rt = open_runtime(db_url)
    install_bundle(rt, HELPDESK)
    rt.records("helpdesk", "client").create({"name": "Acme"})
    rt.bodies_v1 = stored_bodies(rt, "helpdesk")
    assert install_bundle(rt, v2(tmp_path), upgrade=True).status == "upgraded"
    yield rt
    rt.db.dispose()


def agent_reads(rt) -> str:
    return stored_bodies(rt, "helpdesk")[("roles", "roles")]["roles"]["agent"]["entities"]["ticket"]["read"]


def test_revert_restores_roles_manifest_and_kinds_as_new_versions(rt):
    before = len(list_versions(rt, "helpdesk"))
    assert agent_reads(rt) == "all" and ("checklist", "opening") in stored_bodies(rt, "helpdesk")
    seen = []
    result = revert_app(rt, "helpdesk", "1.0.0", on_plan=seen.append)
    assert seen and seen[0].action == "upgrade" and seen[0].to_version == "1.0.0"
    assert result.install.status == "upgraded"
    now = stored_bodies(rt, "helpdesk")
    assert now == rt.bodies_v1  # every definition as at 1.0.0, the second checklist gone
    assert agent_reads(rt) == "own" and rt.app("helpdesk").version == "1.0.0"
    assert rt.definitions("helpdesk", "checklist").keys() == {"closing"}  # the running app follows
    versions = list_versions(rt, "helpdesk")
    assert len(versions) == before + 2  # new versions of the manifest and the roles: history only grows
    current = {(v["kind"], v["name"]): v["version"] for v in versions if v["current"]}
    assert current[("roles", "roles")] == 3 and current[("app", "helpdesk")] == 3
    with rt.connect() as c:  # the records are untouched
        assert c.execute(sa.select(sa.func.count()).select_from(rt.apps["helpdesk"].tables["client"])).scalar() == 1


def test_reverts_go_back_and_forth_and_a_second_revert_changes_nothing(rt):
    revert_app(rt, "helpdesk", "1.0.0")
    again = revert_app(rt, "helpdesk", "1.0.0")
    assert again.plan.action == "unchanged" and again.install is None
    assert ("checklist", "opening") not in stored_bodies(rt, "helpdesk")
    revert_app(rt, "helpdesk", "1.1.0")  # forward again: what 1.1.0 had, the checklist included
    assert agent_reads(rt) == "all" and ("checklist", "opening") in stored_bodies(rt, "helpdesk")
    revert_app(rt, "helpdesk", "1.0.0")
    assert stored_bodies(rt, "helpdesk") == rt.bodies_v1


def test_the_cli_prints_the_plan_and_dry_run_writes_nothing(rt, db_url, capsys):
    versions = len(list_versions(rt, "helpdesk"))
    assert jimu(["revert", "helpdesk", "1.0.0", "--dry-run", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "upgrade helpdesk 1.1.0 → 1.0.0" in out and "- checklist opening" in out
    assert 'read "all" → "own"' in out and "dry run" in out
    assert len(list_versions(rt, "helpdesk")) == versions and agent_reads(rt) == "all"
    assert jimu(["revert", "helpdesk", "1.0.0", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert out.index("upgrade helpdesk") < out.index("updated helpdesk 1.0.0")  # the plan comes first
    fresh = open_runtime(db_url)
    try:
        assert agent_reads(fresh) == "own"
    finally:
        fresh.db.dispose()


def test_an_unknown_version_or_app_is_refused_with_the_versions_named(rt, db_url, capsys):
    with pytest.raises(JimuError) as e:
        revert_app(rt, "helpdesk", "0.9.0")
    assert e.value.code == "revert.E002" and "1.0.0" in e.value.message["en"] and "1.1.0" in e.value.message["en"]
    assert jimu(["revert", "nope", "1.0.0", "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: export.E001: ") and "Traceback" not in err
    assert agent_reads(rt) == "all"


def test_an_entity_revert_goes_through_the_upgrade_path(db_url, tmp_path):
    """An entity's change reverts like any upgrade of it would: today the upgrade refuses entity
    changes (install.E002) and nothing is stored; once upgrades migrate tables, the entity comes back
    as it was. The history gets an entity change by an uninstall and a fresh install of 1.1.0 (the
    history of versions survives an uninstall)."""
    from engine.lifecycle.uninstall import uninstall_app

    rt = open_runtime(db_url)
    try:
        install_bundle(rt, HELPDESK)
        v1 = stored_bodies(rt, "helpdesk")
        uninstall_app(rt, "helpdesk", drop_data=True)
        root = v2(tmp_path)
        memo = (root / "entities" / "memo.yaml").read_text(encoding="utf-8")
        (root / "entities" / "memo.yaml").write_text(memo.replace("en: Memo", "en: Note"), encoding="utf-8")
        install_bundle(rt, root)
        before_bodies, before_versions = stored_bodies(rt, "helpdesk"), len(list_versions(rt, "helpdesk"))
        assert before_bodies[("entity", "memo")]["label"]["en"] == "Note"
        try:
            revert_app(rt, "helpdesk", "1.0.0")
        except JimuError as e:  # today: refused as a whole, nothing stored
            assert e.code == "install.E002" and "memo" in e.message["en"]
            assert stored_bodies(rt, "helpdesk") == before_bodies
            assert len(list_versions(rt, "helpdesk")) == before_versions
        else:  # once upgrades change tables: everything as at 1.0.0, as new versions
            assert stored_bodies(rt, "helpdesk") == v1
            assert len(list_versions(rt, "helpdesk")) > before_versions
    finally:
        rt.db.dispose()
