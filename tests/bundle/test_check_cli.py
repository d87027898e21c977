"""`jimu check PATH [--json]`: one line per problem, a summary when valid, exit status, JSON output."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from engine.bundle.check_cli import main

BROKEN_PRODUCT = """\
entity: product
label: {zh: 产品, en: Product}
fields:
  - {name: name, type: txt, label: {zh: 名称, en: Name}}
"""


def run(capsys, *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_a_valid_bundle_prints_its_summary_and_exits_0(make_bundle, capsys):
    code, out, _ = run(capsys, str(make_bundle()))
    assert code == 0
    assert out == ["ok: app sales_erp 0.1.0, 3 entities, 10 fields, 2 roles"]


def test_singular_counts(make_bundle, capsys):
    root = make_bundle({
        "roles.yaml": "roles:\n  rep: {label: {zh: 代表, en: Rep}}\n",
        "entities/customer.yaml": None, "entities/contract.yaml": None,
        "entities/product.yaml": "entity: 产品\nlabel: {zh: 产品, en: Product}\n"
                                 "fields: [{name: 名称, type: text, label: {zh: 名称, en: Name}}]\n",
    })
    assert run(capsys, str(root))[:2] == (0, ["ok: app sales_erp 0.1.0, 1 entity, 1 field, 1 role"])


def test_every_problem_on_its_own_line_and_exit_1(make_bundle, capsys):
    root = make_bundle({"entities/product.yaml": BROKEN_PRODUCT, "entities/supplier.json": '{"entity": }',
                        "notes.txt": "x",
                        "app.yaml": "app: sales_erp\nversion: 1\nlabel: {zh: 销售, en: Sales}\n"})
    code, out, err = run(capsys, str(root))
    assert code == 1
    assert out == [
        "app.yaml:$.version: 应为文本, 实际是 整数 / must be a string, not an integer (line 2)",
        "entities/product.yaml:$.fields[0].type: 未知字段类型 txt, 是否应为 text? / "
        "unknown field type txt; did you mean text? (line 4)",
        "entities/supplier.json:$: JSON 格式错误: Expecting value (第 12 列) / "
        "malformed JSON: Expecting value (column 12) (line 1)",
        "warning: notes.txt:$: 未知文件, 已忽略 / unknown file, ignored",
    ]
    assert err == "3 个错误 / 3 errors\n"


def test_json_output(make_bundle, capsys):
    root = make_bundle({"entities/product.yaml": BROKEN_PRODUCT, "README.md": "x"})
    code, out, _ = run(capsys, str(root), "--json")
    assert code == 1
    assert json.loads("\n".join(out)) == [
        {"code": "bundle.E044", "file": "entities/product.yaml", "path": "$.fields[0].type", "line": 4,
         "message": {"zh": "未知字段类型 txt, 是否应为 text?",
                     "en": "unknown field type txt; did you mean text?"},
         "severity": "error"},
        {"code": "bundle.W001", "file": "README.md", "path": "$", "line": None,
         "message": {"zh": "未知文件, 已忽略", "en": "unknown file, ignored"}, "severity": "warning"},
    ]


def test_json_output_of_a_valid_bundle_is_an_empty_list(make_bundle, capsys):
    code, out, _ = run(capsys, str(make_bundle()), "--json")
    assert (code, json.loads("\n".join(out))) == (0, [])


def test_warnings_alone_do_not_fail(make_bundle, capsys):
    code, out, _ = run(capsys, str(make_bundle({"docs/guide.md": "x"})))
    assert code == 0
    assert out == ["warning: docs/:$: 未知文件夹, 已忽略 / unknown folder, ignored",
                   "ok: app sales_erp 0.1.0, 3 entities, 10 fields, 2 roles"]


def test_a_missing_path(tmp_path: Path, capsys):
    code, out, _ = run(capsys, str(tmp_path / "nope"))
    assert code == 1 and out == [f"{tmp_path / 'nope'}:$: 找不到应用包 / no bundle at this path"]


def test_runs_as_a_module(make_bundle):
    """The lead wires main() into `jimu`; until then it runs on its own."""
    project = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-m", "engine.bundle.check_cli", str(make_bundle()), "--json"],
                          capture_output=True, text=True, cwd=project, check=False)
    assert (done.returncode, json.loads(done.stdout)) == (0, [])
