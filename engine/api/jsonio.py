"""JSON in and out with exact decimals: request numbers parse as Decimal (never float), and
responses write Decimals as JSON numbers in their exact text."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import simplejson
from fastapi import Request
from fastapi.responses import JSONResponse

from ..errors import ValidationFailed, msg


class JimuJSONResponse(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return simplejson.dumps(content, use_decimal=True, ensure_ascii=False, separators=(",", ":"),
                                default=_default).encode("utf-8")


def _default(o: Any) -> Any:
    if hasattr(o, "isoformat"):
        return o.isoformat()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        raise ValidationFailed("request.E001", msg("请求体为空", "the request body is empty"),
                               [{"path": "body", "message": msg("应为 JSON", "expected JSON")}])
    try:
        return simplejson.loads(raw, use_decimal=True)
    except (ValueError, UnicodeDecodeError) as e:
        pos = getattr(e, "lineno", None), getattr(e, "colno", None)
        raise ValidationFailed("request.E002", msg("请求体不是合法的 JSON", "the request body is not valid JSON"),
                               [{"path": "body", "message": msg(str(e), str(e)), "line": pos[0],
                                 "column": pos[1]}]) from None


def dumps(content: Any) -> str:
    return simplejson.dumps(content, use_decimal=True, ensure_ascii=False, default=_default)


def loads(text: str | bytes) -> Any:
    return simplejson.loads(text, use_decimal=True)


__all__ = ["JimuJSONResponse", "json_body", "dumps", "loads", "Decimal"]
