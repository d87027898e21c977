"""Errors are data: one shape everywhere, ``{code, message: {zh, en}, details: [{path, message}]}``.

The API, the CLI and (later) the designer all show the same thing. ``status`` is the HTTP status the
API answers with.
"""
from __future__ import annotations

from typing import Any


def msg(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


class JimuError(Exception):
    status = 400

    def __init__(self, code: str, message: dict[str, str], details: list[dict[str, Any]] | None = None,
                 status: int | None = None) -> None:
        super().__init__(message.get("en", code))
        self.code = code
        self.message = message
        self.details = details or []
        if status is not None:
            self.status = status

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationFailed(JimuError):
    status = 422


class NotFound(JimuError):
    status = 404


class Conflict(JimuError):
    status = 409


class Forbidden(JimuError):
    status = 403


def detail(path: str, zh: str, en: str, **extra: Any) -> dict[str, Any]:
    return {"path": path, "message": msg(zh, en), **extra}
