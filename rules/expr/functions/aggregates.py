"""Functions over many values: ``SUM(lines.subtotal, shipping)``, ``COUNTIF(lines.qty, ">10")``.

Excel's range rule: inside a list (a sub-table column) only numbers count, text, logicals and blanks
are skipped, while a value given directly is coerced ("3" is 3, TRUE is 1) and a direct blank is an
empty cell. An error inside a list is the result, as it is for a direct argument."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal
from typing import Any, Callable, Sequence

from ..types import NUMBER, Type
from ..values import DECIMAL_CONTEXT as CTX
from ..values import DIV0, NUM, VALUE, ZERO, ExcelError
from .criteria import criterion
from .define import define, extreme_type, many, numeric_of, opt, req
from .numbers import number

_LISTS = (tuple, list)
_TEMPORAL = (dt.date, dt.datetime)


def _numbers(args: Sequence[Any]) -> list[Decimal] | ExcelError:
    out: list[Decimal] = []
    for a in args:
        if type(a) in _LISTS:
            for v in a:
                t = type(v)
                if t is Decimal:
                    out.append(v)
                elif t is ExcelError:
                    return v
                elif t is int:
                    out.append(Decimal(v))
        elif a is not None:
            n = number(a)
            if type(n) is ExcelError:
                return n
            out.append(n)
    return out


def _total(nums: Sequence[Decimal]) -> Decimal:
    total = ZERO
    for n in nums:
        total = CTX.add(total, n)
    return total


def _sum(*args: Any) -> Decimal | ExcelError:
    nums = _numbers(args)
    return nums if type(nums) is ExcelError else _total(nums)


def _average(*args: Any) -> Decimal | ExcelError:
    nums = _numbers(args)
    if type(nums) is ExcelError:
        return nums
    if not nums:
        return DIV0
    return CTX.divide(_total(nums), Decimal(len(nums)))


def _product(*args: Any) -> Decimal | ExcelError:
    nums = _numbers(args)
    if type(nums) is ExcelError:
        return nums
    if not nums:
        return ZERO  # Excel: PRODUCT of nothing is 0
    p = nums[0]
    for n in nums[1:]:
        p = CTX.multiply(p, n)
    return p


def _instant(v: dt.date | dt.datetime) -> dt.datetime:
    return v if type(v) is dt.datetime else dt.datetime(v.year, v.month, v.day)


def _extreme(args: Sequence[Any], pick: Callable) -> Any:
    """MIN/MAX: numbers as SUM reads them; dates and datetimes compare as dates (a list of delivery
    dates has a latest one); numbers and dates together cannot be ordered."""
    nums: list[Decimal] = []
    dates: list[dt.date] = []
    for a in args:
        items = a if type(a) in _LISTS else (a,)
        direct = items is not a
        for v in items:
            t = type(v)
            if t in _TEMPORAL:
                dates.append(v)
            elif t is ExcelError:
                return v
            elif t is Decimal or t is int:
                nums.append(Decimal(v))
            elif direct and v is not None:
                n = number(v)
                if type(n) is ExcelError:
                    return n
                nums.append(n)
    if nums and dates:
        return VALUE
    if dates:
        return pick(dates, key=_instant)
    return pick(nums) if nums else ZERO  # Excel: MIN/MAX of nothing is 0


def _min(*args: Any) -> Any:
    return _extreme(args, min)


def _max(*args: Any) -> Any:
    return _extreme(args, max)


def _median(*args: Any) -> Decimal | ExcelError:
    nums = _numbers(args)
    if type(nums) is ExcelError:
        return nums
    if not nums:
        return NUM
    nums.sort()
    mid = len(nums) // 2
    if len(nums) % 2:
        return nums[mid]
    return CTX.divide(CTX.add(nums[mid - 1], nums[mid]), Decimal(2))


def _kth(array: Any, k: Any, largest: bool) -> Decimal | ExcelError:
    nums = _numbers((array,))
    if type(nums) is ExcelError:
        return nums
    kn = number(k)
    if type(kn) is ExcelError:
        return kn
    kn = kn.to_integral_value(rounding=ROUND_CEILING)  # Excel takes the next whole rank
    if not nums or kn < 1 or kn > len(nums):
        return NUM
    nums.sort(reverse=largest)
    return nums[int(kn) - 1]


def _large(array: Any, k: Any) -> Decimal | ExcelError:
    return _kth(array, k, largest=True)


def _small(array: Any, k: Any) -> Decimal | ExcelError:
    return _kth(array, k, largest=False)


# --- counting --------------------------------------------------------------------------------------

def _count(*args: Any) -> Decimal:
    """Numbers (dates are numbers to Excel); a direct argument also counts when it reads as one.
    Errors are not counted and do not stop the count."""
    n = 0
    for a in args:
        if type(a) in _LISTS:
            n += sum(1 for v in a if type(v) in (Decimal, int) or type(v) in _TEMPORAL)
        elif a is not None and type(a) is not ExcelError:
            if type(a) in _TEMPORAL or type(number(a)) is not ExcelError:
                n += 1
    return Decimal(n)


def _counta(*args: Any) -> Decimal:
    """Every value that is not blank, errors and empty text included (Excel's rule)."""
    n = 0
    for a in args:
        if type(a) in _LISTS:
            n += sum(1 for v in a if v is not None)
        elif a is not None:
            n += 1
    return Decimal(n)


def _countblank(*args: Any) -> Decimal:
    n = 0
    for a in args:
        items = a if type(a) in _LISTS else (a,)
        n += sum(1 for v in items if v is None or v == "")
    return Decimal(n)


# --- conditional -----------------------------------------------------------------------------------

def _cells(v: Any) -> Sequence[Any]:
    return v if type(v) in _LISTS else (v,)


def _matches(pairs: Sequence[Any], size: int | None = None) -> list[int] | ExcelError:
    """Positions where every (range, criterion) pair holds. Ranges of different lengths are #VALUE!
    (Excel wants same-shaped ranges)."""
    if len(pairs) % 2:
        return VALUE
    hits: list[int] | None = None
    for i in range(0, len(pairs), 2):
        cells = _cells(pairs[i])
        if size is None:
            size = len(cells)
        elif len(cells) != size:
            return VALUE
        test = criterion(pairs[i + 1])
        if type(test) is ExcelError:
            return test
        candidates = range(len(cells)) if hits is None else hits
        hits = [j for j in candidates if test(cells[j])]
    return hits or []


def _picked(target: Sequence[Any], positions: Sequence[int]) -> list[Decimal] | ExcelError:
    """The numbers of ``target`` at ``positions``; text and blanks there are skipped, errors returned."""
    out: list[Decimal] = []
    for j in positions:
        v = target[j] if j < len(target) else None
        t = type(v)
        if t is Decimal:
            out.append(v)
        elif t is int:
            out.append(Decimal(v))
        elif t is ExcelError:
            return v
    return out


def _countif(rng: Any, crit: Any) -> Decimal | ExcelError:
    hits = _matches((rng, crit))
    return hits if type(hits) is ExcelError else Decimal(len(hits))


def _countifs(*pairs: Any) -> Decimal | ExcelError:
    hits = _matches(pairs)
    return hits if type(hits) is ExcelError else Decimal(len(hits))


def _sumif(rng: Any, crit: Any, sum_range: Any = None) -> Decimal | ExcelError:
    hits = _matches((rng, crit))
    if type(hits) is ExcelError:
        return hits
    nums = _picked(_cells(rng if sum_range is None else sum_range), hits)
    return nums if type(nums) is ExcelError else _total(nums)


def _averageif(rng: Any, crit: Any, average_range: Any = None) -> Decimal | ExcelError:
    hits = _matches((rng, crit))
    if type(hits) is ExcelError:
        return hits
    nums = _picked(_cells(rng if average_range is None else average_range), hits)
    if type(nums) is ExcelError:
        return nums
    return CTX.divide(_total(nums), Decimal(len(nums))) if nums else DIV0


def _over(target: Any, pairs: Sequence[Any]) -> list[Decimal] | ExcelError:
    cells = _cells(target)
    hits = _matches(pairs, len(cells))
    return hits if type(hits) is ExcelError else _picked(cells, hits)


def _sumifs(target: Any, *pairs: Any) -> Decimal | ExcelError:
    nums = _over(target, pairs)
    return nums if type(nums) is ExcelError else _total(nums)


def _averageifs(target: Any, *pairs: Any) -> Decimal | ExcelError:
    nums = _over(target, pairs)
    if type(nums) is ExcelError:
        return nums
    return CTX.divide(_total(nums), Decimal(len(nums))) if nums else DIV0


def _maxifs(target: Any, *pairs: Any) -> Decimal | ExcelError:
    nums = _over(target, pairs)
    return nums if type(nums) is ExcelError else max(nums, default=ZERO)


def _minifs(target: Any, *pairs: Any) -> Decimal | ExcelError:
    nums = _over(target, pairs)
    return nums if type(nums) is ExcelError else min(nums, default=ZERO)


def _sumif_type(ts: Sequence[Type]) -> Type:
    return numeric_of(2 if len(ts) > 2 else 0)(ts)


def _check_pairs(skip: int) -> Callable[[Sequence[Any]], dict[str, str] | None]:
    def check(args: Sequence[Any]) -> dict[str, str] | None:
        if (len(args) - skip) % 2:
            return {"zh": "区域和条件须成对出现", "en": "ranges and criteria come in pairs"}
        return None

    return check


AGG = "aggregate"
_values = many("value")
_range = req("range")

SPECS = (
    define("SUM", [_values], numeric_of(), _sum,
           "求和；列表中的文本和逻辑值被忽略",
           "Adds numbers; text and logicals inside lists are skipped", AGG),
    define("AVERAGE", [_values], numeric_of(), _average,
           "算术平均值；没有数字时为 #DIV/0!", "Arithmetic mean; #DIV/0! when there is no number", AGG),
    define("MIN", [_values], extreme_type, _min,
           "最小值（也可用于日期）；没有数字时为 0", "Smallest value (dates too); 0 when there is none", AGG),
    define("MAX", [_values], extreme_type, _max,
           "最大值（也可用于日期）；没有数字时为 0", "Largest value (dates too); 0 when there is none", AGG),
    define("PRODUCT", [_values], NUMBER, _product,
           "所有数字相乘", "Multiplies numbers together", AGG),
    define("MEDIAN", [_values], numeric_of(), _median,
           "中位数", "The median of the numbers", AGG),
    define("LARGE", [req("array"), req("k", NUMBER)], numeric_of(0), _large,
           "第 k 大的数", "The k-th largest number", AGG),
    define("SMALL", [req("array"), req("k", NUMBER)], numeric_of(0), _small,
           "第 k 小的数", "The k-th smallest number", AGG),
    define("COUNT", [_values], NUMBER, _count,
           "统计数字的个数", "Counts the numbers", AGG, propagate_errors=False),
    define("COUNTA", [_values], NUMBER, _counta,
           "统计非空值的个数", "Counts the values that are not blank", AGG, propagate_errors=False),
    define("COUNTBLANK", [many("range")], NUMBER, _countblank,
           "统计空值和空文本的个数", "Counts blank values and empty text", AGG, propagate_errors=False),
    define("COUNTIF", [_range, req("criteria")], NUMBER, _countif,
           "统计满足条件的个数（如 \">10\"、\"张*\"）",
           "Counts the values meeting a criterion (\">10\", \"A*\")", AGG),
    define("COUNTIFS", [_range, req("criteria"), many("range_criteria_pairs", optional=True)], NUMBER,
           _countifs, "统计同时满足多组条件的个数", "Counts the positions meeting every criterion", AGG,
           check=_check_pairs(0)),
    define("SUMIF", [_range, req("criteria"), opt("sum_range")], _sumif_type, _sumif,
           "对满足条件的值求和（可另给求和区域）",
           "Adds the values meeting a criterion (or those of a separate sum range)", AGG),
    define("SUMIFS", [req("sum_range"), _range, req("criteria"), many("range_criteria_pairs", optional=True)],
           numeric_of(0), _sumifs, "对同时满足多组条件的值求和",
           "Adds the values where every criterion holds",
           AGG, check=_check_pairs(1)),
    define("AVERAGEIF", [_range, req("criteria"), opt("average_range")], _sumif_type,
           _averageif, "满足条件的值的平均值", "Average of the values meeting a criterion", AGG),
    define("AVERAGEIFS", [req("average_range"), _range, req("criteria"),
                          many("range_criteria_pairs", optional=True)],
           numeric_of(0), _averageifs, "同时满足多组条件的值的平均值",
           "Average of the values where every criterion holds", AGG, check=_check_pairs(1)),
    define("MAXIFS", [req("max_range"), _range, req("criteria"), many("range_criteria_pairs", optional=True)],
           numeric_of(0), _maxifs, "同时满足多组条件的值中的最大值",
           "Largest of the values where every criterion holds", AGG, check=_check_pairs(1)),
    define("MINIFS", [req("min_range"), _range, req("criteria"), many("range_criteria_pairs", optional=True)],
           numeric_of(0), _minifs, "同时满足多组条件的值中的最小值",
           "Smallest of the values where every criterion holds", AGG, check=_check_pairs(1)),
)
