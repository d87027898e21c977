"""A kind an engine adds to the inbox (issue 12, item 5), in the browser: the header badge counts it
and the inbox shows it under its own label, in the user's language. Its own `jimu serve`, with the
sample engine of tests/hooks joined (JIMU_EXTRA_ENGINES), over the sales app's demo data."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from .conftest import ROOT, SALES_ERP, _free_port, sign_in

pytestmark = pytest.mark.browser
SAMPLE = "tests.hooks.sample_engine"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Overrides the session's server for this module: one whose runtime has the sample engine."""
    from engine.install import install_bundle
    from engine.runtime import open_runtime

    db_url = f"sqlite:///{tmp_path_factory.mktemp('web-inbox') / 'jimu.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JIMU_EXTRA_ENGINES", SAMPLE)
        rt = open_runtime(db_url)
        try:
            install_bundle(rt, SALES_ERP, demo=True)
            with rt.transaction() as c:
                me = c.execute(sa.select(rt.db.core["user"].c.id).where(
                    rt.db.core["user"].c.login == "rep_east1")).scalar_one()
                for title in ("评审合同 A", "评审合同 B", "评审合同 C"):
                    c.execute(sa.insert(rt.db.core["sample_review"]).values(user_id=me, title=title, done=False))
        finally:
            rt.db.dispose()
    port = _free_port()
    env = dict(os.environ, JIMU_EXTRA_ENGINES=SAMPLE)
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--db", db_url, "--host", "127.0.0.1",
                             "--port", str(port), "--no-worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(base + "/api/v1/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("jimu serve exited")
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_badge_counts_an_engines_kind_and_the_inbox_shows_it_with_its_label(open_page, shot):
    page = open_page()
    sign_in(page, "rep_east1")
    badge = page.locator("[data-test=inbox-badge] sup")
    expect(badge).to_have_text("3")  # no to-dos, no notifications: the three open reviews
    expect(page.locator("[data-test=tile-reviews]")).to_contain_text("评审")
    page.click("[data-test=inbox-link]")
    page.click("[data-test=tab-reviews]")
    expect(page.locator("[data-test=tab-reviews]")).to_contain_text("评审")
    items = page.locator(".inbox-item[data-kind=reviews]")
    expect(items).to_have_count(3)
    expect(items.first).to_contain_text("评审合同 C")  # newest first
    shot(page, "inbox-reviews")
    page.click("[data-test=lang-switch]")
    page.locator("[data-test=lang-en]:visible").click()
    expect(page.locator("[data-test=tab-reviews]")).to_contain_text("Reviews")


def test_a_user_with_no_reviews_sees_no_count(open_page):
    page = open_page()
    sign_in(page, "finance1")
    expect(page.locator("[data-test=tile-reviews]")).to_contain_text("0")
    expect(page.locator("[data-test=inbox-badge] sup")).to_be_hidden()
