"""Building the standard library's FunctionSpecs: one ``define()`` call per function, parameter
shorthands, the arithmetic guard and the return-type rules shared by several families."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable, Sequence

from ..registry import FunctionSpec, Param
from ..types import (
    ANY,
    BLANK,
    DATE,
    DATETIME,
    ERROR,
    NUMBER,
    NUMERIC,
    TEMPORAL,
    TEXT,
    TEXTUAL,
    ListType,
    Type,
)
from ..values import DIV0, NUM


def req(name: str, type: Type = ANY) -> Param:
    return Param(name, type)


def opt(name: str, type: Type = ANY) -> Param:
    return Param(name, type, optional=True)


def many(name: str, type: Type = ANY, optional: bool = False) -> Param:
    return Param(name, type, optional=optional, repeat=True)


def guarded(impl: Callable[..., Any]) -> Callable[..., Any]:
    """Decimal and date arithmetic signal trouble by raising (overflow, a quotient too long for 28
    digits, a date past 9999); a formula must get an error value instead, never an exception."""

    @wraps(impl)
    def run(*args: Any) -> Any:
        try:
            return impl(*args)
        except ZeroDivisionError:
            return DIV0
        except ArithmeticError:  # decimal signals, OverflowError of dates
            return NUM

    return run


def define(
    name: str,
    params: Sequence[Param],
    returns: Type | Callable[[Sequence[Type]], Type],
    impl: Callable[..., Any],
    zh: str,
    en: str,
    category: str,
    **flags: Any,
) -> FunctionSpec:
    # Lazy functions only pick thunks; guarding them would hide a failure of the compiled argument.
    body = impl if flags.get("lazy") else guarded(impl)
    return FunctionSpec(
        name=name,
        params=tuple(params),
        returns=returns,
        impl=body,
        description={"zh": zh, "en": en},
        category=category,
        **flags,
    )


# --- return types ----------------------------------------------------------------------------

def common_type(types: Sequence[Type]) -> Type:
    """The type of a value that may come from any of ``types`` (IF's branches): the type itself when
    they agree, the family (number, text, datetime) when they share one, else ANY."""
    known = [t for t in types if t not in (BLANK, ERROR)]
    if not known:
        return BLANK if types else ANY
    first = known[0]
    if all(t == first for t in known):
        return first
    if all(t in NUMERIC for t in known):
        return NUMBER
    if all(t in TEXTUAL for t in known):
        return TEXT
    if all(t in TEMPORAL for t in known):
        return DATETIME
    return ANY


def _item(t: Type) -> Type:
    return t.item if isinstance(t, ListType) else t


def numeric_of(*positions: int) -> Callable[[Sequence[Type]], Type]:
    """A number of the same kind as the arguments at ``positions`` (all of them when none are named):
    SUM of money is money, ROUND of a percent a percent; anything mixed or unknown is NUMBER."""

    def returns(arg_types: Sequence[Type]) -> Type:
        picked = [arg_types[i] for i in positions if i < len(arg_types)] if positions else list(arg_types)
        kinds = {_item(t) for t in picked} - {BLANK, ERROR}
        if len(kinds) == 1:
            (kind,) = kinds
            if kind in NUMERIC:
                return kind
        return NUMBER

    return returns


def extreme_type(arg_types: Sequence[Type]) -> Type:
    """MIN/MAX: dates stay dates (the latest delivery date), numbers keep their kind."""
    kinds = {_item(t) for t in arg_types} - {BLANK, ERROR}
    if kinds and kinds <= TEMPORAL:
        return DATE if kinds == {DATE} else DATETIME
    return numeric_of()(arg_types)

