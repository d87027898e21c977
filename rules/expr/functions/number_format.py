"""Excel number-format codes for TEXT (and the grouping FIXED shares).

Supported: up to four sections ``positive;negative;zero;text``; digit placeholders ``0 # ?``; the
decimal point; ``,`` as thousands separator (or, trailing, as a /1000 scale); ``%``; ``E+00``;
quoted text, ``\\x`` escapes and ``_x`` spacing; ``@``; ``General``/``G/通用格式``; colours and other
``[...]`` codes are dropped except ``[$¥-804]`` (its currency text) and elapsed ``[h] [m] [s]``.
Dates and times: ``yy yyyy m mm mmm mmmm mmmmm d dd ddd dddd aaa aaaa h hh m mm s ss .0``
with ``AM/PM``, ``A/P`` and ``上午/下午``; ``m`` after ``h`` or before ``s`` means minutes.
Not supported: fractions (``# ?/?``), conditions like ``[>100]``, fill (``*x``, dropped).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, NamedTuple

from ..values import MAX_TEXT_LENGTH, NUM, VALUE, ExcelError, number_to_text, text_to_number, to_text
from .date_coercion import from_serial, parse_temporal, to_serial
from .numbers import round_to

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CN_DAYS = "一二三四五六日"
_DATE_LETTERS = "ymdhs"
_AMPM_CODES = ("AM/PM", "A/P", "上午/下午")
_MAX_NUMBER_DIGITS = 400


class Tok(NamedTuple):
    kind: str  # lit, digit, point, comma, pct, exp, text, general, y m d h s, ampm, elapsed, wday, frac
    text: str = ""
    n: int = 0


def split_sections(fmt: str) -> list[str]:
    sections, current, i = [], [], 0
    while i < len(fmt):
        c = fmt[i]
        if c == '"':
            j = fmt.find('"', i + 1)
            j = len(fmt) if j < 0 else j + 1
            current.append(fmt[i:j])
            i = j
            continue
        if c == "\\" and i + 1 < len(fmt):
            current.append(fmt[i:i + 2])
            i += 2
            continue
        if c == ";":
            sections.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    sections.append("".join(current))
    return sections


def tokenize(section: str) -> list[Tok]:
    toks: list[Tok] = []
    i, n = 0, len(section)
    while i < n:
        c = section[i]
        low = c.lower()
        if c == '"':
            j = section.find('"', i + 1)
            j = n if j < 0 else j
            toks.append(Tok("lit", section[i + 1:j]))
            i = j + 1
        elif c == "\\" or c == "_":
            if i + 1 < n:
                toks.append(Tok("lit", section[i + 1] if c == "\\" else " "))
            i += 2
        elif c == "*":
            i += 2  # fill character: no column width to fill in text
        elif c == "[":
            j = section.find("]", i)
            j = n if j < 0 else j
            toks.extend(_bracket(section[i + 1:j]))
            i = j + 1
        elif c in "0#?":
            toks.append(Tok("digit", c))
            i += 1
        elif c == ".":
            toks.append(Tok("point", "."))
            i += 1
        elif c == ",":
            toks.append(Tok("comma", ","))
            i += 1
        elif c == "%":
            toks.append(Tok("pct", "%"))
            i += 1
        elif c == "@":
            toks.append(Tok("text"))
            i += 1
        elif low == "e" and i + 1 < n and section[i + 1] in "+-":
            toks.append(Tok("exp", section[i + 1]))
            i += 2
        elif section[i:i + 7].lower() == "general" or section.startswith("G/通用格式", i):
            toks.append(Tok("general"))
            i += 7 if section[i:i + 7].lower() == "general" else 6
        elif (code := next((a for a in _AMPM_CODES if section[i:i + len(a)].upper() == a), None)) is not None:
            toks.append(Tok("ampm", section[i:i + len(code)]))
            i += len(code)
        elif low in _DATE_LETTERS or low == "a":
            j = i
            while j < n and section[j].lower() == low:
                j += 1
            if low == "a" and j - i < 3:  # a lone "a" is just a letter
                toks.append(Tok("lit", section[i:j]))
            else:
                toks.append(Tok("wday" if low == "a" else low, section[i:j], j - i))
            i = j
        else:
            toks.append(Tok("lit", c))
            i += 1
    return toks


def _bracket(code: str) -> list[Tok]:
    low = code.lower()
    if low and low[0] in "hms" and set(low) == {low[0]}:
        return [Tok("elapsed", low[0], len(low))]
    if code.startswith("$"):  # [$¥-804]: the currency text before the locale id
        return [Tok("lit", code[1:].split("-", 1)[0])]
    return []  # colours, conditions, locale ids


_DATE_KINDS = frozenset({"y", "m", "d", "h", "s", "ampm", "elapsed", "wday"})


def is_date_format(toks: list[Tok]) -> bool:
    """Date codes make a date format, unless digit placeholders (other than the ``.000`` of
    seconds) say it is a number format with some letters in it: "0 days" shows 5 as "5 days"."""
    if not any(t.kind in _DATE_KINDS for t in toks):
        return False
    fraction = _seconds_fraction(toks)
    return not any(t.kind == "digit" and i not in fraction for i, t in enumerate(toks))


# --- the entry point -------------------------------------------------------------------------------

def format_value(value: Any, fmt: str) -> str | ExcelError:
    sections = split_sections(fmt)
    parsed = [tokenize(s) for s in sections]
    t = type(value)
    if t is ExcelError:
        return value
    if t is bool:
        return "TRUE" if value else "FALSE"
    if t is str:
        n = text_to_number(value)
        if n is not None:
            value, t = n, Decimal
        else:
            when = parse_temporal(value)
            if when is None or not any(is_date_format(p) for p in parsed[:3]):
                return _format_text(value, parsed)
            value, t = when, type(when)
    if t in (dt.date, dt.datetime, dt.time):
        section = parsed[0]
        if is_date_format(section):
            return _bounded(_format_date(value, section))
        if all(any(tok.kind == "text" for tok in p) for p in parsed):  # "@": the date as text
            return _format_text(to_text(value), parsed)
        value, t = to_serial(value), Decimal
    if value is None:
        if is_date_format(parsed[0]):
            return ""  # a date never filled in shows nothing, not Excel's 1900-01-00
        value, t = Decimal(0), Decimal
    if t is int or t is float:
        value, t = Decimal(str(value)), Decimal
    if t is not Decimal:
        return VALUE
    return _format_number_sections(value, parsed)


def _bounded(s: str | ExcelError) -> str | ExcelError:
    return VALUE if type(s) is str and len(s) > MAX_TEXT_LENGTH else s


def _format_text(s: str, parsed: list[list[Tok]]) -> str | ExcelError:
    """Text goes through a text section (the fourth, or any section holding ``@``), else unchanged."""
    section = parsed[3] if len(parsed) >= 4 else next((p for p in parsed if any(t.kind == "text" for t in p)),
                                                      None)
    if section is None:
        return s
    out = [s if t.kind == "text" else t.text for t in section if t.kind in ("lit", "text")]
    return _bounded("".join(out))


def _format_number_sections(x: Decimal, parsed: list[list[Tok]]) -> str | ExcelError:
    # A section holding "@" is for text ("0.00;@"); the rest choose by sign.
    numeric = [p for p in parsed[:3] if not any(t.kind == "text" for t in p)]
    if not numeric:  # only a text section ("@"): the number as General shows it
        return _format_text(number_to_text(x), parsed)
    if len(numeric) == 1:
        section, signed = numeric[0], True
    elif x < 0:
        section, signed, x = numeric[1], False, -x
    elif x == 0 and len(numeric) >= 3:
        section, signed = numeric[2], False
    else:
        section, signed = numeric[0], False
    if is_date_format(section):
        if x < 0:
            return VALUE
        when = from_serial(x)
        return when if type(when) is ExcelError else _bounded(_format_date(when, section))
    if not section:
        return ""
    return _bounded(format_number(x, section, signed))


# --- numbers ---------------------------------------------------------------------------------------

def group_thousands(digits: str) -> str:
    head = len(digits) % 3 or 3
    return ",".join([digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)])


def format_number(x: Decimal, toks: list[Tok], signed: bool) -> str | ExcelError:
    if any(t.kind == "general" for t in toks):
        general = number_to_text(abs(x) if not signed else x)
        shown = (t for t in toks if t.kind in ("lit", "general"))
        return "".join(general if t.kind == "general" else t.text for t in shown)
    digit_idx = [i for i, t in enumerate(toks) if t.kind == "digit"]
    if any(t.kind == "lit" and t.text == "/" and digit_idx and digit_idx[0] < i < digit_idx[-1]
           for i, t in enumerate(toks)):
        return number_to_text(x if signed else abs(x))  # fractions ("# ?/?") are not supported
    exp_at = next((i for i, t in enumerate(toks) if t.kind == "exp"), len(toks))
    point_at = next((i for i, t in enumerate(toks) if t.kind == "point" and i < exp_at), None)
    int_end = point_at if point_at is not None else exp_at
    int_ph = [i for i in digit_idx if i < int_end]
    frac_ph = [i for i in digit_idx if int_end < i < exp_at]
    exp_ph = [i for i in digit_idx if i > exp_at]

    grouping, scale, comma_lit = False, 0, set()
    last_digit = max((j for j in digit_idx if j < exp_at), default=-1)
    for i, t in enumerate(toks):
        if t.kind != "comma":
            continue
        if int_ph and int_ph[0] < i < int_ph[-1]:
            grouping = True
        elif digit_idx and digit_idx[0] < i < exp_at and i > last_digit:
            scale += 1  # "#,##0," and "0.0,,": trailing commas divide by a thousand each
        else:
            comma_lit.add(i)

    v = abs(x)
    pct = sum(1 for t in toks if t.kind == "pct")
    if pct or scale:
        v = v.scaleb(2 * pct - 3 * scale)
    if v and v.adjusted() > _MAX_NUMBER_DIGITS:
        return NUM
    exponent = 0
    if exp_at < len(toks):
        if v:
            exponent = v.adjusted() - max(len(int_ph), 1) + 1
            v = v.scaleb(-exponent)
            q = round_to(v, len(frac_ph))
            if q.adjusted() >= max(len(int_ph), 1):  # 9.99 rounded up to 10.0
                exponent += 1
                v = v.scaleb(-1)
    q = round_to(v, len(frac_ph))
    int_str, _, frac_str = format(q, "f").partition(".")
    int_digits = int_str.lstrip("0")
    frac_digits = frac_str.ljust(len(frac_ph), "0")[: len(frac_ph)]

    out: dict[int, str] = {}
    if grouping:
        first_zero = next((k for k, i in enumerate(int_ph) if toks[i].text == "0"), len(int_ph))
        body = int_digits.rjust(len(int_ph) - first_zero, "0")
        out[int_ph[0]] = group_thousands(body) if body else ""
        for i in int_ph[1:]:
            out[i] = ""
    elif int_ph:
        rest = int_digits
        for i in reversed(int_ph):
            if rest:
                out[i], rest = rest[-1], rest[:-1]
            else:
                out[i] = {"0": "0", "?": " ", "#": ""}[toks[i].text]
        out[int_ph[0]] = rest + out[int_ph[0]]
    lead = "" if int_ph else int_digits  # ".00" still shows the integer part before the point

    trimming = True
    for k in range(len(frac_ph) - 1, -1, -1):
        i, d = frac_ph[k], frac_digits[k]
        if trimming and d == "0" and toks[i].text in "#?":
            out[i] = "" if toks[i].text == "#" else " "
        else:
            trimming = False
            out[i] = d
    if exp_ph:
        e_digits = str(abs(exponent)).rjust(sum(1 for i in exp_ph if toks[i].text == "0"), "0")
        out[exp_ph[0]] = e_digits
        for i in exp_ph[1:]:
            out[i] = ""

    parts = []
    lead_done = not lead
    for i, t in enumerate(toks):
        if not lead_done and (t.kind in ("point", "digit") or i >= exp_at):
            parts.append(lead)
            lead_done = True
        if t.kind == "digit":
            parts.append(out.get(i, ""))
        elif t.kind == "exp":
            sign = "-" if exponent < 0 else ("+" if t.text == "+" else "")
            parts.append("E" + sign)
        elif t.kind == "comma":
            if i in comma_lit:
                parts.append(",")
        elif t.kind in ("lit", "point", "pct") or t.kind in _DATE_KINDS:
            parts.append(t.text)
    if not lead_done:
        parts.append(lead)
    text = "".join(parts)
    if signed and x < 0 and q != 0:
        text = "-" + text
    return text


# --- dates and times ---------------------------------------------------------------------------------

def _format_date(value: dt.date | dt.datetime | dt.time, toks: list[Tok]) -> str:
    if type(value) is dt.time:
        when = dt.datetime.combine(dt.date(1899, 12, 30), value)
    elif type(value) is dt.date:
        when = dt.datetime(value.year, value.month, value.day)
    else:
        when = value
    twelve = any(t.kind == "ampm" for t in toks)
    codes = [i for i, t in enumerate(toks) if t.kind in ("y", "m", "d", "h", "s", "elapsed", "wday")]
    parts = []
    fraction = _seconds_fraction(toks)
    position = {i: k for k, i in enumerate(codes)}
    for i, t in enumerate(toks):
        k = t.kind
        if k == "y":
            parts.append(f"{when.year % 100:02d}" if t.n <= 2 else f"{when.year:04d}")
        elif k == "m":
            if _is_minute(toks, codes, position[i]):
                parts.append(f"{when.minute:02d}" if t.n >= 2 else str(when.minute))
            elif t.n <= 2:
                parts.append(f"{when.month:02d}" if t.n == 2 else str(when.month))
            else:
                name = _MONTHS[when.month - 1]
                parts.append(name[:3] if t.n == 3 else (name if t.n == 4 else name[0]))
        elif k == "d":
            if t.n <= 2:
                parts.append(f"{when.day:02d}" if t.n == 2 else str(when.day))
            else:
                name = _DAYS[when.weekday()]
                parts.append(name[:3] if t.n == 3 else name)
        elif k == "wday":
            parts.append(_CN_DAYS[when.weekday()] if t.n == 3 else "星期" + _CN_DAYS[when.weekday()])
        elif k == "h":
            h = (when.hour % 12 or 12) if twelve else when.hour
            parts.append(f"{h:02d}" if t.n >= 2 else str(h))
        elif k == "s":
            parts.append(f"{when.second:02d}" if t.n >= 2 else str(when.second))
        elif k == "ampm":
            parts.append(_ampm(t.text, when.hour < 12))
        elif k == "elapsed":
            serial = to_serial(value)
            per_day = {"h": 24, "m": 1440, "s": 86400}[t.text]
            parts.append(str(int(serial * per_day)).rjust(t.n, "0"))
        elif k == "point" and i in fraction:
            zeros = 0
            while i + 1 + zeros < len(toks) and toks[i + 1 + zeros].kind == "digit":
                zeros += 1
            parts.append("." + f"{when.microsecond:06d}"[:zeros] if zeros else ".")
        elif k == "digit" and i in fraction:
            continue  # consumed by the fractional seconds above
        elif k in ("lit", "point", "pct", "comma", "digit"):
            parts.append(t.text)
        elif k == "text":
            parts.append(to_text(value) if type(value) is not dt.time else value.isoformat())
    return "".join(parts)


def _is_minute(toks: list[Tok], codes: list[int], k: int) -> bool:
    """Is the ``m`` that is the k-th date code a minute (right after an hour, or before seconds)?"""
    before = toks[codes[k - 1]] if k > 0 else None
    after = toks[codes[k + 1]] if k + 1 < len(codes) else None
    return _is_unit(before, "h") or _is_unit(after, "s")


def _is_unit(t: Tok | None, unit: str) -> bool:
    return t is not None and (t.kind == unit or (t.kind == "elapsed" and t.text == unit))


def _seconds_fraction(toks: list[Tok]) -> set[int]:
    """Positions of the ``.000`` (point and digits) right after a seconds code, in one pass."""
    out: set[int] = set()
    for i, t in enumerate(toks):
        if t.kind == "point" and i > 0 and _is_unit(toks[i - 1], "s"):
            out.add(i)
        elif t.kind == "digit" and i - 1 in out:
            out.add(i)
    return out


def _ampm(code: str, morning: bool) -> str:
    if code == "上午/下午":
        return "上午" if morning else "下午"
    am, pm = code.split("/")
    return am if morning else pm
