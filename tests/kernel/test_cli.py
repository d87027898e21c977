"""The jimu command as an implementer runs it: a subprocess, real files, a real server."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import SALES_ERP

ROOT = Path(__file__).resolve().parents[2]


def jimu(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_version_and_help_on_every_command():
    r = jimu("--version")
    assert r.returncode == 0 and r.stdout.startswith("jimu ")
    for cmd in ("check", "install", "serve", "eval"):
        r = jimu(cmd, "--help")
        assert r.returncode == 0, (cmd, r.stderr)
        assert "usage" in r.stdout.lower(), cmd


def test_install_then_install_again_keeps_the_data(tmp_path):
    db = f"sqlite:///{tmp_path / 'jimu.db'}"
    r = jimu("install", str(SALES_ERP), "--demo", "--if-missing", "--db", db)
    assert r.returncode == 0, r.stderr
    assert "customer 6" in r.stdout
    r = jimu("install", str(SALES_ERP), "--demo", "--if-missing", "--db", db)
    assert r.returncode == 0 and "already installed" in r.stdout


def test_install_reports_a_bad_bundle_and_exits_1(tmp_path):
    (tmp_path / "app.yaml").write_text("app: x\nversion: 1.0.0\nlabel: {zh: 甲, en: A}\n", "utf-8")
    (tmp_path / "entities").mkdir()
    (tmp_path / "entities" / "e.yaml").write_text("entity: e\nlabel: {zh: 乙, en: B}\nfields:\n"
                                                  "  - {name: x, type: nubmer, label: {zh: 丙, en: C}}\n", "utf-8")
    r = jimu("install", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'j.db'}")
    assert r.returncode == 1
    assert "entities/e.yaml" in r.stderr and "nubmer" in r.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_the_api_and_the_start_page(tmp_path):
    db = f"sqlite:///{tmp_path / 'jimu.db'}"
    assert jimu("install", str(SALES_ERP), "--demo", "--db", db).returncode == 0
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--db", db, "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                health = json.load(urllib.request.urlopen(f"{base}/api/v1/health", timeout=2))
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not start")
        assert health["status"] == "ok" and health["apps"] == ["sales_erp"]
        page = urllib.request.urlopen(base + "/", timeout=5).read().decode("utf-8")
        assert "/static/app/main.js" in page  # the web app; its data comes from the API once signed in
        assert urllib.request.urlopen(base + "/static/app/main.js", timeout=5).status == 200
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"{base}/api/v1/records/sales_erp/product?sort=code", timeout=5)
        assert e.value.code == 401  # records need a signed-in user
        docs = urllib.request.urlopen(f"{base}/openapi.json", timeout=5).read()
        assert b"/api/v1/records/{app}/{entity}" in docs
    finally:
        proc.terminate()
        proc.wait(timeout=10)
