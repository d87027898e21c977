"""Item 4: engines add ``jimu`` sub-commands; ``jimu --help`` lists them; built-ins stay light."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def jimu(*args: str, engines: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("JIMU_EXTRA_ENGINES", None)
    if engines:
        env["JIMU_EXTRA_ENGINES"] = "tests.hooks.sample_engine"
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


def test_help_lists_the_engine_command():
    r = jimu("--help")
    assert r.returncode == 0 and "sample-hello" in r.stdout and "打招呼" in r.stdout
    assert "check" in r.stdout and "eval" in r.stdout
    assert "sample-hello" not in jimu("--help", engines=False).stdout


def test_the_engine_command_runs_with_its_exit_code():
    r = jimu("sample-hello", "--name", "Ada", "--times", "2")
    assert r.returncode == 0 and r.stdout == "你好 / hello, Ada\n" * 2, r.stderr
    assert jimu("sample-hello", "--name", "nobody").returncode == 3
    r = jimu("sample-hello", "--help")
    assert r.returncode == 0 and "--name" in r.stdout


def test_bad_arguments_get_argparse_errors_not_tracebacks():
    for args in (["sample-hello"], ["sample-hello", "--name", "x", "--times", "many"], ["sample-hello", "--bogus"]):
        r = jimu(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert "usage:" in r.stderr and "Traceback" not in r.stderr, args
    r = jimu("sample-hello", "--name", "x", engines=False)  # without the engine: an unknown command
    assert r.returncode == 2 and "invalid choice" in r.stderr and "Traceback" not in r.stderr


def test_built_in_commands_do_not_import_engines():
    probe = ("import sys; from engine import cli; "
             "rc = cli.main(['eval', '1+1']); "
             "print(rc, [m for m in ('forms', 'tests.hooks.sample_engine', 'fastapi', 'sqlalchemy') "
             "if m in sys.modules])")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JIMU_EXTRA_ENGINES": "tests.hooks.sample_engine"}
    r = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert r.stdout.splitlines() == ["2", "0 []"], r.stderr


def test_an_engine_that_cannot_be_loaded_is_named_not_a_traceback():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JIMU_EXTRA_ENGINES": "no_such_pkg.engine"}
    for args in (["check", "apps/sales_erp"], ["--help"], ["plan", "apps/sales_erp", "--db", "sqlite://"]):
        r = subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=ROOT, capture_output=True, text=True,
                           timeout=120, env=env)
        assert r.returncode == 1 and "Traceback" not in r.stderr, (args, r.stderr)
        assert "engine.E001" in r.stderr and "no_such_pkg.engine" in r.stderr and "JIMU_EXTRA_ENGINES" in r.stderr
