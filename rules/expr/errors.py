"""ExprError: the one error type of the expression language, raised when text does not parse or does
not type-check (never for a value: ``1/0`` is the value #DIV/0!, not an exception).

Codes are stable; the designer, the bundle checker, the API and ``jimu eval`` all show the same
bilingual message with the line, the column and a caret under the spot.
"""
from __future__ import annotations

import unicodedata
from typing import Any

PARSE = "expr.E001"  # the text does not parse
UNKNOWN_FIELD = "expr.E002"
UNKNOWN_FUNCTION = "expr.E003"
ARG_COUNT = "expr.E004"
TYPE = "expr.E005"
TOO_COMPLEX = "expr.E006"  # too long or nested too deeply

_EXCERPT_SPAN = 60  # characters shown either side of the caret on a long line


class ExprError(Exception):
    """``code``, ``message`` ({"zh", "en"}, each starting with the location), ``line`` and
    ``column`` (1-based, in characters; None when the error has no place) and ``excerpt`` (the
    source line with a caret under the column)."""

    def __init__(self, code: str, message: dict[str, str], line: int | None = None,
                 column: int | None = None, excerpt: str = "") -> None:
        super().__init__(message["en"])
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.excerpt = excerpt

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": dict(self.message), "line": self.line,
                "column": self.column, "excerpt": self.excerpt}

    def __str__(self) -> str:
        text = f"{self.code}: {self.message['zh']}\n{self.code}: {self.message['en']}"
        return f"{text}\n{self.excerpt}" if self.excerpt else text


def error_at(code: str, source: str, line: int | None, column: int | None, zh: str, en: str) -> ExprError:
    """An ExprError whose messages start with the place: "第1行第9列: ..." / "line 1, column 9: ..."."""
    if line is None or column is None:
        return ExprError(code, {"zh": zh, "en": en})
    return ExprError(
        code,
        {"zh": f"第{line}行第{column}列: {zh}", "en": f"line {line}, column {column}: {en}"},
        line,
        column,
        excerpt(source, line, column),
    )


def excerpt(source: str, line: int, column: int) -> str:
    """The source line and a caret under ``column``. Wide (CJK) characters take two terminal cells,
    so the caret is padded by display width; a long line is cut to a window around the column."""
    lines = source.splitlines() or [""]
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    col = max(column - 1, 0)
    start = max(col - _EXCERPT_SPAN, 0)
    end = min(col + _EXCERPT_SPAN, len(text))
    head = "..." if start > 0 else ""
    tail = "..." if end < len(text) else ""
    shown = text[start:end]
    pad = len(head) + sum(_width(ch) for ch in text[start:col])
    return f"{head}{shown}{tail}\n{' ' * pad}^"


def _width(ch: str) -> int:
    if ch == "\t":
        return 1
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
