"""``jimu eval``: single expressions and JSON-lines batches, as a user at a terminal or a script on a
pipe sees them."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from rules.expr.eval_cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def value_of(capsys, *argv):
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert out.endswith("\n") and out.count("\n") == 1
    return json.loads(out, parse_float=Decimal, parse_int=Decimal)


def test_single_expression_prints_json(capsys):
    assert value_of(capsys, "1 + 2 * 3") == 7
    assert value_of(capsys, "0.1 + 0.2") == Decimal("0.3")
    assert value_of(capsys, '"x" & 1.50') == "x1.5"
    assert value_of(capsys, "1/0") == "#DIV/0!"
    assert value_of(capsys, "1 > 2") is False
    assert value_of(capsys, "IF(FALSE, 1)") is False


def test_numbers_are_printed_exactly_not_through_float(capsys):
    _, out, _ = run(capsys, "1/3")
    assert out == "0.3333333333333333333333333333\n"
    _, out, _ = run(capsys, "123456789012345678901234567 + 0.10")
    assert out == "123456789012345678901234567.1\n"
    _, out, _ = run(capsys, "2 * 1.50")
    assert out == "3\n"


def test_data_with_relation_and_sub_table(capsys):
    data = json.dumps({
        "amount": 60000, "customer": {"credit_limit": 100000.00, "receivable": 45000.5},
        "lines": [{"qty": 2, "price": 9.99}, {"qty": 1, "price": 0.02}],
        "合同 金额": 12.5, "签订日期": "2024-01-31",
    }, ensure_ascii=False)
    assert value_of(capsys, "customer.credit_limit - customer.receivable", "--data", data) \
        == Decimal("54999.5")
    assert value_of(capsys, "SUM(lines.price)", "--data", data) == Decimal("10.01")
    assert value_of(capsys, 'IF(amount >= 50000, "大额", "普通")', "--data", data) == "大额"
    assert value_of(capsys, "{合同 金额} * 2", "--data", data) == 25
    assert value_of(capsys, "签订日期 + 30", "--data", data) == "2024-03-01"
    assert value_of(capsys, "lines.qty", "--data", data) == [2, 1]
    assert value_of(capsys, "customer", "--data", data) \
        == {"credit_limit": 100000, "receivable": Decimal("45000.5")}


def test_data_from_a_file(capsys, tmp_path):
    f = tmp_path / "data.json"
    f.write_text('{"qty": 3, "price": 2.5}', encoding="utf-8")
    assert value_of(capsys, "qty * price", "--data", f"@{f}") == Decimal("7.5")


def test_today_and_now(capsys):
    assert value_of(capsys, "TODAY()", "--today", "2024-02-29") == "2024-02-29"
    assert value_of(capsys, 'DATEDIF(d, TODAY(), "d")', "--data", '{"d": "2024-01-01"}',
                    "--today", "2024-03-01") == 60
    assert value_of(capsys, "NOW() + 0.5", "--now", "2024-02-29T08:00:00") == "2024-02-29T20:00:00+08:00"
    assert value_of(capsys, "TODAY()", "--now", "2024-02-29T08:00:00") == "2024-02-29"


def test_an_expression_that_does_not_check_is_reported_on_stderr(capsys):
    code, out, err = run(capsys, "amount + amout", "--data", '{"amount": 1}')
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0] == "第1行第10列: 未知字段 'amout',是否想输入 'amount'?"
    assert lines[1] == "line 1, column 10: unknown field 'amout', did you mean 'amount'?"
    assert lines[2:4] == ["amount + amout", " " * 9 + "^"]


def test_bad_arguments(capsys):
    code, _, err = run(capsys, "1", "--data", "{not json")
    assert code == 2 and "JSON" in err
    code, _, err = run(capsys, "1", "--data", "[1, 2]")
    assert code == 2 and "object" in err
    code, _, err = run(capsys, "1", "--data", "@/nonexistent/data.json")
    assert code == 2 and "/nonexistent/data.json" in err
    code, _, err = run(capsys, "TODAY()", "--today", "yesterday")
    assert code == 2
    code, _, err = run(capsys)
    assert code == 2 and "--batch" in err


BATCH = [
    json.dumps({"expr": "qty * price", "data": {"qty": 2, "price": 1.25}}),
    json.dumps({"expr": "1/0"}),
    json.dumps({"expr": "1 +"}),
    "this is not json",
    json.dumps({"expr": 'IF(amount >= 50000, "大额", "普通")', "data": {"amount": 50000}},
               ensure_ascii=False),
    json.dumps({"expr": "TODAY() + 1", "today": "2024-12-31"}),
    json.dumps([1, 2]),
    json.dumps({"expr": "qty * price", "data": {"qty": 3, "price": 1}}),
    "",
    json.dumps({"expr": "SUM(lines.subtotal)", "data": {"lines": [{"subtotal": 1.1}, {"subtotal": 2.2}]}}),
    json.dumps({"expr": "SUM(lines.subtotal)", "data": {"lines": []}}),
    json.dumps({"expr": "qty * price", "data": {"qty": "2", "price": None}}),
    json.dumps({"expr": "qty * pric", "data": {"qty": 2, "price": 1}}),
    json.dumps({"expr": "x", "data": 5}),
    json.dumps({"expr": "TODAY()", "today": "not a date"}),
    '{"expr": "x", "data": {"x": NaN}}',  # NaN is no JSON number
]


def check_batch_answers(answers: list[dict]) -> None:
    assert len(answers) == len(BATCH)  # exactly one answer per line, nothing else
    assert answers[0] == {"ok": True, "value": Decimal("2.5")}
    assert answers[1] == {"ok": True, "value": "#DIV/0!"}  # an error value is a value
    assert answers[2]["ok"] is False
    assert answers[2]["error"]["code"] == "expr.E001"
    assert answers[2]["error"]["line"] == 1 and answers[2]["error"]["column"] == 4
    assert set(answers[2]["error"]["message"]) == {"zh", "en"}
    assert answers[3]["ok"] is False and answers[3]["error"]["code"] == "eval.E001"
    assert answers[4] == {"ok": True, "value": "大额"}
    assert answers[5] == {"ok": True, "value": "2025-01-01"}
    assert answers[6]["ok"] is False and answers[6]["error"]["code"] == "eval.E002"
    assert answers[7] == {"ok": True, "value": 3}
    assert answers[8]["ok"] is False and answers[8]["error"]["code"] == "eval.E001"
    assert answers[9] == {"ok": True, "value": Decimal("3.3")}
    assert answers[10] == {"ok": True, "value": 0}
    assert answers[11] == {"ok": True, "value": 0}  # "2" * blank
    assert answers[12]["error"]["code"] == "expr.E002" and "'price'" in answers[12]["error"]["message"]["en"]
    assert answers[13]["error"]["code"] == "eval.E002"
    assert answers[14]["error"]["code"] == "eval.E002"
    assert answers[15]["error"]["code"] == "eval.E001"
    for a in answers:
        assert set(a) in ({"ok", "value"}, {"ok", "error"})
        if not a["ok"]:
            assert set(a["error"]) == {"code", "message", "line", "column"}


def parse_lines(text: str) -> list[dict]:
    return [json.loads(line, parse_float=Decimal, parse_int=Decimal) for line in text.splitlines()]


def test_batch_from_a_file(capsys, tmp_path):
    f = tmp_path / "requests.jsonl"
    f.write_text("\n".join(BATCH) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "--batch", str(f))
    assert code == 0, err
    check_batch_answers(parse_lines(out))


def test_batch_from_stdin(capsys, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(("\n".join(BATCH) + "\n").encode("utf-8")), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, _ = run(capsys, "--batch", "-")
    assert code == 0
    check_batch_answers(parse_lines(out))


def test_batch_reuses_compiled_expressions_but_not_across_shapes(capsys, tmp_path):
    lines = [{"expr": "a + 1", "data": {"a": 1}}, {"expr": "a + 1", "data": {"a": "2024-01-01"}},
             {"expr": "a + 1", "data": {"a": 2}}, {"expr": "a + 1", "data": {}},
             {"expr": "a.b", "data": {"a": {"b": 1}}}, {"expr": "a.b", "data": {"a": None}},
             {"expr": "a.b", "data": {"a": 3}}]
    f = tmp_path / "r.jsonl"
    f.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    code, out, _ = run(capsys, "--batch", str(f))
    answers = parse_lines(out)
    assert [a.get("value") for a in answers[:3]] == [2, "2024-01-02", 3]
    assert answers[3]["error"]["code"] == "expr.E002"
    assert answers[4]["value"] == 1 and answers[5]["value"] is None
    assert answers[6]["error"]["code"] == "expr.E005"


def test_batch_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "--batch", str(tmp_path / "nope.jsonl"))
    assert code == 2 and "nope.jsonl" in err


def test_runs_as_a_module_without_heavy_imports(tmp_path):
    """``python -m rules.expr.eval_cli`` works on a pipe and loads neither SQLAlchemy nor the web stack."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "rules.expr.eval_cli", "--batch", "-"],
                          input="\n".join(BATCH), capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    check_batch_answers(parse_lines(done.stdout))
    probe = ("import sys; from rules.expr.eval_cli import main; main(['SUM(1, 2)']); "
             "heavy = [m for m in ('sqlalchemy', 'fastapi', 'pandas') if m in sys.modules]; "
             "print(heavy)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=60)
    assert done.stdout.splitlines() == ["3", "[]"], done.stderr


@pytest.mark.parametrize("argv", [["-m", "rules.expr", "2^10"]])
def test_package_main(argv):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=60)
    assert done.returncode == 0 and done.stdout == "1024\n"


def test_batch_survives_data_nested_too_deeply(capsys, tmp_path):
    deep_object = '{"a": ' * 700 + "1" + "}" * 700
    lines = ['{"expr": "a.a", "data": ' + deep_object + "}", "[" * 5000 + "]" * 5000, '{"expr": "1 + 1"}']
    f = tmp_path / "deep.jsonl"
    f.write_text("\n".join(lines), encoding="utf-8")
    code, out, _ = run(capsys, "--batch", str(f))
    answers = parse_lines(out)
    assert code == 0 and len(answers) == 3
    assert answers[0]["ok"] is False and answers[1]["ok"] is False
    assert answers[2] == {"ok": True, "value": 2}
