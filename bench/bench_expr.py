"""Compiled expressions against two baselines, measured in the same run:

- Python's own ``eval`` of a code object compiled once from an equivalent Python expression, over the
  same Decimal values (the speed to aim for: goal within 2x);
- simpleeval parsing the equivalent Python expression each time (what an interpreter that re-parses
  costs: goal at least 20x slower than us).

Prints one line per formula and the totals. No assertion: a benchmark reports, it does not judge.
Run: .venv/bin/python bench/bench_expr.py
"""
from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simpleeval import EvalWithCompoundTypes  # noqa: E402

from rules.expr import EvalContext, compile_expression, infer_scope, standard_registry  # noqa: E402

D = Decimal
CENT = D("0.01")

# (our formula, the equivalent Python expression). Decimal constants are names so both Python
# evaluators do exact arithmetic, as we do; text = ignores case, so Python folds it too.
FORMULAS = [
    ('IF(amount >= 50000, "大额", "普通")', "'大额' if amount >= D50000 else '普通'"),
    ("qty * price * (1 - discount)", "qty * price * (D1 - discount)"),
    ("ROUND(amount * 0.13, 2)", "round2(amount * D013)"),
    ('AND(status = "won", amount > 1000)', "status.lower() == 'won' and amount > D1000"),
    ("customer.credit_limit - customer.receivable", "customer['credit_limit'] - customer['receivable']"),
    ("amount > customer.credit_limit - customer.receivable",
     "amount > customer['credit_limit'] - customer['receivable']"),
    ('DATEDIF(start, end, "d")', "D((end - start).days)"),
    ("SUM(lines.subtotal)", "sum([line['subtotal'] for line in lines])"),
    ('name & " (" & city & ")"', "name + ' (' + city + ')'"),
    ("IF(qty = 0, 0, amount / qty)", "D0 if qty == 0 else amount / qty"),
    ("end + 30", "end + DAYS30"),
    ('status <> "lost" AND amount >= 1000 OR vip', "(status.lower() != 'lost' and amount >= D1000) or vip"),
    ("price * 50%", "price * D05"),
]

CONSTANTS = {
    "D": D, "D0": D(0), "D1": D(1), "D013": D("0.13"), "D05": D("0.5"), "D1000": D(1000), "D50000": D(50000),
    "DAYS30": dt.timedelta(days=30), "round2": lambda x: x.quantize(CENT, ROUND_HALF_UP), "sum": sum,
}


def records(n: int, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        start = dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randrange(300))
        out.append({
            "amount": D(rnd.randrange(0, 10_000_000)) / 100,
            "qty": D(rnd.randrange(0, 50)),
            "price": D(rnd.randrange(100, 100_000)) / 100,
            "discount": D(rnd.randrange(0, 30)) / 100,
            "status": rnd.choice(["won", "Won", "lost", "open"]),
            "vip": rnd.random() < 0.2,
            "name": rnd.choice(["华东机电", "Acme", "北方重工"]),
            "city": rnd.choice(["上海", "Berlin", "沈阳"]),
            "start": start,
            "end": start + dt.timedelta(days=rnd.randrange(1, 200)),
            "customer": {"credit_limit": D(rnd.randrange(10_000, 500_000)),
                         "receivable": D(rnd.randrange(0, 100_000)) / 100},
            "lines": [{"subtotal": D(rnd.randrange(100, 1_000_000)) / 100}
                      for _ in range(rnd.randrange(1, 6))],
        })
    return out


def best_of(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    data = records(2000)
    registry = standard_registry()
    scope = infer_scope(data[0])
    ctx = EvalContext(today=dt.date(2024, 6, 1), now=dt.datetime(2024, 6, 1, 9, 0))
    simple = EvalWithCompoundTypes(functions={"round2": CONSTANTS["round2"], "D": D, "sum": sum})
    small = [{**CONSTANTS, **rec} for rec in data[:200]]  # simpleeval is slow: fewer records, then scale
    print(f"{'formula':50} {'ours µs':>8} {'eval µs':>8} {'simpleeval µs':>14} "
          f"{'ours/eval':>10} {'simple/ours':>12}")
    tot_ours = tot_eval = tot_simple = 0.0
    ratios_eval, ratios_simple = [], []
    for formula, python in FORMULAS:
        compiled = compile_expression(formula, scope, registry)
        fn = compiled.fn
        code = compile(python, "<baseline>", "eval")
        glb = dict(CONSTANTS)
        for rec in data:  # both evaluators must agree before they are timed
            expected = eval(code, glb, rec)  # noqa: S307 - the baseline is our own fixed text
            got = fn(rec, ctx)
            if got != expected:
                raise SystemExit(f"{formula}: ours {got!r} != Python {expected!r} for {rec}")

        def run_ours(fn=fn):
            for rec in data:
                fn(rec, ctx)

        def run_eval(code=code, glb=glb):
            for rec in data:
                eval(code, glb, rec)  # noqa: S307

        def run_simple(python=python):
            for names in small:
                simple.names = names
                simple.eval(python)

        ours = best_of(run_ours) / len(data)
        base = best_of(run_eval) / len(data)
        slow = best_of(run_simple, 3) / len(small)
        tot_ours, tot_eval, tot_simple = tot_ours + ours, tot_eval + base, tot_simple + slow
        ratios_eval.append(ours / base)
        ratios_simple.append(slow / ours)
        print(f"{formula[:50]:50} {ours * 1e6:8.2f} {base * 1e6:8.2f} {slow * 1e6:14.2f} "
              f"{ours / base:10.2f} {slow / ours:12.1f}")
    print(f"{'all formulas (sum of per-record times)':50} {tot_ours * 1e6:8.2f} {tot_eval * 1e6:8.2f} "
          f"{tot_simple * 1e6:14.2f} {tot_ours / tot_eval:10.2f} {tot_simple / tot_ours:12.1f}")
    print(f"{'geometric mean of the per-formula ratios':50} {'':8} {'':8} {'':14} "
          f"{statistics.geometric_mean(ratios_eval):10.2f} {statistics.geometric_mean(ratios_simple):12.1f}")
    print("goal: ours/eval <= 2, simple/ours >= 20")


if __name__ == "__main__":
    main()
