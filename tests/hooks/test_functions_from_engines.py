"""Item 3: engines add expression functions (the add_functions hook), used alike by jimu check, the
runtime, the form state and GET /api/v1/functions. The sample engine adds SHOUT(text); the form
engine adds OLD(field), the value before this write."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.forms.conftest import forms_env  # noqa: F401 - the fixture

BUNDLES = Path(__file__).resolve().parent / "bundles"
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = "tests.hooks.sample_engine"


def jimu_check(path: Path, engines: bool) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("JIMU_EXTRA_ENGINES", None)
    if engines:
        env["JIMU_EXTRA_ENGINES"] = SAMPLE
    return subprocess.run([sys.executable, "-m", "engine.cli", "check", str(path), "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def shout(forms_env, monkeypatch):  # noqa: F811
    monkeypatch.setenv("JIMU_EXTRA_ENGINES", SAMPLE)
    return forms_env(BUNDLES / "shout_app")


@pytest.fixture
def budgets(forms_env):  # noqa: F811
    return forms_env(BUNDLES / "old_values_app")


def test_a_formula_with_an_engine_function_computes_on_create(shout):
    r = shout.admin.post(shout.url("memo"), json={"words": "hello"})
    assert r.status_code == 201, r.text
    assert r.json()["loud"] == "HELLO!"
    rid = r.json()["id"]
    r = shout.admin.patch(shout.url("memo", f"/{rid}"), json={"words": "again", "version": 1})
    assert r.status_code == 200 and r.json()["loud"] == "AGAIN!", r.text
    state = shout.admin.post(shout.url("memo", "/form-state"), json={"values": {"words": "typing"}})
    assert state.status_code == 200 and state.json()["values"]["loud"] == "TYPING!"


def test_the_function_reference_lists_engine_functions(shout):
    items = {f["name"]: f for f in shout.admin.get("/api/v1/functions").json()["items"]}
    assert items["SHOUT"]["signature"] == "SHOUT(text)"
    assert items["SHOUT"]["description"]["zh"] and items["SHOUT"]["description"]["en"]
    assert items["OLD"]["signature"] == "OLD(field)" and "before" in items["OLD"]["description"]["en"]


def test_jimu_check_knows_the_function_only_with_its_engine():
    ok = jimu_check(BUNDLES / "shout_app", engines=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = jimu_check(BUNDLES / "shout_app", engines=False)
    assert bad.returncode == 1
    errors = json.loads(bad.stdout)
    # every problem at once: the scope in roles.yaml and the formula in the entity
    assert sorted((e["file"], e["path"], e["line"]) for e in errors) == [
        ("entities/memo.yaml", "$.fields[1].expr", 6), ("roles.yaml", "$.roles.loud_reader.entities.memo.read", 5)]
    assert all("SHOUT" in e["message"]["en"] and "SHOUT" in e["message"]["zh"] for e in errors)


def test_old_is_blank_on_create_and_the_value_before_on_update(budgets):
    r = budgets.admin.post(budgets.url("budget"), json={"name": "rent", "amount": 100})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["previous"] is None and body["renamed"] is False
    rid = body["id"]
    r = budgets.admin.patch(budgets.url("budget", f"/{rid}"), json={"amount": 150, "name": "office", "version": 1})
    assert r.status_code == 200, r.text
    assert r.json()["previous"] == 100 and r.json()["renamed"] is True


def test_a_validation_with_old_refuses_an_update_with_its_message(budgets):
    r = budgets.admin.post(budgets.url("budget"), json={"name": "rent", "amount": 5000})  # no "before" on create
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = budgets.admin.patch(budgets.url("budget", f"/{rid}"), json={"amount": 10001, "version": 1})
    assert r.status_code == 422, r.text
    [d] = r.json()["details"]
    assert d["path"] == "amount"
    assert d["message"] == {"zh": "金额一次最多翻倍", "en": "The amount may at most double in one change"}
    stored = budgets.admin.get(budgets.url("budget", f"/{rid}")).json()
    assert stored["amount"] == 5000 and stored["version"] == 1  # nothing written
    state = budgets.admin.post(budgets.url("budget", "/form-state"), json={"id": rid, "values": {"amount": 10001}})
    assert state.json()["valid"] is False and state.json()["errors"][0]["path"] == "amount"
    r = budgets.admin.patch(budgets.url("budget", f"/{rid}"), json={"amount": 10000, "version": 1})
    assert r.status_code == 200 and r.json()["previous"] == 5000, r.text


@pytest.mark.parametrize("expr, words", [("OLD(nothing)", "nothing"), ("OLD(1)", "OLD(amount)"),
                                         ("OLD(amount, name)", "OLD")])
def test_jimu_check_refuses_old_of_what_is_not_a_field(tmp_path, expr, words):
    bundle = tmp_path / "old_values_app"
    shutil.copytree(BUNDLES / "old_values_app", bundle)
    ent = bundle / "entities" / "budget.yaml"
    ent.write_text(ent.read_text(encoding="utf-8").replace('expr: "OLD(amount)"', f'expr: "{expr}"'),
                   encoding="utf-8")
    r = jimu_check(bundle, engines=False)
    assert r.returncode == 1, r.stdout
    errors = json.loads(r.stdout)
    assert [(e["file"], e["path"], e["line"]) for e in errors] == [("entities/budget.yaml", "$.fields[2].expr", 7)]
    assert words in errors[0]["message"]["en"]



def test_the_engine_functions_sql_form_works_in_a_permission_scope(shout):
    for words in ("hello", "Hello", "goodbye"):
        assert shout.admin.post(shout.url("memo"), json={"words": words}).status_code == 201
    reader = shout.client_for("loud", roles=(("shout_app", "loud_reader"),))
    items = reader.get(shout.url("memo")).json()["items"]  # the scope runs as SQL
    assert sorted(i["words"] for i in items) == ["Hello", "hello"]
