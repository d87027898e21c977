"""Sample part: a ``jimu`` command from an engine, ``jimu sample-hello --name X``."""
from __future__ import annotations


def add_commands(sub) -> dict:
    p = sub.add_parser("sample-hello", help="greet someone (sample engine) / 打招呼 (示例引擎)")
    p.add_argument("--name", required=True, help="who to greet / 问候谁")
    p.add_argument("--times", type=int, default=1)
    return {"sample-hello": _hello}


def _hello(args) -> int:
    for _ in range(args.times):
        print(f"你好 / hello, {args.name}")
    return 0 if args.name != "nobody" else 3
