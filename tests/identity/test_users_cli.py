"""``jimu users`` and the first admin, as an operator runs them: subprocesses on a SQLite file; what they
make is then used to sign in through the API."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine import cli
from engine.api.app import create_app
from engine.identity.bootstrap import ensure_admin
from engine.identity.event_log import query_events
from engine.runtime import open_runtime

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/api/v1/auth/login"


def jimu(*args: str, stdin: str | None = None, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          input=stdin if stdin is not None else "", timeout=timeout)


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'jimu.db'}"


def _signs_in(db: str, login: str, password: str) -> bool:
    rt = open_runtime(db)
    try:
        return TestClient(create_app(rt)).post(LOGIN, json={"login": login, "password": password}).status_code == 200
    finally:
        rt.db.dispose()


def test_help_on_every_subcommand(capsys):
    r = jimu("users", "--help")
    assert r.returncode == 0 and "usage: jimu users" in r.stdout and "passwd" in r.stdout
    assert "users" in jimu("--help").stdout
    for args in (["add", "--help"], ["passwd", "--help"], ["token", "--help"], ["list", "--help"]):
        with pytest.raises(SystemExit) as e:
            cli.main(["users", *args])
        assert e.value.code == 0 and "usage: jimu users " + args[0] in capsys.readouterr().out, args
    assert "--department" in _help(capsys, "add") and "--expires-days" in _help(capsys, "token")


def _help(capsys, action: str) -> str:
    with pytest.raises(SystemExit):
        cli.main(["users", action, "--help"])
    return capsys.readouterr().out


def test_add_list_passwd_token(db):
    r = jimu("users", "add", "zhang", "--name", "张三", "--password", "first-pass-1", "--email", "z@example.com",
             "--db", db)
    assert r.returncode == 0, r.stderr
    assert "zhang" in r.stdout and "first-pass-1" not in r.stdout
    assert _signs_in(db, "zhang", "first-pass-1")

    listed = json.loads(jimu("users", "list", "--json", "--db", db).stdout)
    assert [(u["login"], u["name"], u["is_admin"], u["active"], u["email"]) for u in listed] == [
        ("zhang", "张三", False, True, "z@example.com")]
    table = jimu("users", "list", "--db", db).stdout
    assert "张三" in table and "system" not in table.split("\n", 1)[1]

    r = jimu("users", "passwd", "zhang", "--password-stdin", "--db", db, stdin="second-pass-2\n")
    assert r.returncode == 0, r.stderr
    assert not _signs_in(db, "zhang", "first-pass-1") and _signs_in(db, "zhang", "second-pass-2")

    r = jimu("users", "token", "zhang", "--name", "erp-sync", "--expires-days", "30", "--db", db)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert token.startswith("jimu_") and "\n" not in token and "只显示这一次" in r.stderr
    rt = open_runtime(db)
    try:
        me = TestClient(create_app(rt), headers={"Authorization": f"Bearer {token}"}).get("/api/v1/auth/me").json()
        assert me["user"]["login"] == "zhang" and me["via"] == "token"
        kinds = [e["kind"] for e in query_events(rt, limit=100)["items"]]
        assert {"user_created", "password_changed", "token_created"} <= set(kinds)
    finally:
        rt.db.dispose()


def test_passwd_ends_the_users_sessions(db):
    assert jimu("users", "add", "li", "--name", "李四", "--password", "first-pass-1", "--db", db).returncode == 0
    rt = open_runtime(db)
    try:
        browser = TestClient(create_app(rt))
        assert browser.post(LOGIN, json={"login": "li", "password": "first-pass-1"}).status_code == 200
        assert browser.get("/api/v1/auth/me").status_code == 200
        assert jimu("users", "passwd", "li", "--password", "second-pass-2", "--db", db).returncode == 0
        assert browser.get("/api/v1/auth/me").status_code == 401
    finally:
        rt.db.dispose()


def test_a_made_up_password_is_printed_once_and_works(db):
    r = jimu("users", "add", "wang", "--name", "王五", "--admin", "--db", db)  # no terminal: one is made up
    assert r.returncode == 0, r.stderr
    password = r.stdout.split("password:")[1].strip()
    assert len(password) >= 12 and _signs_in(db, "wang", password)
    assert json.loads(jimu("users", "list", "--json", "--db", db).stdout)[0]["is_admin"] is True


def test_departments_and_refusals(db, capsys):
    rt = open_runtime(db)
    try:
        with rt.transaction() as c:
            c.execute(rt.db.core["department"].insert().values(name="华东销售部", code="EAST", active=True))
    finally:
        rt.db.dispose()
    r = jimu("users", "add", "zhao", "--name", "赵六", "--department", "EAST", "--password", "abc-12345", "--db", db)
    assert r.returncode == 0, r.stderr
    assert json.loads(jimu("users", "list", "--json", "--db", db).stdout)[0]["department"] == "EAST"

    refusals = [
        (("add", "zhao", "--name", "又一个", "--password", "abc-12345"), "org.E005"),
        (("add", "x1", "--name", "X", "--department", "NOPE", "--password", "abc-12345"), "department.E404"),
        (("add", "x2", "--name", "X", "--password", "12345678"), "auth.E_PASSWORD_POLICY"),
        (("add", "x3", "--name", "X", "--password", "short1"), "至少需要 8 个字符"),
        (("add", "x 4", "--name", "X", "--password", "abc-12345"), "org.E004"),
        (("passwd", "nobody", "--password", "abc-12345"), "user.E404"),
        (("token", "nobody", "--name", "t"), "user.E404"),
        (("token", "zhao", "--name", "t", "--expires-days", "0"), "auth.E_TOKEN_INVALID"),
    ]
    for args, expected in refusals:  # in this process: the same code as the command, without the start-up
        assert cli.main(["users", *args, "--db", db]) == 1, args
        err = capsys.readouterr().err
        assert expected in err and " / " in err, (args, err)  # bilingual
    assert [u["login"] for u in json.loads(jimu("users", "list", "--json", "--db", db).stdout)] == ["zhao"]


def test_ensure_admin_makes_one_admin_once(db):
    rt = open_runtime(db)
    try:
        made = ensure_admin(rt)
        assert made is not None and made[0] == "admin"
        assert ensure_admin(rt) is None
        assert _signs_in(db, "admin", made[1])
        with rt.db.engine.connect() as c:
            admin_id = c.execute(sa.text("SELECT id FROM jimu_user WHERE login = 'admin'")).scalar()
        assert query_events(rt, kind="user_created")["items"][0]["target"] == f"user:{admin_id}"

        u = rt.db.core["user"]  # every admin deactivated: a restart re-enables `admin` with a new password
        with rt.transaction() as c:
            c.execute(u.update().where(u.c.login == "admin").values(active=False))
        again = ensure_admin(rt)
        assert again is not None and again[1] != made[1]
        assert _signs_in(db, "admin", again[1]) and not _signs_in(db, "admin", made[1])
        with rt.connect() as c:
            assert c.execute(sa.select(sa.func.count()).select_from(u).where(u.c.is_admin.is_(True))).scalar() == 1
    finally:
        rt.db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_output(db: str) -> str:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--db", db, "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not start")
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    return out


def test_serve_prints_the_first_admin_password_once(db):
    first = _serve_output(db)
    lines = [ln for ln in first.splitlines() if "admin account admin, password" in ln]
    assert len(lines) == 1 and "管理员账号 admin 密码" in first, first
    password = lines[0].split("password ")[1].split(" ")[0]
    assert _signs_in(db, "admin", password)
    second = _serve_output(db)
    assert "password" not in second and password not in second, second
