"""JSON in and out with exact decimals: request numbers parse as Decimal (never float), and
responses write Decimals as JSON numbers in their exact text, or as JSON strings when the request
asks (``X-Jimu-Decimals: string`` or ``?decimals=string``): a JavaScript client reads a JSON number
as a double, and 9999999999999999.99 would lose its cents there."""
from __future__ import annotations

from contextvars import ContextVar
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import simplejson
from fastapi import Request
from fastapi.responses import JSONResponse

from ..errors import ValidationFailed, msg
from .input_limits import check_json_text, check_json_values

DECIMALS_HEADER = b"x-jimu-decimals"
_decimals_as_text: ContextVar[bool] = ContextVar("jimu_decimals_as_text", default=False)


class JimuJSONResponse(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if _decimals_as_text.get():  # every Decimal (money, number, percent, computed) as its exact text
            return simplejson.dumps(content, use_decimal=False, ensure_ascii=False, separators=(",", ":"),
                                    default=_default_text).encode("utf-8")
        return simplejson.dumps(content, use_decimal=True, ensure_ascii=False, separators=(",", ":"),
                                default=_default).encode("utf-8")


def _default(o: Any) -> Any:
    if hasattr(o, "isoformat"):
        return o.isoformat()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _default_text(o: Any) -> Any:
    if type(o) is Decimal:
        return format(o, "f")
    return _default(o)


def decimals_as_text(scope) -> bool:
    """Whether the request asks for decimals as strings (header or query flag)."""
    for name, value in scope.get("headers") or ():
        if name == DECIMALS_HEADER:
            return value.strip().lower() == b"string"
    query = scope.get("query_string") or b""
    if b"decimals=" not in query:
        return False
    return parse_qs(query.decode("latin-1")).get("decimals", [""])[-1].lower() == "string"


class DecimalsMiddleware:
    """Pure ASGI, so the flag is set in the context every endpoint (and its thread) renders in."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not decimals_as_text(scope):
            await self.app(scope, receive, send)
            return
        token = _decimals_as_text.set(True)
        try:
            await self.app(scope, receive, send)
        finally:
            _decimals_as_text.reset(token)


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        raise ValidationFailed("request.E001", msg("请求体为空", "the request body is empty"),
                               [{"path": "body", "message": msg("应为 JSON", "expected JSON")}])
    check_json_text(raw, "body")
    try:
        value = simplejson.loads(raw, use_decimal=True)
    except (ValueError, UnicodeDecodeError) as e:
        pos = getattr(e, "lineno", None), getattr(e, "colno", None)
        raise ValidationFailed("request.E002", msg("请求体不是合法的 JSON", "the request body is not valid JSON"),
                               [{"path": "body", "message": msg(str(e), str(e)), "line": pos[0],
                                 "column": pos[1]}]) from None
    check_json_values(raw, value, "body")
    return value


def query_json(text: str, where: str) -> Any:
    """A query parameter that holds JSON (``filter``), checked as a body is; ValueError when it is
    not JSON."""
    raw = text.encode("utf-8", "surrogatepass")
    check_json_text(raw, where)
    value = simplejson.loads(text, use_decimal=True)
    check_json_values(raw, value, where, root=where)
    return value


def dumps(content: Any) -> str:
    return simplejson.dumps(content, use_decimal=True, ensure_ascii=False, default=_default)


def loads(text: str | bytes) -> Any:
    return simplejson.loads(text, use_decimal=True)


__all__ = ["JimuJSONResponse", "json_body", "dumps", "loads", "Decimal"]
