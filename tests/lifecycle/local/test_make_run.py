"""Issue 13, `make run`: each start plans and applies the bundle. The install command line is read from
the Makefile's run recipe (not copied here) and run twice against a temporary database and a temporary
copy of apps/sales_erp edited in between: the second run prints the plan of the change, applies it,
and every record is still there. An upgrade that would lose data stops with the plan printed and a
non-zero exit, changing nothing."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from engine.runtime import open_runtime

ROOT = Path(__file__).resolve().parents[3]
SALES_ERP = ROOT / "apps" / "sales_erp"


def install_line() -> list[str]:
    """The `$(JIMU) install ...` line of the Makefile's run recipe, as argv words."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", text, re.M)
    assert recipe, "the Makefile has a run recipe"
    lines = [ln.strip() for ln in recipe.group(1).splitlines() if ln.strip().startswith("$(JIMU) install ")]
    assert len(lines) == 1, lines
    return shlex.split(lines[0])


def run_install(bundle: Path, db_url: str) -> subprocess.CompletedProcess:
    argv: list[str] = []
    for word in install_line():
        if word == "$(JIMU)":
            argv += [sys.executable, "-m", "engine.cli"]
        elif word == "$(DB)":
            argv.append(db_url)
        elif word == "apps/sales_erp":
            argv.append(str(bundle))
        else:
            assert "$(" not in word, word
            argv.append(word)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def edit(bundle: Path, file: str, change) -> None:
    path = bundle / file
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def counts(db_url: str) -> dict[str, int]:
    rt = open_runtime(db_url)
    try:
        with rt.connect() as c:
            return {e: c.execute(sa.select(sa.func.count()).select_from(rt.table("sales_erp", e))).scalar_one()
                    for e in rt.app("sales_erp").entities}
    finally:
        rt.db.dispose()


@pytest.fixture
def bundle(tmp_path):
    root = tmp_path / "sales_erp"
    shutil.copytree(SALES_ERP, root)
    return root


@pytest.fixture
def installed(bundle, db_url):
    first = run_install(bundle, db_url)
    assert first.returncode == 0, first.stderr
    assert "installed sales_erp" in first.stdout
    before = counts(db_url)
    assert before["customer"] > 0
    again = run_install(bundle, db_url)  # an unchanged bundle: nothing to do, no plan
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stdout and "upgrade" not in again.stdout
    return before


def test_a_roles_change_is_planned_and_applied_on_the_next_start(bundle, db_url, installed):
    edit(bundle, "roles.yaml", lambda d: d["roles"]["sales_rep"]["label"].update(en="Sales representative"))
    second = run_install(bundle, db_url)
    assert second.returncode == 0, second.stderr
    assert "升级 / upgrade sales_erp" in second.stdout and "~ role sales_rep: label" in second.stdout
    assert "updated sales_erp" in second.stdout
    assert counts(db_url) == installed


def test_a_field_label_change_is_planned_and_applied_keeping_every_record(bundle, db_url, installed):
    def relabel(doc):
        next(f for f in doc["fields"] if f["name"] == "name")["label"] = {"zh": "客户全称", "en": "Full name"}

    edit(bundle, "entities/customer.yaml", relabel)
    second = run_install(bundle, db_url)
    assert "~ field customer.name: label" in second.stdout
    assert second.returncode == 0, second.stderr
    assert counts(db_url) == installed
    rt = open_runtime(db_url)
    try:
        assert rt.app("sales_erp").entity("customer").field("name").label["en"] == "Full name"
    finally:
        rt.db.dispose()


def test_an_upgrade_that_loses_data_stops_with_the_plan_and_changes_nothing(bundle, db_url, installed):
    def drop_address(doc):
        doc["fields"] = [f for f in doc["fields"] if f["name"] != "address"]
        for section in doc["layout"]["sections"]:
            section["fields"] = [f for f in section["fields"] if f != "address"]

    edit(bundle, "entities/customer.yaml", drop_address)
    edit(bundle, "seed/demo.yaml", lambda d: [r.pop("address", None) for r in d["records"]["customer"]])
    second = run_install(bundle, db_url)
    assert second.returncode != 0
    assert "- field customer.address" in second.stdout  # the plan, printed before the refusal
    assert "install.E007" in second.stderr
    assert counts(db_url) == installed
    rt = open_runtime(db_url)
    try:
        assert "address" in {f.name for f in rt.app("sales_erp").entity("customer").fields}
    finally:
        rt.db.dispose()


def test_a_start_after_a_local_edit_keeps_it_and_says_so(bundle, db_url, installed):
    from engine.lifecycle.local_changes import edit_definition

    rt = open_runtime(db_url)
    try:
        roles = yaml.safe_load((bundle / "roles.yaml").read_text(encoding="utf-8"))
        roles["roles"]["sales_rep"]["label"] = {"zh": "我们的销售", "en": "Our rep"}
        edit_definition(rt, "sales_erp", "roles", "roles", roles)
    finally:
        rt.db.dispose()
    edit(bundle, "roles.yaml", lambda d: d["roles"]["sales_rep"]["label"].update(en="Vendor rep"))
    edit(bundle, "app.yaml", lambda d: d.update(version="0.2.0"))
    second = run_install(bundle, db_url)
    assert second.returncode == 0, second.stderr
    assert "[保留本地修改 / local change kept]" in second.stdout  # in the plan
    assert "local changes kept: roles roles" in second.stdout  # and in what the install did
    rt = open_runtime(db_url)
    try:
        assert rt.app("sales_erp").version == "0.2.0"
        assert rt.app("sales_erp").documents["roles"]["roles"]["sales_rep"]["label"]["en"] == "Our rep"
    finally:
        rt.db.dispose()
    assert counts(db_url) == installed
