"""``jimu export APP --out DIR|FILE.zip [--with-data]`` and ``jimu revert APP VERSION [--dry-run]``.

A refusal (an unknown app or version, an output that is not empty, a path that cannot be written, a
database that cannot be opened) is one bilingual line on stderr and exit 1, never a traceback."""
from __future__ import annotations

import sys
import time
from pathlib import Path


def export_main(args) -> int:
    from .export import export_app

    def work(rt):
        started = time.perf_counter()
        written = export_app(rt, args.app, Path(args.out), with_data=args.with_data)
        size = sum(p.stat().st_size for p in written)
        what = "definitions and data / 定义与数据" if args.with_data else "definitions / 定义"
        print(f"exported {args.app} ({what}) to {args.out}: {len(written)} file(s), {size} bytes, "
              f"{time.perf_counter() - started:.2f}s / 已导出")
    return _run(args.db, work)


def revert_main(args) -> int:
    from .migrate_values import upgrade_options
    from .plan_cli import render
    from .revert import revert_app

    try:
        options = upgrade_options(args.allow_data_loss, args.fill, args.map_option)
    except ValueError as e:
        print(f"error: migrate.E006: {e}", file=sys.stderr)
        return 2

    def work(rt):
        result = revert_app(rt, args.app, args.version, dry_run=args.dry_run, options=options,
                            on_plan=lambda plan: print(render(plan), flush=True))
        print(result.summary())
    return _run(args.db, work)


def _run(db: str | None, work) -> int:
    from ..cli import _print_error
    from ..errors import JimuError
    from ..runtime import open_runtime
    from .plan_cli import _planning_url

    try:  # a SQLite file that does not exist is an empty database: the app is "not installed"
        rt = open_runtime(_planning_url(db))
    except Exception as e:  # a wrong URL, no server, not a database: say so, in one line
        if getattr(e, "code", None) == "engine.E001":
            raise  # an engine that cannot be loaded is no database problem: the command says so
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"error: export.E005: 无法打开数据库 / cannot open the database: {reason}", file=sys.stderr)
        return 1
    try:
        work(rt)
    except JimuError as e:
        _print_error(e)
        return 1
    finally:
        rt.db.dispose()
    return 0
