"""``jimu check PATH [--json]``: every problem of a bundle, one per line, and an exit status.

Lines read ``FILE:JSON_PATH: 中文 / English (line N)``; warnings start with ``warning: ``. A valid bundle
prints a one-line summary (``ok: app sales_erp 0.1.0, 3 entities, 24 fields, 6 roles``) and exits 0;
any error exits 1 (the count goes to stderr). ``--json`` prints the problems as a JSON list instead.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from .checker import CheckResult, check_bundle
from .schemas import FieldTypesLike


def build_parser(prog: str = "jimu check") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Check an app bundle (a folder or a .zip).")
    parser.add_argument("path", help="the bundle folder or .zip file")
    parser.add_argument("--json", action="store_true", help="print the problems as a JSON list")
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None,
         field_types: FieldTypesLike | None = None) -> int:
    args = build_parser().parse_args(argv)
    out, err = out or sys.stdout, err or sys.stderr
    result = check_bundle(args.path, field_types)
    if args.json:
        problems = [e.to_dict() for e in (*result.errors, *result.warnings)]
        out.write(json.dumps(problems, ensure_ascii=False, indent=2) + "\n")
    else:
        for e in (*result.errors, *result.warnings):
            out.write(e.format() + "\n")
        if result.ok:
            out.write(summary(result) + "\n")
        else:
            n = len(result.errors)
            err.write(f"{n} 个错误 / {n} error{'s' if n != 1 else ''}\n")  # stdout stays one problem a line
    return 0 if result.ok else 1


def summary(result: CheckResult) -> str:
    source = result.source
    assert source is not None and source.app is not None
    app = source.app
    entities = source.entities
    fields = sum(len(d.get("fields") or ()) for _, d in entities)
    roles = len((source.roles or {}).get("roles") or {})
    return (f"ok: app {app['app']} {app['version']}, {_count(len(entities), 'entity', 'entities')}, "
            f"{_count(fields, 'field', 'fields')}, {_count(roles, 'role', 'roles')}"
            + "".join(f", {len(named)} {kind}" for kind, named in sorted(source.definitions.items())))


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


if __name__ == "__main__":
    sys.exit(main())
