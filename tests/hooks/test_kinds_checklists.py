"""Item 1 of issue 12: an engine declares a definition kind (the sample engine's ``checklist`` in
``checklists/``); `jimu check` reports its schema and cross-check mistakes with file, path and line,
together with every other problem; the bundle hash covers it; install stores it and the runtime
hands it back compiled."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.cli import main
from engine.install import install_bundle
from engine.runtime import open_runtime

BUNDLE = Path(__file__).parent / "bundles" / "maintenance"


@pytest.fixture(autouse=True)
def sample_engine(monkeypatch):
    monkeypatch.setenv("JIMU_EXTRA_ENGINES", "tests.hooks.sample_engine")


@pytest.fixture
def bundle(tmp_path):
    root = tmp_path / "maintenance"
    shutil.copytree(BUNDLE, root)
    return root


def check(capsys, path) -> tuple[int, list[dict]]:
    code = main(["check", str(path), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_valid_checklist_checks_clean_and_flows_stay_quiet(bundle, capsys):
    (bundle / "dashboards").mkdir()
    (bundle / "dashboards" / "ops.yaml").write_text("title: later\n")
    (bundle / "misc").mkdir()
    (bundle / "misc" / "x.yaml").write_text("a: 1\n")
    code, found = check(capsys, bundle)
    assert code == 0
    # the folders engines still to come will read are accepted quietly; an unknown one still warns
    assert [(p["code"], p["file"]) for p in found] == [("bundle.W001", "misc/")]


def test_every_problem_of_every_kind_at_once(bundle, capsys):
    (bundle / "checklists" / "weekly.yaml").write_text(
        "title: {zh: 每周保养, en: Weekly service}\n"
        "entity: machine\n"
        "items:\n"
        "  - field: oiled\n"
        "  - field: oilled\n")  # line 5: no such field
    (bundle / "checklists" / "daily.yaml").write_text(
        "title: {zh: 每日}\n"  # line 1: en missing
        "entity: machine\n"
        "items: []\n")  # line 3: at least one item
    (bundle / "entities" / "part.yaml").write_text(
        "entity: part\nlabel: {zh: 零件, en: Part}\nfields:\n"
        "  - {name: name, type: txt, label: {zh: 名称, en: Name}}\n")  # line 4: unknown type
    code, found = check(capsys, bundle)
    assert code == 1
    got = {(p["code"], p["file"], p["path"], p["line"]) for p in found}
    assert ("bundle.E080", "checklists/weekly.yaml", "$.items[1].field", 5) in got
    assert ("bundle.E030", "checklists/daily.yaml", "$.title.en", 1) in got
    assert ("bundle.E033", "checklists/daily.yaml", "$.items", 3) in got
    assert ("bundle.E044", "entities/part.yaml", "$.fields[0].type", 4) in got
    weekly = next(p for p in found if p["code"] == "bundle.E080")
    assert "oilled" in weekly["message"]["en"] and "oilled" in weekly["message"]["zh"]


def test_a_checklist_of_an_unknown_entity(bundle, capsys):
    (bundle / "checklists" / "weekly.yaml").write_text(
        "title: {zh: 每周, en: Weekly}\nentity: pump\nitems: [{field: oiled}]\n")
    code, found = check(capsys, bundle)
    assert code == 1
    assert [(p["code"], p["path"], p["line"]) for p in found] == [("bundle.E080", "$.entity", 2)]


def test_two_files_for_one_checklist(bundle, capsys):
    (bundle / "checklists" / "weekly.json").write_text('{"title": {"zh": "周", "en": "W"}, "entity": "machine", '
                                                         '"items": [{"field": "oiled"}]}')
    code, found = check(capsys, bundle)
    assert code == 1 and [(p["code"], p["file"]) for p in found] == [("bundle.E009", "checklists/weekly.yaml")]


def test_install_stores_checklists_and_the_runtime_compiles_them(bundle, db_url):
    rt = open_runtime(db_url)
    try:
        res = install_bundle(rt, bundle)
        assert ("checklist", "weekly", 1) in res.versions
        weekly = rt.definitions("maintenance", "checklist")["weekly"]
        assert (weekly.entity, weekly.fields) == ("machine", ("oiled", "belts_checked"))
    finally:
        rt.db.dispose()
    rt = open_runtime(db_url)  # loaded back from the database, compiled by the kind's step
    try:
        weekly = rt.definitions("maintenance", "checklist")["weekly"]
        assert weekly.fields == ("oiled", "belts_checked")
        assert rt.definitions("maintenance", "flow") == {}
    finally:
        rt.db.dispose()


def test_the_hash_covers_the_checklists(bundle, db_url):
    rt = open_runtime(db_url)
    try:
        first = install_bundle(rt, bundle).app.hash
        (bundle / "checklists" / "weekly.yaml").write_text(
            "title: {zh: 每周保养, en: Weekly service}\nentity: machine\nitems: [{field: oiled}]\n")
        from engine.errors import JimuError

        # only a checklist changed: not "unchanged" (asked not to upgrade, an installed app is refused)
        with pytest.raises(JimuError) as e:
            install_bundle(rt, bundle, upgrade=False)
        assert e.value.code == "install.E001"
        assert install_bundle(rt, bundle, if_missing=True).status == "unchanged"
        assert install_bundle(rt, bundle, upgrade=True).app.hash != first
    finally:
        rt.db.dispose()


def test_the_summary_counts_the_checklists_and_the_schema_is_published(bundle, capsys):
    from engine.bundle import published_schemas
    from engine.plugins import platform_field_types

    assert main(["check", str(bundle)]) == 0
    assert capsys.readouterr().out.strip() == "ok: app maintenance 1.0.0, 1 entity, 4 fields, 1 role, 1 checklist"
    assert published_schemas(platform_field_types())["checklist.schema.json"]["title"] == "Checklist"


def test_jimu_install_upgrade_from_the_command_line(bundle, db_url, capsys):
    assert main(["install", str(bundle), "--db", db_url]) == 0
    (bundle / "checklists" / "weekly.yaml").write_text(
        "title: {zh: 每周保养, en: Weekly service}\nentity: machine\nitems: [{field: oiled}]\n")
    assert main(["install", str(bundle), "--db", db_url]) == 0  # an installed app is upgraded
    assert "checklist weekly v2" in capsys.readouterr().out
    assert main(["install", str(bundle), "--db", db_url, "--upgrade"]) == 0  # still accepted
    assert "already installed" in capsys.readouterr().out
    assert main(["install", str(bundle), "--db", db_url, "--upgrade"]) == 0
    assert "nothing to do" in capsys.readouterr().out
