"""Issue 13, export of definitions: an installed app written back as a bundle folder from what the
database stores. The files are in the apps/ layout, pass the bundle checker, come out byte-identical
every time (on SQLite and PostgreSQL alike), and an install of an export exports to the same bytes."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.bundle.checker import check_bundle
from engine.errors import JimuError
from engine.install import install_bundle
from engine.lifecycle.export import export_definitions
from engine.runtime import open_runtime

ROOT = Path(__file__).resolve().parents[3]
SALES_ERP = ROOT / "apps" / "sales_erp"
HELPDESK = ROOT / "tests" / "lifecycle" / "bundles" / "helpdesk"


@pytest.fixture(autouse=True)
def sample_engine(monkeypatch):
    monkeypatch.setenv("JIMU_EXTRA_ENGINES", "tests.hooks.sample_engine")  # the checklist kind


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def rt(db_url):
    rt = open_runtime(db_url)
    install_bundle(rt, SALES_ERP)
    install_bundle(rt, HELPDESK)
    yield rt
    rt.db.dispose()


def test_the_export_has_the_bundle_layout_and_passes_the_checker(rt, tmp_path):
    files = export_definitions(rt, "helpdesk", tmp_path / "out")
    names = [p.relative_to(tmp_path / "out").as_posix() for p in files]
    assert names == ["app.yaml", "checklists/closing.yaml", "entities/client.yaml", "entities/memo.yaml",
                     "entities/ticket.yaml", "roles.yaml"]
    result = check_bundle(tmp_path / "out")
    assert result.errors == () and result.warnings == ()
    sales = tmp_path / "sales"
    export_definitions(rt, "sales_erp", sales)
    assert sorted(tree(sales)) == sorted(tree(SALES_ERP).keys() - {"seed/demo.yaml", "seed/org.yaml"})
    result = check_bundle(sales)
    assert result.errors == () and result.warnings == ()
    # the canonical form: identity keys first, a label Chinese first, exact numbers stay numbers
    text = (sales / "entities" / "quote.yaml").read_text(encoding="utf-8")
    assert text.startswith("entity: quote\nlabel:\n  zh: 报价单\n  en: Quote\n")
    assert "  page:\n    margin_mm: 15\n    orientation: portrait\n    size: A4\n" in text


def test_two_exports_are_byte_identical_and_an_install_of_one_exports_the_same(rt, tmp_path):
    for app in ("sales_erp", "helpdesk"):
        export_definitions(rt, app, tmp_path / f"{app}1")
        export_definitions(rt, app, tmp_path / f"{app}2")
        first = tree(tmp_path / f"{app}1")
        assert first == tree(tmp_path / f"{app}2")
        # installing the export changes nothing where it came from (same content hash)...
        assert install_bundle(rt, tmp_path / f"{app}1").status == "unchanged"
        # ...and on an empty SQLite database it installs, and exports to the same bytes, whichever
        # database the first export was read from (PostgreSQL's JSONB reorders keys)
        other = open_runtime(f"sqlite:///{tmp_path / (app + '.db')}")
        try:
            install_bundle(other, tmp_path / f"{app}1")
            export_definitions(other, app, tmp_path / f"{app}3")
        finally:
            other.db.dispose()
        assert tree(tmp_path / f"{app}3") == first


def test_a_decimal_in_a_definition_is_exported_as_the_same_number(db_url, tmp_path):
    bundle = tmp_path / "b"
    (bundle / "entities").mkdir(parents=True)
    (bundle / "app.yaml").write_text("app: nums\nversion: 1.0.0\nlabel: {zh: 数, en: Nums}\n", encoding="utf-8")
    (bundle / "entities" / "item.yaml").write_text(
        "entity: item\nlabel: {zh: 物品, en: Item}\nfields:\n"
        "  - {name: code, type: text, label: {zh: 代码, en: Code}, default: 'no'}\n"
        "  - {name: weight, type: number, precision: 3, min: 0.125, max: 99.5, label: {zh: 重量, en: Weight},"
        " default: 1.5}\n"
        "  - {name: grade, type: text, label: {zh: 等级, en: Grade}, default: '2.5'}\n",
        encoding="utf-8")
    rt = open_runtime(db_url)
    try:
        install_bundle(rt, bundle)
        export_definitions(rt, "nums", tmp_path / "out")
    finally:
        rt.db.dispose()
    text = (tmp_path / "out" / "entities" / "item.yaml").read_text(encoding="utf-8")
    assert "  min: 0.125\n" in text and "  max: 99.5\n" in text  # numbers, as the schema requires
    assert "  default: 'no'\n" in text  # a string a YAML 1.1 reader would take for false stays quoted
    assert "  default: 1.5\n" in text  # a number field's default is a number again
    assert "  default: '2.5'\n" in text  # a text field's default stays text
    assert check_bundle(tmp_path / "out").errors == ()


def test_given_bodies_are_written_instead_of_the_stored_ones(rt, tmp_path):
    from engine.lifecycle.export import stored_bodies

    bodies = stored_bodies(rt, "helpdesk")
    bodies[("roles", "roles")] = None  # absent in that state
    bodies[("app", "helpdesk")] = {**bodies[("app", "helpdesk")], "version": "0.9.0"}
    export_definitions(rt, "helpdesk", tmp_path / "old", bodies=bodies)
    assert not (tmp_path / "old" / "roles.yaml").exists()
    assert "version: 0.9.0\n" in (tmp_path / "old" / "app.yaml").read_text(encoding="utf-8")


def test_an_unknown_app_or_a_used_folder_is_refused_and_nothing_is_written(rt, tmp_path):
    with pytest.raises(JimuError) as e:
        export_definitions(rt, "nope", tmp_path / "x")
    assert e.value.code == "export.E001" and not (tmp_path / "x").exists()
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(JimuError) as e:
        export_definitions(rt, "helpdesk", used)
    assert e.value.code == "export.E002"
    assert [p.name for p in used.iterdir()] == ["keep.txt"]
