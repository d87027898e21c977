"""What any request may carry, checked where input enters (issue 11 item 8), so no input reaches the
code below as something it cannot handle and ends in a 500:

- JSON (bodies, the ``filter`` parameter) nests at most MAX_JSON_DEPTH levels: parsers and every
  recursive walk after them would otherwise run out of stack on ``[[[[...]]]]``;
- text holds no NUL and no lone surrogate (``"\\ud800"`` is valid JSON but no valid Unicode text):
  PostgreSQL refuses NUL in text, UTF-8 cannot encode a lone surrogate, and both databases must
  answer alike; checked in JSON values (with their path), query parameters and the URL path;
- integers in JSON fit in 64 bits: nothing the platform stores is larger (ids are BIGINT, numbers
  are bounded by their fields well below), and the databases overflow on them.
Integer parameters of routes are bounded by their declarations (``deps.Id``, ``deps.Page``)."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from ..errors import ValidationFailed, msg
from ..fieldtypes import MAX_ID as INT64_MAX
from ..fieldtypes import text_problem

MAX_JSON_DEPTH = 32
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
# what may hide a NUL, a surrogate or a huge integer in JSON text; only then are values walked
_SUSPECT = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]|\d{19}")


def json_depth(raw: bytes) -> int:
    """How deep the JSON text nests (strings skipped): one pass in C over what is left of the text."""
    brackets = _STRINGS.sub(b"", raw).translate(None, _BRACKETS)
    depth = deepest = 0
    for b in brackets:
        if b in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def check_json_text(raw: bytes, where: str) -> None:
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and json_depth(raw) > MAX_JSON_DEPTH:
        raise ValidationFailed("request.E004", msg("JSON 嵌套过深", "the JSON nests too deeply"),
                               [{"path": where, "message": msg(f"最多嵌套 {MAX_JSON_DEPTH} 层",
                                                               f"at most {MAX_JSON_DEPTH} levels of nesting")}])


def check_json_values(raw: bytes, value: Any, where: str, root: str = "") -> None:
    """Every string and integer in a parsed JSON value, with its path; only walked when the text
    shows a suspect (so a large bulk body costs one regular-expression scan)."""
    if _SUSPECT.search(raw) is None:
        return
    problems: list[dict] = []
    stack: list[tuple[str, Any]] = [(root, value)]
    while stack:
        path, v = stack.pop()
        t = type(v)
        if t is dict:
            for k, x in v.items():
                p = f"{path}.{k}" if path else str(k)
                bad = text_problem(k)
                if bad is not None:
                    problems.append({"path": p, "message": bad})
                stack.append((p, x))
        elif t is list:
            stack.extend((f"{path}[{i}]", x) for i, x in enumerate(v))
        elif t is str:
            bad = text_problem(v)
            if bad is not None:
                problems.append({"path": path or where, "message": bad})
        elif t is int and abs(v) > INT64_MAX:
            problems.append({"path": path or where, "message": msg("整数超出范围", "the integer is too large")})
    if problems:
        problems.sort(key=lambda d: d["path"])
        raise ValidationFailed("request.E005", msg("请求中有无法保存的值",
                                                   "the request holds values that cannot be stored"), problems[:100])


class UrlCheckMiddleware:
    """Query parameters and the path: no NUL (``%00``) anywhere, before any route reads them."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            problems = _url_problems(scope)
            if problems:
                from .jsonio import JimuJSONResponse

                err = ValidationFailed("request.E006", msg("请求地址中有无法处理的字符",
                                                           "the request URL holds characters that cannot be used"),
                                       problems)
                await JimuJSONResponse(err.to_dict(), status_code=err.status)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _url_problems(scope) -> list[dict]:
    out = []
    if "\x00" in scope.get("path", ""):
        out.append({"path": "path", "message": text_problem("\x00")})
    query = scope.get("query_string") or b""
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                out.append({"path": f"query.{name.replace(chr(0), '')}", "message": text_problem("\x00")})
    return out
