"""load_source: finding the files of a bundle, parsing YAML and JSON alike, and line numbers."""
from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from engine.bundle import BundleInvalid, check_bundle, documents, load_source
from engine.bundle.documents import parse_document


@pytest.fixture(params=["libyaml", "python"])
def loader(request, monkeypatch):
    """The YAML tests run over libyaml's parser and over the pure-Python one PyYAML falls back to."""
    if request.param == "python":
        monkeypatch.setattr(documents, "_CoreLoader", documents._PyCoreLoader)
    elif documents._CoreLoader is documents._PyCoreLoader:
        pytest.skip("PyYAML was built without libyaml")


def _as_json(text: str) -> str:
    """The JSON spelling of a YAML definition, made without our loader."""
    return json.dumps(yaml.safe_load(text), ensure_ascii=False, indent=2)


def test_yaml_and_json_versions_of_a_bundle_give_the_same_source(make_bundle, valid_files):
    yaml_root = make_bundle()
    json_root = make_bundle(
        {name.rsplit(".", 1)[0] + ".json": _as_json(text) for name, text in valid_files.items()}, base=False)
    from_yaml, from_json = load_source(yaml_root), load_source(json_root)
    assert from_json.problems == ()
    assert from_yaml.app == from_json.app
    assert from_yaml.roles == from_json.roles
    assert [d for _, d in from_yaml.entities] == [d for _, d in from_json.entities]
    assert [f for f, _ in from_json.entities] == ["entities/contract.json", "entities/customer.json",
                                                 "entities/product.json"]
    assert check_bundle(json_root).ok


def test_yaml_means_what_json_means(loader):
    """YAML 1.2 core: no yes/no booleans, no dates, numbers with a fraction are Decimal, as in JSON."""
    text = "a: no\nb: 2024-05-01\nc: 1.10\nd: 3\ne: true\nf: null\ng: 1e3\nh: '007'\ni: 0x1F\n"
    from_yaml, problems = parse_document("x.yaml", "entity", text.encode())
    assert problems == []
    expected = {"a": "no", "b": "2024-05-01", "c": Decimal("1.10"), "d": 3, "e": True, "f": None,
                "g": Decimal("1e3"), "h": "007", "i": "0x1F"}
    assert from_yaml.data == expected
    as_json = ('{"a": "no", "b": "2024-05-01", "c": 1.10, "d": 3, "e": true, "f": null, "g": 1e3, '
               '"h": "007", "i": "0x1F"}')
    from_json, problems = parse_document("x.json", "entity", as_json.encode())
    assert problems == [] and from_json.data == expected
    assert isinstance(from_json.data["c"], Decimal)


def test_every_key_and_item_of_a_yaml_file_has_its_line(loader):
    text = ("entity: contract\n"
            "label: {zh: 合同, en: Contract}\n"
            "fields:\n"
            "  - name: number\n"
            "    type: text\n"
            "\n"
            "  - {name: amount, type: money}\n")
    doc, _ = parse_document("entities/contract.yaml", "entity", text.encode())
    assert doc.lines["$.entity"] == 1
    assert doc.lines["$.label.en"] == 2
    assert doc.lines["$.fields"] == 3
    assert doc.lines["$.fields[0]"] == 4 and doc.lines["$.fields[0].type"] == 5
    assert doc.lines["$.fields[1].type"] == 7
    assert doc.line_of(("fields", 0, "label")) == 4  # a missing key points at its object
    assert doc.line_of(("fields", 9)) == 3


def test_json_files_get_lines_too(loader):
    text = '{\n  "entity": "contract",\n\t"fields": [\n    {"name": "a",\n     "type": "text"}\n  ]\n}\n'
    doc, problems = parse_document("entities/contract.json", "entity", text.encode())
    assert problems == []
    assert doc.line_of(("entity",)) == 2
    assert doc.line_of(("fields", 0, "type")) == 5


@pytest.mark.parametrize("name, text, code, line", [
    ("a.yaml", "entity: a\nfields:\n  - name: x\n    name: y\n", "bundle.E005", 4),
    ("a.json", '{"entity": "a",\n "entity": "b"}', "bundle.E005", 2),
    ("a.yaml", "entity: &n a\nlabel: *n\n", "bundle.E006", 2),
    ("a.yaml", "entity: a\n1: x\n", "bundle.E007", 2),
    ("a.yaml", "entity: a\nwhen: !!timestamp 2024-01-01\n", "bundle.E003", 2),
    ("a.yaml", "entity: a\n---\nentity: b\n", "bundle.E003", 2),
    ("a.yaml", "entity: a\n  label: x\n", "bundle.E003", 2),
    ("a.yaml", "entity: a\nlabel: \x07\n", "bundle.E003", 2),
    ("a.yaml", "entity: a\n\tlabel: x\n", "bundle.E003", 2),
    ("a.json", '{"entity": "a",\n "n": NaN}', "bundle.E004", None),
    ("a.json", '{"entity": "a"\n "n": 1}', "bundle.E004", 2),
    ("a.yaml", "", "bundle.E010", None),
    ("a.yaml", "# only a comment\n", "bundle.E010", None),
])
def test_parse_problems_have_a_code_and_a_line(name, text, code, line, loader):
    _, problems = parse_document(name, "entity", text.encode())
    assert [(p.code, p.line) for p in problems] == [(code, line)]


def test_a_file_that_is_not_utf8_is_reported():
    _, problems = parse_document("a.yaml", "entity", "entity: a\nlabel: 客户\n".encode("gbk"))
    assert [(p.code, p.line) for p in problems] == [("bundle.E002", 2)]


def test_deep_nesting_is_refused_not_crashed(loader):
    for name, text in (("a.yaml", "a: " + "[" * 5000 + "]" * 5000), ("a.json", "[" * 100000 + "]" * 100000),
                       ("b.yaml", "a: " + "[" * 100 + "]" * 100)):
        doc, problems = parse_document(name, "entity", text.encode())
        assert not doc.parsed and [p.code for p in problems] == ["bundle.E003"]


def test_a_parse_error_does_not_stop_other_files_from_being_checked(make_bundle):
    root = make_bundle({"roles.yaml": "roles: [\n", "entities/product.yaml": "entity: product\n"})
    result = check_bundle(root)
    assert {(e.code, e.file) for e in result.errors} == {
        ("bundle.E003", "roles.yaml"), ("bundle.E030", "entities/product.yaml")}


def test_layout_warnings_and_ignored_folders(make_bundle):
    root = make_bundle({
        "README.md": "# notes", "scripts/run.py": "print()", "flows/approval.yaml": "not: [checked",
        "entities/notes.txt": "x", "entities/old/customer.yaml": "entity: customer", ".git/config": "x",
        "entities/.DS_Store": "x",
    })
    result = check_bundle(root)
    assert result.ok
    assert {(w.code, w.file) for w in result.warnings} == {
        ("bundle.W001", "README.md"), ("bundle.W001", "scripts/"), ("bundle.W002", "entities/notes.txt"),
        ("bundle.W002", "entities/old/customer.yaml")}


def test_missing_and_doubled_manifest(make_bundle):
    missing = check_bundle(make_bundle({"app.yaml": None}))
    assert places_of(missing) == {("bundle.E008", "app.yaml", "$")}
    doubled = check_bundle(make_bundle({"app.json": '{"app": "x"}'}))
    assert places_of(doubled) == {("bundle.E009", "app.json", "$")}
    assert doubled.source.app["app"] == "sales_erp"  # app.yaml is the one read


def places_of(result):
    return {(e.code, e.file, e.path) for e in result.errors}


def test_no_bundle_at_the_path(tmp_path: Path):
    with pytest.raises(BundleInvalid) as info:
        load_source(tmp_path / "nowhere")
    assert info.value.errors[0].code == "bundle.E001"
    (tmp_path / "notes.txt").write_text("x")
    result = check_bundle(tmp_path / "notes.txt")
    assert [e.code for e in result.errors] == ["bundle.E001"] and result.source is None


def _zip_bytes(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def test_a_zip_with_one_top_folder_reads_like_the_folder(make_bundle, valid_files, tmp_path: Path):
    files = valid_files
    nested = {"sales_erp/" + n: t for n, t in files.items()}
    nested["__MACOSX/sales_erp/._app.yaml"] = "resource fork"
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(_zip_bytes(nested))
    folder = load_source(make_bundle())
    for source in (load_source(archive), load_source(_zip_bytes(files))):
        assert source.problems == ()
        assert source.app == folder.app and source.roles == folder.roles
        assert source.entities == folder.entities  # same relative names too
    assert check_bundle(archive).ok
