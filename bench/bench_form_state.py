"""Form-state evaluation: a 40-field form with 10 formulas, linkage rules, validations and a 50-row
sub-table, judged as a save would judge it (RecordService.trial: parse, defaults, formulas in
dependency order, rollups, linkage, validations, permissions — rolled back).

Baselines measured in the same run:
  plain  — the same call on a 40-field form with no formulas, rules or rows (the pipeline's floor);
  direct — the same 10 formulas and the rows' formula evaluated straight over dicts (the compute floor).
Prints milliseconds per call and the ratios.

    python bench/bench_form_state.py [--calls N] [--db URL]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_db import bench_database  # noqa: E402
from engine.install import install_bundle  # noqa: E402
from engine.runtime import open_runtime  # noqa: E402
from forms.model import model_for  # noqa: E402
from rules.expr import EvalContext  # noqa: E402


def _label(name: str) -> dict:
    return {"zh": name, "en": name}


def big_entity(name: str, computed: bool) -> dict:
    fields = [{"name": f"t{i}", "type": "text", "label": _label(f"t{i}")} for i in range(12)]
    fields += [{"name": f"n{i}", "type": "number", "label": _label(f"n{i}")} for i in range(8)]
    fields += [{"name": f"m{i}", "type": "money", "label": _label(f"m{i}")} for i in range(5)]
    fields += [{"name": f"d{i}", "type": "date", "label": _label(f"d{i}")} for i in range(3)]
    fields += [{"name": "kind", "type": "select", "label": _label("kind"),
                "options": [{"value": v, "label": _label(v)} for v in ("a", "b", "c")]}]
    if not computed:
        fields += [{"name": f"x{i}", "type": "number", "label": _label(f"x{i}")} for i in range(11)]
        return {"entity": name, "label": _label(name), "fields": fields}
    fields[0]["visible_if"] = 'kind <> "c"'
    fields[1]["required_if"] = 'kind = "b"'
    fields[2]["readonly_if"] = "n0 > 100"
    fields += [{"name": "lines", "type": "subtable", "label": _label("lines"), "fields": [
        {"name": "item", "type": "text", "label": _label("item")},
        {"name": "qty", "type": "number", "label": _label("qty")},
        {"name": "price", "type": "money", "label": _label("price")},
        {"name": "discount", "type": "number", "label": _label("discount")},
        {"name": "subtotal", "type": "formula", "expr": "qty * price * (1 - discount)", "result": "money",
         "label": _label("subtotal")}],
        "validations": [{"when": "qty > 1000", "message": _label("too many")}]}]
    formulas = [
        ("total", "SUM(lines.subtotal)"), ("f1", "total * (1 + n0 / 100)"), ("f2", "f1 - m0"),
        ("f3", 'IF(f2 > 10000, "big", "small")'), ("f4", "n1 + n2 + n3 + n4"), ("f5", "ROUND(f4 / 3, 2)"),
        ("f6", 'CONCATENATE(t3, "-", t4)'), ("f7", "d1 - d0"), ("f8", "MAX(m1, m2, m3)"), ("f9", "f8 * f5"),
    ]
    fields += [{"name": n, "type": "formula", "expr": e, "label": _label(n)} for n, e in formulas]
    return {"entity": name, "label": _label(name), "fields": fields,
            "validations": [{"when": "f2 < 0", "message": _label("negative")}]}


def values(rows: int) -> dict:
    v = {f"t{i}": f"text {i}" for i in range(12)}
    v.update({f"n{i}": str(i + 1) for i in range(8)})
    v.update({f"m{i}": f"{100 * (i + 1)}.50" for i in range(5)})
    v.update({"d0": "2026-01-01", "d1": "2026-03-01", "d2": "2026-05-01", "kind": "a"})
    v["lines"] = [{"item": f"item {i}", "qty": i + 1, "price": "12.50", "discount": "0.1"} for i in range(rows)]
    return v


def timed(fn, calls: int) -> float:
    fn()  # warm: compile, caches
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def run(url: str | None, calls: int) -> None:
    folder = Path(tempfile.mkdtemp()) / "bench_forms"
    (folder / "entities").mkdir(parents=True)
    (folder / "app.yaml").write_text(yaml.safe_dump({"app": "bf", "version": "0.1.0", "label": _label("bf")}))
    for name, computed in (("form", True), ("plain", False)):
        (folder / "entities" / f"{name}.yaml").write_text(yaml.safe_dump(big_entity(name, computed),
                                                                         allow_unicode=True))
    with bench_database(url, "bench_form_state") as db:
        rt = open_runtime(db)
        install_bundle(rt, folder)
        full, plain = values(50), values(0)
        plain.pop("lines")
        plain.update({f"x{i}": str(i) for i in range(11)})
        form = rt.records("bf", "form")
        flat = rt.records("bf", "plain")

        def judge_full():
            w, _ = form.trial(full)
            assert not w.errors, w.errors

        t_full = timed(judge_full, calls)
        t_plain = timed(lambda: flat.trial(plain), calls)

        model = model_for(rt, rt.app("bf"))
        steps = model.steps["form"]
        ctx = EvalContext()
        record = {k: (Decimal(v) if k[0] in "nm" else v) for k, v in full.items() if k != "lines"}
        rows = [{"qty": Decimal(r["qty"]), "price": Decimal(r["price"]), "discount": Decimal(r["discount"])}
                for r in full["lines"]]

        def direct():
            rec = dict(record)
            rec["lines"] = [dict(r) for r in rows]
            for step in steps:
                if "." in step.scope:
                    for r in rec["lines"]:
                        r[step.field.name] = step.expr(r, ctx)
                elif step.expr is not None:
                    rec[step.field.name] = step.expr(rec, ctx)

        t_direct = timed(direct, calls)
        rt.db.dispose()
    name = "PostgreSQL" if url and url.startswith("postgres") else "SQLite"
    print(f"{name}: form state of 40 fields, 10 formulas, 50 rows: {t_full * 1000:.2f} ms per call")
    print(f"  plain 40-field form (no formulas, rules or rows): {t_plain * 1000:.2f} ms  "
          f"-> full/plain = {t_full / t_plain:.2f}x")
    print(f"  formulas evaluated directly over dicts: {t_direct * 1000:.2f} ms  "
          f"-> full/direct = {t_full / t_direct:.2f}x")


def main() -> None:
    import os

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    run(args.db, args.calls)
    pg = os.environ.get("JIMU_TEST_POSTGRES_URL")
    if args.db is None and pg:
        run(pg, args.calls)


if __name__ == "__main__":
    main()
