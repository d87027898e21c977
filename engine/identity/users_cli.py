"""``jimu users``: add users, set passwords, make API tokens and list users from the command line.

    jimu users add zhang --name 张三 [--admin] [--email E] [--department CODE] [--password P]
    jimu users passwd zhang [--password P]
    jimu users token zhang --name erp-sync [--expires-days 90]
    jimu users list [--json]

Without ``--password`` (or ``--password-stdin``) the password is asked for on a terminal, or made up
and printed once when there is no terminal (or when the prompt is left empty). A token is printed
once, alone on standard output, so a script can capture it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
import unicodedata

from ..errors import JimuError, ValidationFailed, msg
from ..storage.core_tables import SYSTEM_USER_LOGIN

DB_HELP = "database URL (default: $JIMU_DATABASE_URL or sqlite:///./data/jimu.db)"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jimu users", description="manage users who sign in / 管理用户")
    sub = p.add_subparsers(dest="action", metavar="ACTION")

    a = sub.add_parser("add", help="add a user / 新增用户",
                       description="add a user who can sign in / 新增可登录的用户")
    a.add_argument("login")
    a.add_argument("--name", required=True, help="the user's name as others see it / 姓名")
    _password_args(a)
    a.add_argument("--admin", action="store_true", help="a platform admin (sees and changes everything) / 平台管理员")
    a.add_argument("--email")
    a.add_argument("--department", metavar="CODE", help="the code of the user's department / 部门编码")
    a.add_argument("--db", help=DB_HELP)

    w = sub.add_parser("passwd", help="set a user's password / 设置密码",
                       description="set a user's password; their browser sessions end / 设置密码并结束其登录会话")
    w.add_argument("login")
    _password_args(w)
    w.add_argument("--db", help=DB_HELP)

    t = sub.add_parser("token", help="make an API token for a user / 创建 API 令牌",
                       description="make an API token that acts as the user; printed once / 创建 API 令牌 (只显示一次)")
    t.add_argument("login")
    t.add_argument("--name", required=True, help="what the token is for, e.g. erp-sync / 令牌名称")
    t.add_argument("--expires-days", type=int, metavar="D", help="days until it expires (default: never) / 有效天数")
    t.add_argument("--db", help=DB_HELP)

    s = sub.add_parser("list", help="list users / 用户列表", description="list users / 用户列表")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument("--db", help=DB_HELP)
    return p


def _password_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--password", help="the password (visible in the shell history: prefer the prompt) / 密码")
    g.add_argument("--password-stdin", action="store_true", help="read the password from standard input")


def main(argv: list[str] | None = None) -> int:
    p = _parser()
    args = p.parse_args(argv)
    if args.action is None:
        p.print_help()
        return 2
    from ..runtime import Runtime
    from ..storage.database import open_database

    rt = Runtime(open_database(args.db))  # the installed apps are not needed: no compiling them
    try:
        return {"add": _add, "passwd": _passwd, "token": _token, "list": _list}[args.action](rt, args)
    except JimuError as e:
        _print_error(e)
        return 1
    finally:
        rt.db.dispose()


def _add(rt, args) -> int:
    from .accounts import add_user

    password, generated = _password(args)
    with rt.transaction() as c:
        uid = add_user(rt, c, args.login, args.name, password, is_admin=args.admin, email=args.email,
                       department_code=args.department, actor=rt.db.system_user_id)
    print(f"已创建用户 {args.login} (id {uid}) / created user {args.login} (id {uid})"
          + (" — 平台管理员 / platform admin" if args.admin else ""))
    if generated:
        print(f"密码 / password: {password}")
    return 0


def _passwd(rt, args) -> int:
    from .accounts import set_password, user_id_by_login

    with rt.connect() as c:
        user_id_by_login(rt, c, args.login)  # an unknown login fails before asking for a password
    password, generated = _password(args)
    with rt.transaction() as c:
        set_password(rt, c, args.login, password, actor=rt.db.system_user_id)
    print(f"已设置 {args.login} 的密码 / password set for {args.login}")
    if generated:
        print(f"密码 / password: {password}")
    return 0


def _token(rt, args) -> int:
    from .accounts import user_id_by_login
    from .api_tokens import create_token

    if args.expires_days is not None and args.expires_days < 1:
        raise ValidationFailed("auth.E_TOKEN_INVALID", msg("有效天数应至少为 1", "--expires-days must be at least 1"))
    with rt.transaction() as c:
        uid = user_id_by_login(rt, c, args.login)
        expires = rt.clock() + dt.timedelta(days=args.expires_days) if args.expires_days else None
        made = create_token(rt, c, uid, args.name, expires_at=expires, actor=rt.db.system_user_id)
    print(made.token)
    until = f"{made.expires_at.isoformat()}Z" if made.expires_at else "永不过期 / never"
    print(f"令牌 '{made.name}' ({made.prefix}) 只显示这一次, 请妥善保存; 过期 / expires: {until}\n"
          f"token '{made.name}' ({made.prefix}) is shown only this once: keep it safe", file=sys.stderr)
    return 0


def _list(rt, args) -> int:
    import sqlalchemy as sa

    u, d = rt.db.core["user"], rt.db.core["department"]
    with rt.connect() as c:
        rows = c.execute(sa.select(u.c.id, u.c.login, u.c.name, u.c.is_admin, u.c.active, u.c.email,
                                   d.c.code.label("department"), (u.c.password_hash.is_not(None)).label("password"))
                         .select_from(u.outerjoin(d, u.c.department_id == d.c.id))
                         .where(u.c.login != SYSTEM_USER_LOGIN).order_by(u.c.login)).mappings().all()
    items = [{k: (bool(v) if k in ("is_admin", "active", "password") else v) for k, v in r.items()} for r in rows]
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return 0
    head = ["id", "login", "name 姓名", "admin 管理员", "active 启用", "email", "department 部门", "password 密码"]
    table = [[str(i["id"]), i["login"], i["name"], _yes(i["is_admin"]), _yes(i["active"]), i["email"] or "",
              i["department"] or "", _yes(i["password"])] for i in items]
    widths = [max(_width(row[k]) for row in [head, *table]) for k in range(len(head))]
    for row in [head, *table]:
        print("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths)).rstrip())
    print(f"{len(items)} 个用户 / {len(items)} user(s)")
    return 0


def _password(args) -> tuple[str, bool]:
    """(password, was it made up here)."""
    if args.password is not None:
        return args.password, False
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if sys.stdin.isatty():
        first = getpass.getpass("密码 / password (留空则自动生成 / empty: generate one): ")
        if first:
            from .passwords import check_policy

            check_policy(first)  # before asking again
            if getpass.getpass("再次输入 / again: ") != first:
                raise ValidationFailed("user.E_PASSWORD_MISMATCH", msg("两次输入的密码不一致", "the passwords differ"))
            return first, False
    from .passwords import generate_password

    return generate_password(), True


def _yes(v: bool) -> str:
    return "yes" if v else "-"


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


def _print_error(e: JimuError) -> None:
    print(f"error: {e.code}: {e.message['zh']} / {e.message['en']}", file=sys.stderr)
    for d in e.details:
        m = d.get("message", {})
        print(f"  {d.get('path', '')}: {m.get('zh', '')} / {m.get('en', '')}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
