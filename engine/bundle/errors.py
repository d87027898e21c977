"""Problems found in a bundle are data: a stable code, where (file, JSON path, line) and a zh/en message.

``BundleError`` is one finding (an error or a warning); ``BundleInvalid`` is the exception that carries
them all at once, in the kernel's ``JimuError`` shape, for callers that must stop (the API, the compiler).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import ValidationFailed, msg

Severity = Literal["error", "warning", "info"]  # info: how the platform will treat something, no fault
# One step of a JSON path: a mapping key or a list index.
PathPart = str | int

_PLAIN_KEY = re.compile(r"^[^\W\d]\w*$")


def json_path(parts: Sequence[PathPart]) -> str:
    """``("fields", 3, "type")`` -> ``$.fields[3].type``; keys that are not plain names are quoted."""
    out = ["$"]
    for p in parts:
        if isinstance(p, int):
            out.append(f"[{p}]")
        elif _PLAIN_KEY.match(p):
            out.append(f".{p}")
        else:
            out.append("[" + repr(p) + "]")
    return "".join(out)


@dataclass(frozen=True)
class BundleError:
    code: str
    file: str
    path: str
    line: int | None
    message: dict[str, str] = field(compare=False)
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "file": self.file, "path": self.path, "line": self.line,
                "message": dict(self.message), "severity": self.severity}

    def format(self) -> str:
        """``FILE:JSON_PATH: 中文 / English (line N)`` — the CLI's one line per problem."""
        text = f"{self.file}:{self.path}: {self.message['zh']} / {self.message['en']}"
        if self.line is not None:
            text += f" (line {self.line})"
        return text if self.is_error else f"{self.severity}: " + text


def problem(code: str, file: str, parts: Sequence[PathPart] | str, line: int | None, zh: str, en: str,
            severity: Severity = "error") -> BundleError:
    path = parts if isinstance(parts, str) else json_path(parts)
    return BundleError(code, file, path, line, msg(zh, en), severity)


class BundleInvalid(ValidationFailed):
    """Raised when a bundle cannot be used; ``errors`` holds every problem, ``details`` the same as dicts."""

    def __init__(self, errors: Sequence[BundleError]) -> None:
        self.errors = list(errors)
        n = sum(1 for e in self.errors if e.is_error)
        super().__init__("bundle.invalid", msg(f"应用包有 {n} 个错误", f"the bundle has {n} error(s)"),
                         details=[e.to_dict() for e in self.errors])


def seed_invalid(errors: Sequence[BundleError]) -> ValidationFailed:
    """What install raises when its seed data cannot be loaded: every problem with file, path and line."""
    n = len(errors)
    return ValidationFailed("seed.invalid", msg(f"种子数据有 {n} 个错误, 未安装任何内容",
                                                f"the seed data has {n} error(s); nothing was installed"),
                            details=[e.to_dict() for e in errors])
