"""``jimu eval``: evaluate expressions from the command line.

    jimu eval 'EXPR' [--data JSON] [--today YYYY-MM-DD] [--now ISO] [--tz ZONE]
    jimu eval --batch FILE|-          one JSON request per line in, one JSON answer per line out

TODAY() and NOW() follow the business time zone as the platform's do (--tz, else JIMU_TIMEZONE, else
Asia/Shanghai): ``--now 2026-12-02T16:30:00Z`` is 00:30 on 2026-12-03 in Beijing, so TODAY() is
2026-12-03 and NOW() prints 2026-12-03T00:30:00+08:00 (a result's datetimes carry the zone's offset).
A --now without an offset is a time in that zone.

A request is ``{"expr": ..., "data": {...}, "today": ..., "now": ...}``; the answer is
``{"ok": true, "value": ...}`` (an error value such as "#DIV/0!" is a value) or, when the expression
does not parse or check, ``{"ok": false, "error": {"code", "message": {"zh", "en"}, "line", "column"}}``.
A line that is not a JSON request gets an ok:false answer with a code of its own (eval.E001 not JSON,
eval.E002 not a request, eval.E003 the evaluation itself failed).

Imports nothing heavy: no database layer, no web stack. The function registry is built without its
SQL forms for the same reason.
"""
from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from .clock import with_offset, zone
from .compile_py import compile_expression
from .errors import ExprError
from .json_values import dumps, from_json, infer_scope, paths_trie, project, shape_of
from .registry import EvalContext, FunctionRegistry

NOT_JSON = "eval.E001"
NOT_A_REQUEST = "eval.E002"
EVAL_FAILED = "eval.E003"


def main(argv: list[str]) -> int:
    args = _arguments().parse_args(argv)
    try:
        zone(args.tz)
    except ValueError as e:
        _write(sys.stderr, f"--tz / JIMU_TIMEZONE: {e}\n")
        return 2
    if args.batch is not None:
        return batch(args.batch, today=args.today, now=args.now, tz=args.tz)
    if args.expression is None:
        _arguments().print_usage(sys.stderr)
        print("需要一个表达式或 --batch / an expression or --batch is required", file=sys.stderr)
        return 2
    return single(args.expression, args.data, args.today, args.now, args.tz)


def _arguments() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jimu eval", description="计算表达式 / evaluate an expression")
    p.add_argument("expression", nargs="?",
                   help="the expression, e.g. 'IF(amount >= 50000, \"大额\", \"普通\")'")
    p.add_argument("--data", help="JSON object whose keys are the fields (or @file.json)")
    p.add_argument("--today", help="pin TODAY() (YYYY-MM-DD)")
    p.add_argument("--now", help="pin NOW() (ISO date-time; with Z or an offset it is moved into the zone)")
    p.add_argument("--tz", help="the business time zone of TODAY()/NOW() (default: $JIMU_TIMEZONE or Asia/Shanghai)")
    p.add_argument("--batch", metavar="FILE", help="JSON lines of requests; '-' reads stdin")
    return p


def _write(stream: IO[str], text: str) -> None:
    buf = getattr(stream, "buffer", None)
    if buf is not None:
        buf.write(text.encode("utf-8"))
        buf.flush()
    else:
        stream.write(text)


def single(expression: str, data_text: str | None, today: str | None, now: str | None,
           tz: str | None = None) -> int:
    try:
        data = _load_data(data_text)
        ctx = _context(today, now, tz)
    except ValueError as e:
        _write(sys.stderr, f"{e}\n")
        return 2
    try:
        compiled = compile_expression(expression, infer_scope(data), _registry())
        record = from_json(data)
    except RecursionError:
        _write(sys.stderr, "数据嵌套太深 / the data is nested too deeply\n")
        return 2
    except ExprError as e:
        _write(sys.stderr, f"{e.message['zh']}\n{e.message['en']}\n{e.excerpt}\n" if e.excerpt
               else f"{e.message['zh']}\n{e.message['en']}\n")
        return 1
    value = compiled.fn(record, ctx)
    _write(sys.stdout, dumps(with_offset(value, tz)) + "\n")
    return 0


def _load_data(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ValueError(f"无法读取 / cannot read {text[1:]}: {e}") from None
    try:
        data = _loads(text)
    except (ValueError, RecursionError) as e:
        raise ValueError(f"--data 不是合法的 JSON / --data is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ValueError("--data 必须是 JSON 对象 / --data must be a JSON object")
    return data


def _loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _context(today: str | None, now: str | None, tz: str | None = None) -> EvalContext:
    from . import make_context

    try:
        return make_context(today, now, tz)
    except (TypeError, ValueError):
        raise ValueError(f"日期格式不对 / malformed date: today={today!r} now={now!r}") from None


def _registry() -> FunctionRegistry:
    from .functions import standard_registry

    return standard_registry(sql=False)  # evaluation only: no SQLAlchemy to import


# --- batch ------------------------------------------------------------------------------------------

def batch(path: str, today: str | None = None, now: str | None = None, tz: str | None = None) -> int:
    try:
        source = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as e:
        _write(sys.stderr, f"无法读取 {path} / cannot read {path}: {e}\n")
        return 2
    try:
        default_ctx = _context(today, now, tz)
    except ValueError as e:
        _write(sys.stderr, f"{e}\n")
        return 2
    out = sys.stdout.buffer
    interactive = path == "-"  # a caller on a pipe may wait for each answer before the next request
    runner = _BatchRunner(_registry(), default_ctx, (today, now), tz)
    try:
        for raw in source:
            out.write(runner.answer(raw).encode("utf-8"))
            if interactive:
                out.flush()
    finally:
        if source is not sys.stdin.buffer:
            source.close()
        out.flush()
    return 0


class _BatchRunner:
    """Answers one request line at a time; compiled expressions are cached by (text, data shape) and
    contexts by their (today, now) for the length of the run."""

    def __init__(self, registry: FunctionRegistry, default_ctx: EvalContext, default_clock: tuple,
                 tz: str | None = None) -> None:
        self.registry, self.tz = registry, tz
        self.compiled: dict[tuple, Any] = {}
        self.reads: dict[str, dict] = {}  # expression text -> the trie of the paths it reads
        self.contexts: dict[tuple, EvalContext] = {default_clock: default_ctx, (None, None): default_ctx}
        self.default_clock = default_clock

    def answer(self, raw: bytes) -> str:
        """Exactly one answer line, whatever the request line holds."""
        try:
            return self._answer(raw)
        except RecursionError:
            return _failure(NOT_A_REQUEST, "数据嵌套太深", "the data is nested too deeply")
        except Exception as e:  # a failing function must cost one answer, not the whole batch
            name = type(e).__name__
            return _failure(EVAL_FAILED, f"计算失败: {name}", f"evaluation failed: {name}")

    def _answer(self, raw: bytes) -> str:
        try:
            req = _loads(raw)
        except (ValueError, RecursionError) as e:
            return _failure(NOT_JSON, "这一行不是合法的 JSON", f"the line is not valid JSON ({_reason(e)})")
        if type(req) is not dict or type(req.get("expr")) is not str:
            return _failure(NOT_A_REQUEST, "请求须是含 \"expr\" 文本的 JSON 对象",
                            "a request must be a JSON object with an \"expr\" text")
        data = req.get("data")
        if data is None:
            data = {}
        elif type(data) is not dict:
            return _failure(NOT_A_REQUEST, "\"data\" 必须是 JSON 对象", "\"data\" must be a JSON object")
        text = req["expr"]
        trie = self.reads.get(text)
        if trie is not None:  # the common case: convert and shape only what the expression reads
            record, shape = project(data, trie)
        else:
            record, shape = None, shape_of(data)
        key = (text, shape)
        compiled = self.compiled.get(key)
        if compiled is None:
            try:
                compiled = compile_expression(text, infer_scope(data), self.registry)
            except ExprError as e:
                compiled = e
            else:
                if trie is None:
                    trie = self.reads[text] = paths_trie(compiled.reads)
                    record, shape = project(data, trie)
                    key = (text, shape)
            self.compiled[key] = compiled
        if type(compiled) is ExprError:
            return _expr_failure(compiled)
        ctx = self.context(req.get("today"), req.get("now"))
        if ctx is None:
            return _failure(NOT_A_REQUEST, "\"today\"/\"now\" 日期格式不对",
                            "\"today\"/\"now\" is not a valid date")
        return '{"ok": true, "value": ' + dumps(with_offset(compiled.fn(record, ctx), self.tz)) + "}\n"

    def context(self, today: Any, now: Any) -> EvalContext | None:
        if not (today is None or type(today) is str) or not (now is None or type(now) is str):
            return None
        clock = (today, now)
        ctx = self.contexts.get(clock)
        if ctx is None:
            try:
                ctx = _context(today if today is not None else self.default_clock[0],
                               now if now is not None else self.default_clock[1], self.tz)
            except ValueError:
                return None
            self.contexts[clock] = ctx
        return ctx


def _reason(e: Exception) -> str:
    return e.msg if isinstance(e, json.JSONDecodeError) else str(e)


def _failure(code: str, zh: str, en: str) -> str:
    return dumps({"ok": False, "error": {"code": code, "message": {"zh": zh, "en": en}, "line": None,
                                         "column": None}}) + "\n"


def _expr_failure(e: ExprError) -> str:
    return dumps({"ok": False, "error": {"code": e.code, "message": dict(e.message), "line": e.line,
                                         "column": e.column}}) + "\n"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
