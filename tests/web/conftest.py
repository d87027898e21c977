"""Browser tests of the web app: `jimu serve` in a subprocess on a free port, over a fresh SQLite file
holding the sales app with its demo data (and a few more records the tests need), driven by Debian's
Chromium through Playwright. Every page a test opens fails the test on any console error or page
error, unless the test says it expects one (``page.expect_console_error(pattern)``).

Without /usr/bin/chromium the tests skip (CI turns a skip into a failure and installs it)."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SALES_ERP = ROOT / "apps" / "sales_erp"
FIELDTYPES = ROOT / "tests" / "forms" / "bundles" / "fieldtypes"  # one field of every type (specimen)
SPECIMEN_CLERK = "specimen_clerk"  # the only user with a role in it, so the demo users' menus stay the sales app
CHROMIUM = "/usr/bin/chromium"
DEMO_PASSWORD = "jimu-demo-2026"
EXTRA_CUSTOMERS = 24  # rep_east1 then has 26 customers: two pages of 20
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(db_url: str) -> None:
    """The sales app with demo data, plus what the tests look at: more customers for rep_east1 (paging)
    and an inbox for rep_east2 (two open to-dos and two unread notifications about their customer)."""
    from fastapi.testclient import TestClient

    from engine.api.app import create_app
    from engine.install import install_bundle
    from engine.platform.notifications import notify
    from engine.runtime import open_runtime

    rt = open_runtime(db_url)
    try:
        install_bundle(rt, SALES_ERP, demo=True)
        _prepare_specimens(rt)
        with TestClient(create_app(rt)) as c:
            def sign_in(login):
                r = c.post("/api/v1/auth/login", json={"login": login, "password": DEMO_PASSWORD})
                assert r.status_code == 200, r.text
                c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
                return r.json()["user"]

            sign_in("rep_east1")
            rows = [{"name": f"测试客户 {i:02d}", "level": "ABC"[i % 3], "industry": "retail", "region": "east",
                     "first_deal_on": f"2025-{(i % 12) + 1:02d}-15"} for i in range(1, EXTRA_CUSTOMERS + 1)]
            r = c.post("/api/v1/records/sales_erp/customer/bulk", json=rows)
            assert r.status_code == 201, r.text

            me = sign_in("rep_east2")
            haier = c.get("/api/v1/records/sales_erp/customer", params={"q": "海尔"}).json()["items"][0]["id"]
            link = {"app": "sales_erp", "entity": "customer", "record_id": haier}
            for title in ("回访海尔集团", "准备海尔报价"):
                r = c.post("/api/v1/todos", json={"title": title, "assignee_id": me["id"], "link": link})
                assert r.status_code == 201, r.text
        with rt.transaction() as conn:
            news = (("海尔集团有新的商机", "Haier has a new opportunity"), ("客户资料已更新", "Customer updated"))
            for zh, en in news:
                notify(rt, conn, me["id"], "demo", {"zh": zh, "en": en}, None, ("sales_erp", "customer", haier))
    finally:
        rt.db.dispose()


def _prepare_specimens(rt) -> None:
    """The test bundle with one field of every type, a clerk for it, and a specimen with every field blank."""
    from engine.identity.org import Org
    from engine.identity.passwords import hash_password
    from engine.install import install_bundle

    app = install_bundle(rt, FIELDTYPES).app.name
    with rt.transaction() as conn:
        org = Org(rt, rt.db.system_user_id)
        uid = org.create_user(conn, SPECIMEN_CLERK, "样本录入员", password_hash=hash_password(DEMO_PASSWORD))
        org.assign_role(conn, app, "clerk", user_id=uid)
    rt.records(app, "specimen").create({"f_text": "空白样本"})


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The base URL of a running `jimu serve`."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'jimu.db'}"
    _prepare(db_url)
    port = _free_port()
    log = open(tmp_path_factory.mktemp("web-log") / "serve.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--db", db_url, "--host", "127.0.0.1",
                             "--port", str(port), "--no-worker"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            if proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(base + "/api/v1/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            proc.poll()
        if proc.returncode is not None:
            log.seek(0)
            pytest.fail(f"jimu serve exited:\n{log.read()}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class ConsoleWatch:
    """Console errors and uncaught page errors of one page; a test may expect some by pattern."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.expected: list[re.Pattern] = []

    def console(self, m) -> None:
        if m.type == "error":
            self.errors.append(f"console: {m.text} ({m.location.get('url', '')})")

    def page_error(self, e) -> None:
        self.errors.append(f"page error: {e}")

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.expected)]


@pytest.fixture
def open_page(browser, server, tmp_path):
    """``open_page(width=1280, height=800, locale="zh-CN")`` -> a page in a fresh browser context
    (no cookies, no storage) at the sign-in page. At the end, any unexpected console or page error
    fails the test."""
    opened = []

    def make(width: int = 1280, height: int = 800, locale: str = "zh-CN"):
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale=locale, accept_downloads=True,
                                  base_url=server)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        watch = ConsoleWatch()
        page.on("console", watch.console)
        page.on("pageerror", watch.page_error)
        page.expect_console_error = lambda pattern: watch.expected.append(re.compile(pattern))
        page.goto("/")
        page.wait_for_selector(".login-page")
        opened.append((ctx, page, watch))
        return page

    yield make
    problems = []
    for ctx, page, watch in opened:
        page.wait_for_timeout(100)  # late errors of the last action
        problems += watch.unexpected()
        ctx.close()
    assert not problems, "errors in the browser console:\n" + "\n".join(problems)


@pytest.fixture
def shot(tmp_path):
    """``shot(page, "list")`` saves a screenshot (into $JIMU_WEB_SHOTS when set, else the test's
    temporary folder) and returns its path."""
    folder = Path(os.environ.get("JIMU_WEB_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full_page: bool = False) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def sign_in(page, login: str, password: str = DEMO_PASSWORD) -> None:
    page.fill("[data-test=login]", login)
    page.fill("[data-test=password]", password)
    page.click("[data-test=submit]")
    page.wait_for_selector(".shell")


def open_list(page, entity: str, app: str = "sales_erp") -> None:
    page.click(f".side-menu [data-app={app}] [data-entity={entity}]")
    page.wait_for_selector(f".list-page[data-entity={entity}] .list-body")
    wait_idle(page)


def wait_idle(page) -> None:
    """Until the list has finished loading."""
    page.wait_for_selector(".list-page[data-loading=no]")


def api_get(browser_page, path: str, /, **params) -> dict:
    """What the API answers the page's signed-in user (the same session cookie): the ground truth a
    page is compared with, whatever records other tests added."""
    query = {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v) for k, v in params.items()}
    r = browser_page.request.get(path, params=query)
    assert r.ok, r.text()
    return r.json()


def total_of(page, entity: str, app: str = "sales_erp", **params) -> int:
    return api_get(page, f"/api/v1/records/{app}/{entity}", page_size=1, **params)["total"]
