"""Text functions. Positions and lengths count characters from 1, as Excel does; no function builds
text longer than ``MAX_TEXT_LENGTH`` (it returns #VALUE! instead)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..types import ANY, BOOLEAN, NUMBER, TEXT
from ..values import (
    MAX_TEXT_LENGTH,
    VALUE,
    ZERO,
    ExcelError,
    number_to_text,
    text_to_number,
    to_bool,
    to_decimal,
    to_text,
)
from .date_coercion import parse_temporal, to_serial
from .define import define, many, opt, req
from .number_format import format_value, group_thousands
from .numbers import int_arg, number, round_to
from .wildcards import Wildcard

_LISTS = (tuple, list)
MAX_PATTERN_LENGTH = 255  # Excel's limit for wildcard patterns; keeps SEARCH's cost bounded


def text_of(v: Any) -> str | ExcelError:
    t = type(v)
    if t is int or t is float:
        return number_to_text(to_decimal(v))
    return to_text(v)


def _bounded(s: str) -> str | ExcelError:
    return s if len(s) <= MAX_TEXT_LENGTH else VALUE


def _join(items: list[Any], sep: str = "", skip_empty: bool = False) -> str | ExcelError:
    parts: list[str] = []
    size = 0
    for v in items:
        s = text_of(v)
        if type(s) is ExcelError:
            return s
        if skip_empty and s == "":
            continue
        size += len(s) + (len(sep) if parts else 0)
        if size > MAX_TEXT_LENGTH:
            return VALUE
        parts.append(s)
    return sep.join(parts)


def _spread(args: tuple) -> list[Any]:
    out: list[Any] = []
    for a in args:
        if type(a) in _LISTS:
            out.extend(a)
        else:
            out.append(a)
    return out


def _concat(*args: Any) -> str | ExcelError:
    return _join(_spread(args))


def _textjoin(delimiter: Any, ignore_empty: Any, *texts: Any) -> str | ExcelError:
    sep = text_of(delimiter)
    if type(sep) is ExcelError:
        return sep
    skip = to_bool(ignore_empty)
    if type(skip) is ExcelError:
        return skip
    return _join(_spread(texts), sep, skip)


def _texts(*vals: Any) -> list[str] | ExcelError:
    out = []
    for v in vals:
        s = text_of(v)
        if type(s) is ExcelError:
            return s
        out.append(s)
    return out


def _left(text: Any, num_chars: Any = Decimal(1)) -> str | ExcelError:
    s, n = text_of(text), int_arg(num_chars)
    if type(s) is ExcelError:
        return s
    if type(n) is ExcelError:
        return n
    return VALUE if n < 0 else s[:n]


def _right(text: Any, num_chars: Any = Decimal(1)) -> str | ExcelError:
    s, n = text_of(text), int_arg(num_chars)
    if type(s) is ExcelError:
        return s
    if type(n) is ExcelError:
        return n
    if n < 0:
        return VALUE
    return s[len(s) - n:] if n < len(s) else s


def _mid(text: Any, start_num: Any, num_chars: Any) -> str | ExcelError:
    s, start, n = text_of(text), int_arg(start_num), int_arg(num_chars)
    for v in (s, start, n):
        if type(v) is ExcelError:
            return v
    if start < 1 or n < 0:
        return VALUE
    return s[start - 1:start - 1 + n]


def _len(text: Any) -> Decimal | ExcelError:
    s = text_of(text)
    return s if type(s) is ExcelError else Decimal(len(s))


def _upper(text: Any) -> str | ExcelError:
    s = text_of(text)
    return s if type(s) is ExcelError else s.upper()


def _lower(text: Any) -> str | ExcelError:
    s = text_of(text)
    return s if type(s) is ExcelError else s.lower()


def _proper(text: Any) -> str | ExcelError:
    """First letter of every run of letters upper-case, the rest lower ("it's" -> "It'S", as Excel)."""
    s = text_of(text)
    if type(s) is ExcelError:
        return s
    out, after_letter = [], False
    for c in s:
        if c.isalpha():
            out.append(c.lower() if after_letter else c.upper())
            after_letter = True
        else:
            out.append(c)
            after_letter = False
    return "".join(out)


def _trim(text: Any) -> str | ExcelError:
    """Only the ordinary space is trimmed, and inner runs of it collapse to one (Excel's TRIM)."""
    s = text_of(text)
    return s if type(s) is ExcelError else " ".join(p for p in s.split(" ") if p)


def _substitute(text: Any, old_text: Any, new_text: Any, instance_num: Any = None) -> str | ExcelError:
    ts = _texts(text, old_text, new_text)
    if type(ts) is ExcelError:
        return ts
    s, old, new = ts
    if instance_num is not None:
        k = int_arg(instance_num)
        if type(k) is ExcelError:
            return k
        if k < 1:
            return VALUE
        if not old or k > s.count(old):
            return s
        pos = -len(old)
        for _ in range(k):
            pos = s.find(old, pos + len(old))
        return _bounded(s[:pos] + new + s[pos + len(old):])
    if not old:
        return s
    if len(s) + s.count(old) * (len(new) - len(old)) > MAX_TEXT_LENGTH:
        return VALUE  # checked before building: "a" * 32767 with "a" -> 32767 chars each would not fit
    return s.replace(old, new)


def _replace(old_text: Any, start_num: Any, num_chars: Any, new_text: Any) -> str | ExcelError:
    s, new = text_of(old_text), text_of(new_text)
    start, n = int_arg(start_num), int_arg(num_chars)
    for v in (s, new, start, n):
        if type(v) is ExcelError:
            return v
    if start < 1 or n < 0:
        return VALUE
    return _bounded(s[:start - 1] + new + s[start - 1 + n:])


def _find_args(find_text: Any, within_text: Any, start_num: Any) -> tuple[str, str, int] | ExcelError:
    """FIND's and SEARCH's arguments as (needle, text, 1-based start), or the first error."""
    ts = _texts(find_text, within_text)
    if type(ts) is ExcelError:
        return ts
    start = int_arg(start_num)
    if type(start) is ExcelError:
        return start
    return ts[0], ts[1], start


def _find(find_text: Any, within_text: Any, start_num: Any = Decimal(1)) -> Decimal | ExcelError:
    """Case-sensitive, no wildcards; no match is #VALUE!."""
    args = _find_args(find_text, within_text, start_num)
    if type(args) is ExcelError:
        return args
    needle, hay, start = args
    if start < 1 or start > len(hay):
        return VALUE
    pos = hay.find(needle, start - 1)
    return VALUE if pos < 0 else Decimal(pos + 1)


def _search(find_text: Any, within_text: Any, start_num: Any = Decimal(1)) -> Decimal | ExcelError:
    """Case-insensitive, with ``?`` and ``*`` wildcards (``~`` escapes them); no match is #VALUE!."""
    args = _find_args(find_text, within_text, start_num)
    if type(args) is ExcelError:
        return args
    needle, hay, start = args
    if start < 1 or start > len(hay) or len(needle) > MAX_PATTERN_LENGTH:
        return VALUE
    pos = Wildcard(needle).search(hay, start - 1)
    return VALUE if pos < 0 else Decimal(pos + 1)


def _rept(text: Any, number_times: Any) -> str | ExcelError:
    s, n = text_of(text), int_arg(number_times)
    if type(s) is ExcelError:
        return s
    if type(n) is ExcelError:
        return n
    if n < 0 or len(s) * n > MAX_TEXT_LENGTH:
        return VALUE
    return s * n


def _exact(text1: Any, text2: Any) -> bool | ExcelError:
    ts = _texts(text1, text2)
    return ts if type(ts) is ExcelError else ts[0] == ts[1]


_CURRENCY = "$¥￥€£"


def _value(text: Any) -> Decimal | ExcelError:
    """A number read from text: "1,234.5", "50%", "¥1,200", "(300)" (accounting negative), a date or a
    time (as Excel's serial number); anything else is #VALUE!."""
    t = type(text)
    if t is Decimal:
        return text
    if text is None:
        return ZERO
    if t in (dt.date, dt.datetime, dt.time):
        return to_serial(text)
    if t is int or t is float:
        return number(text)
    if t is ExcelError:
        return text
    if t is not str:
        return VALUE  # logicals too, as in Excel
    n = text_to_number(text)
    if n is not None:
        return n
    s = text.strip()
    negative = s.startswith("(") and s.endswith(")")
    if negative:
        s = s[1:-1].strip()
    sign = ""
    if s and s[0] in "+-":
        sign, s = s[0], s[1:].lstrip()
    if s[:1] and s[0] in _CURRENCY:
        n = text_to_number(sign + s[1:])
        if n is not None:
            return -n if negative else n
    elif negative:
        n = text_to_number(sign + s)
        if n is not None:
            return -n
    when = parse_temporal(text)
    if when is not None:
        return to_serial(when)
    return VALUE


def _text(value: Any, format_text: Any) -> str | ExcelError:
    fmt = text_of(format_text)
    if type(fmt) is ExcelError:
        return fmt
    if type(value) in _LISTS:
        return VALUE
    return format_value(value, fmt)


def _fixed(n: Any, decimals: Any = Decimal(2), no_commas: Any = False) -> str | ExcelError:
    x, places, plain = number(n), int_arg(decimals), to_bool(no_commas)
    for v in (x, places, plain):
        if type(v) is ExcelError:
            return v
    if places > 127:
        return VALUE
    q = round_to(x, places)
    if q and q.adjusted() > 400:
        return VALUE
    int_part, _, frac = format(abs(q), f".{max(places, 0)}f").partition(".")
    if not plain:
        int_part = group_thousands(int_part)
    s = int_part + ("." + frac if frac else "")
    return _bounded("-" + s if q < 0 else s)


TXT = "text"
_text_param = req("text", TEXT)

SPECS = (
    define("CONCATENATE", [many("text")], TEXT, _concat,
           "连接多个文本", "Joins several texts into one", TXT),
    define("CONCAT", [many("text")], TEXT, _concat,
           "连接多个文本或列表中的文本", "Joins texts, lists of texts included", TXT),
    define("TEXTJOIN", [req("delimiter", TEXT), req("ignore_empty", BOOLEAN), many("text")], TEXT, _textjoin,
           "用分隔符连接文本，可忽略空值",
           "Joins texts with a delimiter, optionally skipping empty ones", TXT),
    define("LEFT", [_text_param, opt("num_chars", NUMBER)], TEXT, _left,
           "从左边取指定个数的字符（默认 1）", "The first characters of a text (1 unless given)", TXT),
    define("RIGHT", [_text_param, opt("num_chars", NUMBER)], TEXT, _right,
           "从右边取指定个数的字符（默认 1）", "The last characters of a text (1 unless given)", TXT),
    define("MID", [_text_param, req("start_num", NUMBER), req("num_chars", NUMBER)], TEXT, _mid,
           "从指定位置起取指定个数的字符", "Characters from a text, starting at a position", TXT),
    define("LEN", [_text_param], NUMBER, _len, "文本的字符数", "The number of characters in a text", TXT),
    define("UPPER", [_text_param], TEXT, _upper, "转为大写", "Converts to upper case", TXT),
    define("LOWER", [_text_param], TEXT, _lower, "转为小写", "Converts to lower case", TXT),
    define("PROPER", [_text_param], TEXT, _proper,
           "每个单词首字母大写", "Capitalises the first letter of each word", TXT),
    define("TRIM", [_text_param], TEXT, _trim,
           "去掉首尾空格，并把中间连续空格合并为一个",
           "Removes leading and trailing spaces and collapses inner runs of spaces", TXT),
    define("SUBSTITUTE", [_text_param, req("old_text", TEXT), req("new_text", TEXT),
                          opt("instance_num", NUMBER)],
           TEXT, _substitute, "把文本中的旧文本替换为新文本（可只替换第几次出现）",
           "Replaces old text with new text (all occurrences, or only the n-th)", TXT),
    define("REPLACE", [req("old_text", TEXT), req("start_num", NUMBER), req("num_chars", NUMBER),
                       req("new_text", TEXT)], TEXT, _replace,
           "按位置替换文本中的一段字符", "Replaces characters at a position with new text", TXT),
    define("FIND", [req("find_text", TEXT), req("within_text", TEXT), opt("start_num", NUMBER)], NUMBER,
           _find,
           "查找文本的位置（区分大小写），找不到为 #VALUE!",
           "Position of a text inside another (case-sensitive); #VALUE! when absent", TXT),
    define("SEARCH", [req("find_text", TEXT), req("within_text", TEXT), opt("start_num", NUMBER)], NUMBER,
           _search, "查找文本的位置（不区分大小写，支持 ? 和 * 通配符），找不到为 #VALUE!",
           "Position of a text inside another (case-insensitive, ? and * wildcards); #VALUE! when absent",
           TXT),
    define("TEXT", [req("value"), req("format_text", TEXT)], TEXT, _text,
           "按格式代码把数字或日期转为文本（如 \"#,##0.00\"、\"yyyy-mm-dd\"）",
           "Formats a number or date as text with a format code (\"#,##0.00\", \"yyyy-mm-dd\")", TXT),
    define("FIXED", [req("number", NUMBER), opt("decimals", NUMBER), opt("no_commas", BOOLEAN)], TEXT, _fixed,
           "四舍五入到指定小数位并加千位分隔符，返回文本",
           "Rounds to the given decimals and adds thousands separators, as text", TXT),
    define("VALUE", [req("text", ANY)], NUMBER, _value,
           "把表示数字的文本转为数字（可含千位分隔符），否则为 #VALUE!",
           "Converts text that reads as a number (thousands separators allowed) to a number, else #VALUE!",
           TXT),
    define("REPT", [_text_param, req("number_times", NUMBER)], TEXT, _rept,
           "将文本重复指定次数", "Repeats a text a number of times", TXT),
    define("EXACT", [req("text1", TEXT), req("text2", TEXT)], BOOLEAN, _exact,
           "两段文本完全相同（区分大小写）时返回 TRUE",
           "TRUE when two texts are identical (case-sensitive)", TXT),
)
