"""Logical functions. IF, IFS, SWITCH and IFERROR are lazy: they evaluate only the branch they
choose, so ``IF(qty = 0, 0, total / qty)`` never divides by zero."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Sequence

from ..types import ANY, BOOLEAN, Type
from ..values import NA, VALUE, ExcelError, to_bool, values_equal
from .define import common_type, define, many, opt, req

Thunk = Callable[[], Any]
_LISTS = (tuple, list)


# --- choosing -----------------------------------------------------------------------------------

def _if(cond: Thunk, then: Thunk, otherwise: Thunk | None = None) -> Any:
    c = to_bool(cond())
    if type(c) is ExcelError:
        return c
    if c:
        return then()
    return otherwise() if otherwise is not None else False  # Excel: no else branch gives FALSE


def _ifs(*pairs: Thunk) -> Any:
    if len(pairs) % 2:
        return VALUE
    for i in range(0, len(pairs), 2):
        c = to_bool(pairs[i]())
        if type(c) is ExcelError:
            return c
        if c:
            return pairs[i + 1]()
    return NA


def _switch(expr: Thunk, *cases: Thunk) -> Any:
    subject = expr()
    if type(subject) is ExcelError:
        return subject
    pairs = len(cases) // 2
    for i in range(pairs):
        candidate = cases[2 * i]()
        same = values_equal(subject, candidate)
        if type(same) is ExcelError:
            return same
        if same:
            return cases[2 * i + 1]()
    if len(cases) % 2:  # a trailing default
        return cases[-1]()
    return NA


def _iferror(value: Thunk, fallback: Thunk) -> Any:
    v = value()
    return fallback() if type(v) is ExcelError else v


def _ifna(value: Thunk, fallback: Thunk) -> Any:
    v = value()
    return fallback() if v is NA else v


def _if_type(ts: Sequence[Type]) -> Type:
    if len(ts) < 2:
        return ANY
    return common_type(ts[1:3] if len(ts) >= 3 else [ts[1], BOOLEAN])


def _ifs_type(ts: Sequence[Type]) -> Type:
    return common_type(ts[1::2]) if len(ts) >= 2 else ANY


def _switch_type(ts: Sequence[Type]) -> Type:
    cases = ts[1:]
    results = [cases[2 * i + 1] for i in range(len(cases) // 2)]
    if len(cases) % 2:
        results.append(cases[-1])
    return common_type(results) if results else ANY


def _pair_type(ts: Sequence[Type]) -> Type:
    return common_type(ts[:2])


def _check_ifs(args: Sequence[Any]) -> dict[str, str] | None:
    if len(args) % 2:
        return {"zh": "IFS 的参数须成对出现（条件, 值）",
                "en": "IFS takes its arguments in pairs (condition, value)"}
    return None


def _check_switch(args: Sequence[Any]) -> dict[str, str] | None:
    if len(args) < 3:
        return {"zh": "SWITCH 至少需要表达式、一个匹配值和一个结果",
                "en": "SWITCH needs an expression, a value and a result"}
    return None


# --- combining logicals ---------------------------------------------------------------------------

def _logicals(args: tuple) -> list[bool] | ExcelError:
    """Direct arguments are coerced (a blank field is FALSE, text must read TRUE/FALSE); inside a list
    only logicals and numbers count, anything else is skipped (Excel's range rule)."""
    out: list[bool] = []
    for a in args:
        if type(a) in _LISTS:
            for v in a:
                t = type(v)
                if t is bool:
                    out.append(v)
                elif t is Decimal:
                    out.append(v != 0)
                elif t is ExcelError:
                    return v
        else:
            b = to_bool(a)
            if type(b) is ExcelError:
                return b
            out.append(b)
    if not out:
        return VALUE  # Excel: AND over nothing but text has no logical to combine
    return out


def _and(*args: Any) -> bool | ExcelError:
    bs = _logicals(args)
    return bs if type(bs) is ExcelError else all(bs)


def _or(*args: Any) -> bool | ExcelError:
    bs = _logicals(args)
    return bs if type(bs) is ExcelError else any(bs)


def _xor(*args: Any) -> bool | ExcelError:
    bs = _logicals(args)
    return bs if type(bs) is ExcelError else sum(bs) % 2 == 1


def _not(v: Any) -> bool | ExcelError:
    b = to_bool(v)
    return b if type(b) is ExcelError else not b


# --- testing values ---------------------------------------------------------------------------------

def _is_blank(v: Any) -> bool:
    return v is None


def _is_number(v: Any) -> bool:
    return type(v) is Decimal


def _is_text(v: Any) -> bool:
    return type(v) is str


def _is_nontext(v: Any) -> bool:
    return type(v) is not str


def _is_logical(v: Any) -> bool:
    return type(v) is bool


def _is_error(v: Any) -> bool:
    return type(v) is ExcelError


def _is_err(v: Any) -> bool:
    return type(v) is ExcelError and v is not NA


def _is_na(v: Any) -> bool:
    return v is NA


LOGIC = "logic"

SPECS = (
    define("IF", [req("condition", BOOLEAN), req("value_if_true"), opt("value_if_false")], _if_type, _if,
           "条件为真返回第二个参数，否则返回第三个（省略时为 FALSE）",
           "Returns the second argument when the condition is true, else the third (FALSE if omitted)",
           LOGIC, lazy=True, propagate_errors=False),
    define("IFS", [req("condition", BOOLEAN), req("value"), many("condition_value_pairs", optional=True)],
           _ifs_type, _ifs,
           "返回第一个为真的条件对应的值，都不为真时返回 #N/A",
           "Returns the value of the first true condition; #N/A when none is true",
           LOGIC, lazy=True, propagate_errors=False, check=_check_ifs),
    define("SWITCH", [req("expression"), req("value"), req("result"),
                      many("value_result_or_default", optional=True)],
           _switch_type, _switch,
           "将表达式与各值比较，返回第一个相等值对应的结果，可带末尾默认值",
           "Compares the expression with each value and returns the matching result, or a trailing default",
           LOGIC, lazy=True, propagate_errors=False, check=_check_switch),
    define("IFERROR", [req("value"), req("value_if_error")], _pair_type, _iferror,
           "值为错误时返回备用值，否则返回原值",
           "Returns the fallback when the value is an error, else the value itself",
           LOGIC, lazy=True, propagate_errors=False),
    define("IFNA", [req("value"), req("value_if_na")], _pair_type, _ifna,
           "值为 #N/A 时返回备用值，否则返回原值",
           "Returns the fallback when the value is #N/A, else the value itself",
           LOGIC, lazy=True, propagate_errors=False),
    define("AND", [many("logical")], BOOLEAN, _and,
           "所有参数都为真时返回 TRUE", "TRUE when every argument is true", LOGIC),
    define("OR", [many("logical")], BOOLEAN, _or,
           "任一参数为真时返回 TRUE", "TRUE when any argument is true", LOGIC),
    define("XOR", [many("logical")], BOOLEAN, _xor,
           "为真的参数个数为奇数时返回 TRUE", "TRUE when an odd number of arguments are true", LOGIC),
    define("NOT", [req("logical", BOOLEAN)], BOOLEAN, _not,
           "逻辑取反", "Reverses a logical value", LOGIC),
    define("TRUE", [], BOOLEAN, lambda: True, "返回逻辑值 TRUE", "Returns the logical value TRUE", LOGIC),
    define("FALSE", [], BOOLEAN, lambda: False, "返回逻辑值 FALSE", "Returns the logical value FALSE", LOGIC),
    define("NA", [], ANY, lambda: NA, "返回错误值 #N/A", "Returns the error value #N/A", LOGIC),
    define("ISBLANK", [req("value")], BOOLEAN, _is_blank,
           "值为空时返回 TRUE（空文本 \"\" 不算空）", "TRUE when the value is blank (empty text \"\" is not)",
           LOGIC, propagate_errors=False),
    define("ISNUMBER", [req("value")], BOOLEAN, _is_number,
           "值为数字时返回 TRUE", "TRUE when the value is a number", LOGIC, propagate_errors=False),
    define("ISTEXT", [req("value")], BOOLEAN, _is_text,
           "值为文本时返回 TRUE", "TRUE when the value is text", LOGIC, propagate_errors=False),
    define("ISNONTEXT", [req("value")], BOOLEAN, _is_nontext,
           "值不是文本时返回 TRUE", "TRUE when the value is not text", LOGIC, propagate_errors=False),
    define("ISLOGICAL", [req("value")], BOOLEAN, _is_logical,
           "值为逻辑值时返回 TRUE", "TRUE when the value is a logical", LOGIC, propagate_errors=False),
    define("ISERROR", [req("value")], BOOLEAN, _is_error,
           "值为任意错误时返回 TRUE", "TRUE when the value is any error", LOGIC, propagate_errors=False),
    define("ISERR", [req("value")], BOOLEAN, _is_err,
           "值为 #N/A 以外的错误时返回 TRUE", "TRUE when the value is an error other than #N/A",
           LOGIC, propagate_errors=False),
    define("ISNA", [req("value")], BOOLEAN, _is_na,
           "值为 #N/A 时返回 TRUE", "TRUE when the value is #N/A", LOGIC, propagate_errors=False),
)
