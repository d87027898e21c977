"""At 375 px (a phone): lists become cards, the menu a drawer, and no page scrolls sideways."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import sign_in, wait_idle

pytestmark = pytest.mark.browser
WIDTH = 375


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= WIDTH, f"the page is {width}px wide"


def test_lists_become_cards_and_nothing_scrolls_sideways(open_page, shot):
    page = open_page(width=WIDTH, height=740)
    _no_sideways_scroll(page)
    sign_in(page, "rep_east1")
    _no_sideways_scroll(page)
    shot(page, "home-375")

    page.click("[data-test=menu-toggle]")
    page.locator(".menu-drawer [data-entity=customer]").click()
    expect(page.locator(".menu-drawer")).to_be_hidden()
    wait_idle(page)
    cards = page.locator(".record-card")
    expect(cards).to_have_count(20)
    expect(page.locator(".record-table")).to_have_count(0)
    expect(cards.first).to_contain_text("客户等级")
    _no_sideways_scroll(page)

    page.click("[data-test=add-filter]")
    page.locator(".el-dropdown-menu__item:visible", has_text="首次成交日期").click()
    page.click("[data-test=add-filter]")
    page.locator(".el-dropdown-menu__item:visible", has_text="客户等级").click()
    expect(page.locator(".el-dropdown-menu__item:visible")).to_have_count(0)
    _no_sideways_scroll(page)
    shot(page, "list-375", full_page=False)

    cards.nth(0).locator(".el-checkbox").click()
    expect(page.locator("[data-test=bulk-bar]")).to_contain_text("已选 1 条")
    _no_sideways_scroll(page)

    cards.nth(1).locator(".card-title").click()
    expect(page.locator("[data-test=record-title]")).to_be_visible()
    _no_sideways_scroll(page)

    page.goto("/#/inbox")
    expect(page.locator(".inbox-page")).to_be_visible()
    _no_sideways_scroll(page)

    search = page.locator(".top-search-row [data-test=global-search]")
    search.fill("华为")
    expect(page.locator("[data-test=search-results]")).to_contain_text("华为技术有限公司")
    _no_sideways_scroll(page)
