"""An autonumber's pattern: read once, checked when the bundle loads, rendered for each new record.

``"QT-{YYYY}{MM}-{seq:4}"`` is literal text around tokens: {YYYY} {YY} {MM} {DD} of the business's
local date and one {seq:N}, the sequence zero-padded to N digits (wider when it outgrows them).
The sequence restarts each ``reset`` period; by default the smallest period the pattern shows.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.platform.clock import local_date  # noqa: F401 - numbers' dates, as every date

DATE_TOKENS = {"YYYY": lambda d: f"{d.year:04d}", "YY": lambda d: f"{d.year % 100:02d}",
               "MM": lambda d: f"{d.month:02d}", "DD": lambda d: f"{d.day:02d}"}
RESETS = ("never", "year", "month", "day")
MAX_SEQ_DIGITS = 18  # a 64-bit counter never needs more
_SEQ = re.compile(r"^seq(?::(\d+))?$")
_PIECE = re.compile(r"\{([^{}]*)\}|([{}])|([^{}]+)")
# the tokens a reset period needs in the pattern, or numbers of two periods would look the same
_PERIOD_NEEDS = {"year": ("year",), "month": ("year", "MM"), "day": ("year", "MM", "DD")}
_PERIOD_KEY = {"never": lambda d: "all", "year": lambda d: f"{d.year:04d}",
               "month": lambda d: f"{d.year:04d}-{d.month:02d}", "day": lambda d: d.isoformat()}

Problem = tuple[str, tuple, str, str]  # (code, path inside the field definition, zh, en)


@dataclass(frozen=True)
class Seq:
    digits: int


@dataclass(frozen=True)
class DatePart:
    token: str  # a key of DATE_TOKENS


@dataclass(frozen=True)
class NumberPattern:
    pieces: tuple[str | DatePart | Seq, ...]  # literal text, a part of the date, or the sequence
    reset: str
    start: int
    timezone: str | None  # None: the platform's zone

    def period(self, day: dt.date) -> str:
        """The counter's key for ``day``: numbers restart when it changes."""
        return _PERIOD_KEY[self.reset](day)

    def render(self, day: dt.date, n: int) -> str:
        out = []
        for p in self.pieces:
            if isinstance(p, Seq):
                out.append(str(n).zfill(p.digits))
            elif isinstance(p, DatePart):
                out.append(DATE_TOKENS[p.token](day))
            else:
                out.append(p)
        return "".join(out)


def _read(text: str) -> Iterator[tuple[str, str]]:
    """(kind, text) pieces: ("token", name), ("brace", "{" or "}") for a stray brace, ("text", ...)."""
    for m in _PIECE.finditer(text):
        token, brace, literal = m.groups()
        if token is not None:
            yield "token", token
        elif brace is not None:
            yield "brace", brace
        else:
            yield "text", literal


def _tokens(text: str) -> list[str]:
    return [t for kind, t in _read(text) if kind == "token"]


def _has(tokens: list[str], need: str) -> bool:
    return ("YYYY" in tokens or "YY" in tokens) if need == "year" else need in tokens


def default_reset(text: str) -> str:
    tokens = _tokens(text)
    for period, token in (("day", "DD"), ("month", "MM")):
        if token in tokens:
            return period
    return "year" if _has(tokens, "year") else "never"


def problems(fd: Mapping[str, Any]) -> Iterator[Problem]:
    """What is wrong with an autonumber definition that its JSON Schema cannot say. Keys of the wrong
    shape are the schema's to report, so they are skipped here."""
    text = fd.get("pattern")
    if isinstance(text, str) and text:
        yield from _pattern_problems(text, fd.get("reset"))
    tz = fd.get("timezone")
    if isinstance(tz, str) and tz and not _zone_exists(tz):
        yield ("autonumber.E005", ("timezone",), f"未知的时区 {tz!r}, 应为 IANA 时区名, 如 Asia/Shanghai",
               f"unknown time zone {tz!r}; use an IANA zone name such as Asia/Shanghai")
    for key in ("required", "default", "default_expr"):
        if fd.get(key) not in (None, False):
            yield ("autonumber.E006", (key,), f"自动编号由系统在保存时生成, 不能设置 {key}",
                   f"an autonumber is filled in by the system when a record is saved; it cannot have {key}")


def _pattern_problems(text: str, reset: Any) -> Iterator[Problem]:
    """A pattern that does not read is reported alone: what it lacks would only follow from that."""
    unread = list(_piece_problems(text))
    yield from unread
    if unread:
        return
    at = ("pattern",)
    seqs = sum(1 for kind, piece in _read(text) if kind == "token" and _SEQ.match(piece))
    if seqs == 0:
        yield ("autonumber.E002", at, f"编号格式 {text!r} 中缺少序号 {{seq:N}}, 如 \"QT-{{YYYY}}{{MM}}-{{seq:4}}\"",
               f"the pattern {text!r} has no sequence {{seq:N}}, e.g. \"QT-{{YYYY}}{{MM}}-{{seq:4}}\"")
    elif seqs > 1:
        yield ("autonumber.E002", at, f"编号格式 {text!r} 中只能有一个序号 {{seq:N}}",
               f"the pattern {text!r} must have exactly one sequence {{seq:N}}")
    given = reset in RESETS
    period = reset if given else default_reset(text)
    tokens = _tokens(text)
    missing = [n for n in _PERIOD_NEEDS.get(period, ()) if not _has(tokens, n)]
    if missing:
        shown = "".join("{YYYY}" if n == "year" else "{" + n + "}" for n in _PERIOD_NEEDS[period])
        zh_period = {"year": "每年", "month": "每月", "day": "每天"}[period]
        where = ("reset",) if given else at
        hint_zh = "" if given else " (或设置 reset: never)"
        hint_en = "" if given else " (or set reset: never)"
        yield ("autonumber.E004", where,
               f"序号{zh_period}重新开始, 编号格式中需要有 {shown}{hint_zh}, 否则不同时期会出现相同的编号",
               f"the sequence restarts every {period}, so the pattern needs {shown}{hint_en}; otherwise numbers "
               "of different periods would repeat")


def _piece_problems(text: str) -> Iterator[Problem]:
    at = ("pattern",)
    for kind, piece in _read(text):
        if kind == "brace":
            yield ("autonumber.E001", at, f"编号格式 {text!r} 中有不成对的花括号 {piece!r}",
                   f"the pattern {text!r} has an unmatched brace {piece!r}")
        elif kind == "token" and piece not in DATE_TOKENS:
            m = _SEQ.match(piece)
            if m is None:
                known = list(DATE_TOKENS) + ["seq:N"]
                guess = difflib.get_close_matches(piece.upper() if piece.upper() in DATE_TOKENS else piece,
                                                  known, n=1, cutoff=0.5)
                hint_zh = f", 是否应为 {{{guess[0]}}}?" if guess else ""
                hint_en = f"; did you mean {{{guess[0]}}}?" if guess else ""
                yield ("autonumber.E001", at,
                       f"编号格式中的 {{{piece}}} 无法识别 (可用: {{YYYY}} {{YY}} {{MM}} {{DD}} {{seq:N}}){hint_zh}",
                       f"the pattern has an unknown token {{{piece}}} (known: {{YYYY}} {{YY}} {{MM}} {{DD}} "
                       f"{{seq:N}}){hint_en}")
            elif not 1 <= int(m.group(1) or 1) <= MAX_SEQ_DIGITS:
                yield ("autonumber.E003", at, f"{{{piece}}} 的位数应在 1 到 {MAX_SEQ_DIGITS} 之间",
                       f"{{{piece}}}: the number of digits must be between 1 and {MAX_SEQ_DIGITS}")


def _zone_exists(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True




def compile_pattern(fd: Mapping[str, Any]) -> NumberPattern:
    """The runtime form of a checked definition (the bundle checker has reported any problem)."""
    return _compile(fd["pattern"], fd.get("reset"), fd.get("start", 1), fd.get("timezone"))


@lru_cache(maxsize=256)
def _compile(text: str, reset: str | None, start: int, timezone: str | None) -> NumberPattern:
    pieces: list[str | DatePart | Seq] = []
    for kind, piece in _read(text):
        if kind != "token":
            pieces.append(piece)
        elif piece in DATE_TOKENS:
            pieces.append(DatePart(piece))
        else:
            m = _SEQ.match(piece)
            assert m is not None, "the bundle checker refuses unknown tokens"
            pieces.append(Seq(int(m.group(1) or 1)))
    return NumberPattern(tuple(pieces), reset or default_reset(text), int(start), timezone)
