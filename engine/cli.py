"""The ``jimu`` command. Each subcommand imports what it needs when it runs, so ``jimu eval`` starts
without loading the web stack or the database layer.

Engines add sub-commands with the ``add_commands(subparsers) -> {name: handler}`` hook (see
engine/plugins.py); ``handler(args) -> int`` is the exit code. Engines are imported only when the
command is none of the built-in ones (or for ``jimu --help``), so a built-in command starts as light
as before."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys

from . import __version__

BUILT_IN = frozenset({"check", "install", "plan", "uninstall", "backups", "export", "revert", "serve", "worker",
                      "eval", "users"})


def _parser(engine_commands: dict | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jimu", description="Jimu 积木 — a no-code platform engine / 无代码平台引擎")
    p.add_argument("--version", action="version", version=f"jimu {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check", help="validate a bundle folder or .zip / 校验应用包")
    c.add_argument("path")
    c.add_argument("--json", action="store_true", help="print the errors as a JSON list")

    i = sub.add_parser("install", help="install a bundle into a database / 安装应用包")
    i.add_argument("path")
    i.add_argument("--db", help="database URL (default: $JIMU_DATABASE_URL or sqlite:///./data/jimu.db)")
    i.add_argument("--demo", action="store_true", help="also load the bundle's demo data")
    i.add_argument("--if-missing", action="store_true",
                   help="do nothing (and succeed) when the app is already installed")
    i.add_argument("--upgrade", action="store_true", help="upgrade an installed app (the default; kept for "
                   "scripts) / 升级已安装的应用（默认）")
    _upgrade_flags(i)

    bk = sub.add_parser("backups", help="list or purge data an upgrade kept / 升级保留的备份数据")
    bk.add_argument("app", nargs="?")
    bk.add_argument("--db", help="database URL (default: $JIMU_DATABASE_URL or sqlite:///./data/jimu.db)")
    bk.add_argument("--purge", type=int, metavar="ID", help="drop backup ID and its table / 删除备份")
    i.add_argument("--overwrite-local", action="store_true", help="apply the bundle's version of definitions "
                   "changed locally (kept otherwise) / 用应用包中的版本覆盖本地修改")
    i.add_argument("--show-plan", action="store_true", help="print the plan before upgrading an installed app; "
                   "stop on an upgrade that loses data (make run) / 升级前显示计划")

    pl = sub.add_parser("plan", help="show what installing or upgrading a bundle would change / 安装或升级前查看变化")
    pl.add_argument("path")
    pl.add_argument("--db", help="database URL (default: $JIMU_DATABASE_URL or sqlite:///./data/jimu.db)")
    pl.add_argument("--json", action="store_true", help="print the plan as JSON")
    pl.add_argument("--overwrite-local", action="store_true", help="plan applying the bundle's version of "
                    "definitions changed locally / 计划覆盖本地修改")

    un = sub.add_parser("uninstall", help="remove an installed app / 卸载应用")
    un.add_argument("app")
    un.add_argument("--db", help="database URL (default: $JIMU_DATABASE_URL or sqlite:///./data/jimu.db)")
    un.add_argument("--drop-data", action="store_true", help="also drop its tables and its rows in platform "
                    "tables (without it the tables are kept and reported) / 同时删除数据表与相关数据")

    ex = sub.add_parser("export", help="write an installed app as a bundle / 导出已安装的应用")
    ex.add_argument("app")
    ex.add_argument("--out", required=True, help="an empty or new folder, or a new FILE.zip")
    ex.add_argument("--db", help="database URL (default: $JIMU_DATABASE_URL or sqlite:///./data/jimu.db)")
    ex.add_argument("--with-data", action="store_true", help="also its records, files and the people they name "
                    "(installs only where the app holds nothing) / 同时导出记录、附件及相关人员")

    rv = sub.add_parser("revert", help="put an app's definitions back as at an earlier version / 回退到旧版本定义")
    rv.add_argument("app")
    rv.add_argument("version", help="an app version stored in its history (see the versions API)")
    rv.add_argument("--db", help="database URL (default: $JIMU_DATABASE_URL or sqlite:///./data/jimu.db)")
    rv.add_argument("--dry-run", action="store_true", help="print the plan only / 只显示计划")
    _upgrade_flags(rv)

    s = sub.add_parser("serve", help="serve the API and web pages / 启动服务")
    s.add_argument("--db", help="database URL")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--no-worker", action="store_true", help="do not run jobs and events in this process")

    w = sub.add_parser("worker", help="run due jobs and dispatch events / 运行后台任务")
    w.add_argument("--db", help="database URL")
    w.add_argument("--poll", type=float, default=1.0, metavar="SECONDS", help="wait when idle (default 1)")
    w.add_argument("--once", action="store_true", help="one round, then exit")
    w.add_argument("--heartbeat", type=float, default=10.0, metavar="SECONDS",
                   help="say it is alive this often (default 10)")
    w.add_argument("--stale-after", type=float, metavar="SECONDS",
                   help="silence after which other workers take over its jobs (default 3 heartbeats)")

    e = sub.add_parser("eval", help="evaluate an expression / 计算表达式", add_help=False)
    e.add_argument("rest", nargs=argparse.REMAINDER)

    u = sub.add_parser("users", help="add users, set passwords, make API tokens / 用户与令牌", add_help=False)
    u.add_argument("rest", nargs=argparse.REMAINDER)
    if engine_commands is not None:
        engine_commands.update(_engine_commands(sub))
    return p


def _engine_commands(sub) -> dict:
    """Every engine's sub-commands, added to ``sub``; a name already taken is the engine's mistake."""
    from .plugins import hooks

    out: dict = {}
    for hook in hooks("add_commands"):
        for name, handler in (hook(sub) or {}).items():
            if name in BUILT_IN or name in out:
                raise SystemExit(f"jimu: an engine adds the command {name!r} twice or over a built-in one")
            out[name] = handler
    return out


def main(argv: list[str] | None = None) -> int:
    from .errors import JimuError

    try:
        return _main(argv)
    except JimuError as e:
        if e.code != "engine.E001":
            raise
        _print_error(e)  # an engine that cannot be loaded: one line, whatever the command
        return 1


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "eval":  # the expression CLI owns its arguments (and its --help)
        from rules.expr.eval_cli import main as eval_main

        return eval_main(argv[1:])
    if argv and argv[0] == "users":  # so does `jimu users` (add, passwd, token, list)
        from .identity.users_cli import main as users_main

        return users_main(argv[1:])
    # engines' commands are read only when the command is not a built-in one (or for the help)
    engine_commands: dict | None = None if argv and argv[0] in BUILT_IN else {}
    parser = _parser(engine_commands)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if engine_commands and args.command in engine_commands:
        return int(engine_commands[args.command](args) or 0)
    if args.command == "check":
        from .bundle.check_cli import main as check_main

        return check_main([args.path] + (["--json"] if args.json else []))
    if args.command == "install":
        return _install(args)
    if args.command == "plan":
        from .lifecycle.plan_cli import main as plan_main

        return plan_main(args.path, args.db, args.json, overwrite_local=args.overwrite_local)
    if args.command == "uninstall":
        return _uninstall(args)
    if args.command == "backups":
        from .lifecycle.backups import main as backups_main

        return backups_main(args.app, args.purge, args.db)
    if args.command in ("export", "revert"):
        from .lifecycle.export_cli import export_main, revert_main

        return (export_main if args.command == "export" else revert_main)(args)
    if args.command == "serve":
        return _serve(args)
    if args.command == "worker":
        from .platform.worker import main as worker_main

        return worker_main(args.db, args.poll, args.once, args.heartbeat, args.stale_after)
    return 2


def _upgrade_flags(p: argparse.ArgumentParser) -> None:
    """What an upgrade (install over an installed app, or a revert) may be told."""
    p.add_argument("--allow-data-loss", action="store_true", help="let an upgrade drop fields or entities holding "
                   "data and blank removed select options (the data is kept in a backup table) / 允许删除有数据的字段")
    p.add_argument("--fill", action="append", default=[], metavar="ENTITY.FIELD=VALUE",
                   help="what old rows get where a value does not convert or a field became required "
                   "(VALUE 'blank' leaves it empty) / 无法转换或新必填字段的填充值")
    p.add_argument("--map-option", action="append", default=[], metavar="ENTITY.FIELD:OLD=NEW",
                   help="give rows holding a removed select option another option / 已删除选项改为新选项")


def _install(args) -> int:
    from .install import install_bundle
    from .lifecycle.migrate_values import upgrade_options

    if args.show_plan:
        from .lifecycle.apply import planned_install

        return _on_runtime(args.db, lambda rt: planned_install(rt, args))
    try:
        options = upgrade_options(args.allow_data_loss, args.fill, args.map_option)
    except ValueError as e:
        print(f"error: migrate.E006: {e}", file=sys.stderr)
        return 2
    return _on_runtime(args.db, lambda rt: install_bundle(rt, args.path, demo=args.demo, if_missing=args.if_missing,
                                                          options=options, overwrite_local=args.overwrite_local))


def _uninstall(args) -> int:
    from .lifecycle.uninstall import uninstall_app

    return _on_runtime(args.db, lambda rt: uninstall_app(rt, args.app, drop_data=args.drop_data))


def _on_runtime(db: str | None, work) -> int:
    """Open the database, do ``work(runtime)`` and print its summary; a refusal is printed, exit 1."""
    from .errors import JimuError
    from .runtime import open_runtime

    rt = open_runtime(db)
    try:
        result = work(rt)
    except JimuError as e:
        _print_error(e)
        return 1
    finally:
        rt.db.dispose()
    print(result.summary())
    return 0


def _print_error(e) -> None:
    print(f"error: {e.code}: {e.message['zh']} / {e.message['en']}", file=sys.stderr)
    for d in e.details:
        m = d.get("message")
        if not m:  # a detail that only names something (an app, a table): the message said it
            continue
        where = f"{d['file']}:{d.get('path', '')}" if d.get("file") else d.get("path", "")
        line = f" (line {d['line']})" if d.get("line") else ""
        warn = f"{d['severity']}: " if d.get("severity") in ("warning", "info") else ""
        print(f"  {warn}{where}: {m.get('zh', '')} / {m.get('en', '')}{line}", file=sys.stderr)


def _serve(args) -> int:
    import uvicorn

    from .api.app import create_app
    from .identity.bootstrap import ensure_admin
    from .runtime import open_runtime

    rt = open_runtime(args.db)
    first_admin = ensure_admin(rt)
    if first_admin:  # the only time this password is shown: the database keeps only its hash
        login, password = first_admin
        print(f"管理员账号 {login} 密码 {password} (请登录后用 jimu users passwd {login} 修改)\n"
              f"admin account {login}, password {password} (change it with: jimu users passwd {login})", flush=True)
    print(f"Jimu {__version__} serving {', '.join(sorted(rt.apps)) or 'no apps'} on http://{args.host}:{args.port}"
          f"  (database: {rt.db.engine.url.render_as_string(hide_password=True)})", flush=True)
    from .platform.worker import worker_thread

    with contextlib.nullcontext() if args.no_worker else worker_thread(rt):  # jobs and events in-process
        # proxy headers are read by the app, from JIMU_TRUSTED_PROXIES only (engine/api/proxies.py):
        # uvicorn's own handling would trust any X-Forwarded-For from 127.0.0.1
        uvicorn.run(create_app(rt), host=args.host, port=args.port, proxy_headers=False,
                    log_level=os.environ.get("JIMU_LOG_LEVEL", "info"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
