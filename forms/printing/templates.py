"""Print templates: HTML in a sandboxed Jinja2, compiled and rendered with every failure turned into
a bilingual error that names the template and line.

The sandbox is Jinja2's immutable one (no ``_``-names, no internals, no changing the data) made
strict: reaching for something unsafe raises at once instead of printing blank, so a template that
tries ``{{ ''.__class__.__mro__ }}`` is refused (print.E003) and renders nothing. Output is
autoescaped (a customer named ``<b>`` prints as text). Loops that write too much, ``*``/``**`` on
huge operands and renders that run too long are stopped (print.E006); ``namespace`` (state that
outlives a loop iteration) and ``lipsum`` are not offered.
"""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from jinja2 import ChainableUndefined, TemplateSyntaxError
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.errors import ValidationFailed, detail

from .formatting import format_money, format_number

MAX_HTML_CHARS = 2_000_000
MAX_RENDER_SECONDS = 20.0
MAX_EXPONENT = 100
MAX_POWER_BITS = 100_000  # ((10 ** 100) ** 100) ** 100 would be a number of megabytes
_CHECK_EVERY = 1024  # sandbox hooks between two looks at the clock


class Fields(dict):
    """A record or a row: ``record.items`` is the field named items, not the dict method."""


class Refused(SecurityError):
    """What the sandbox refuses; the text names the attribute or operation, never a value."""


class TooBig(Exception):
    """A render that writes too much or runs too long."""


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, deadline_s: float = MAX_RENDER_SECONDS) -> None:
        super().__init__(autoescape=True, undefined=ChainableUndefined,
                         finalize=lambda v: "" if v is None else v)
        for name in ("namespace", "lipsum"):
            self.globals.pop(name, None)
        self.filters["money"] = format_money
        self.filters["number"] = format_number
        self._deadline = time.monotonic() + deadline_s
        self._hits = 0

    def _tick(self) -> None:
        self._hits += 1
        if self._hits % _CHECK_EVERY == 0 and time.monotonic() > self._deadline:
            raise TooBig("time")

    def unsafe_undefined(self, obj: Any, attribute: str):
        raise Refused(f"attribute {attribute!r} of a {type(obj).__name__} object")

    def getattr(self, obj: Any, attribute: str) -> Any:
        self._tick()
        if attribute.startswith("_"):  # where Python keeps its internals; a field named so is record["_x"]
            raise Refused(f"attribute {attribute!r} of a {type(obj).__name__} object")
        if type(obj) is Fields and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self._tick()
        return super().getitem(obj, argument)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: B902, N805 - Jinja's own signature
        __self._tick()
        if not __self.is_safe_callable(__obj):
            raise Refused("a call the sandbox does not allow")
        for a in (*args, *kwargs.values()):
            if isinstance(a, (str, list, tuple)) and len(a) > MAX_HTML_CHARS:
                raise TooBig("argument")
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            seq, n = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_HTML_CHARS:
                raise TooBig("repeat")
        if operator == "**" and isinstance(right, (int, Decimal, float)) and not isinstance(right, bool):
            base_bits = left.bit_length() if isinstance(left, int) else 64
            if abs(right) > MAX_EXPONENT or base_bits * abs(right) > MAX_POWER_BITS:
                raise TooBig("power")
        return super().call_binop(context, operator, left, right)


@dataclass(frozen=True)
class PrintTemplate:
    """A print template of an entity, as its definition gives it."""

    name: str
    label: Mapping[str, str]
    html: str
    page: Mapping[str, Any]

    def label_in(self, lang: str) -> str:
        return self.label.get(lang) or self.label.get("zh") or self.name


def templates_of(entity) -> list[PrintTemplate]:
    return [PrintTemplate(t["name"], dict(t.get("label") or {}), t.get("html") or "", dict(t.get("page") or {}))
            for t in entity.definition.get("print_templates") or ()]


def syntax_problem(source: str) -> tuple[int, str] | None:
    """(line, message) of the first syntax error in a template, or None: the bundle check uses it."""
    try:
        _Sandbox().parse(source)
    except TemplateSyntaxError as e:
        return e.lineno or 1, e.message or "syntax error"
    return None


def render_html(tpl: PrintTemplate, context: Mapping[str, Any], *, where: str,
                deadline_s: float = MAX_RENDER_SECONDS) -> str:
    """The template's HTML for ``context``. ``where`` names the template in errors (entity.template)."""
    env = _Sandbox(deadline_s)
    try:
        template = env.from_string(tpl.html)
    except TemplateSyntaxError as e:
        raise _error("print.E001", where, e.lineno, "模板有语法错误", "the template has a syntax error",
                     e.message or "") from None
    parts, size = [], 0
    try:
        for chunk in template.generate(**context):
            size += len(chunk)
            if size > MAX_HTML_CHARS:
                raise TooBig("output")
            parts.append(chunk)
    except SecurityError as e:
        note = str(e) if isinstance(e, Refused) else ""
        raise _error("print.E003", where, _line(e), "模板访问了沙箱不允许的内容",
                     "the template reached for something the sandbox does not allow", note) from None
    except (TooBig, OverflowError, MemoryError, RecursionError):
        raise _error("print.E006", where, None, f"模板输出过大或运行过久 (上限 {MAX_HTML_CHARS} 字符, "
                     f"{deadline_s:g} 秒)", f"the template writes too much or runs too long (at most "
                     f"{MAX_HTML_CHARS} characters, {deadline_s:g} s)", "") from None
    except TemplateError as e:  # an undefined name called or looked into: its message names it
        raise _error("print.E004", where, _line(e), "模板运行出错", "the template failed while rendering",
                     e.message or type(e).__name__) from None
    except Exception as e:  # noqa: BLE001 - a template's own mistake (1 / 0, "a" + 1) is a 422, never a 500;
        # only the kind of error is told, since the message of some could quote a value
        raise _error("print.E004", where, _line(e), "模板运行出错", "the template failed while rendering",
                     type(e).__name__) from None
    return "".join(parts)


def _line(e: BaseException) -> int | None:
    """The template line of an error raised while rendering (Jinja puts template frames in the traceback)."""
    line = None
    for frame, lineno in traceback.walk_tb(e.__traceback__):
        if frame.f_code.co_filename == "<template>":
            line = lineno
    return line


def _error(code: str, where: str, line: int | None, zh: str, en: str, note: str) -> ValidationFailed:
    at_zh = f" 第 {line} 行" if line else ""
    at_en = f" at line {line}" if line else ""
    extra = f": {note}" if note else ""
    return ValidationFailed(code, {"zh": f"打印模板 {where}{at_zh}: {zh}{extra}",
                                   "en": f"print template {where}{at_en}: {en}{extra}"},
                            [detail(f"print_templates.{where.rsplit('.', 1)[-1]}", zh + extra, en + extra,
                                    line=line)])
