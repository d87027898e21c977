"""The inbox (to-dos and notifications with counts in the header, mark done and read, links to the
records) and the language switch (the page's texts and the definitions' labels; kept for the user)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_inbox_counts_mark_done_and_read_and_link_to_the_record(open_page, shot):
    page = open_page()
    sign_in(page, "rep_east2")  # conftest gave them two open to-dos and two unread notifications
    badge = page.locator("[data-test=inbox-badge] sup")
    expect(badge).to_have_text("4")
    page.click("[data-test=inbox-link]")
    todos = page.locator(".inbox-item[data-todo]")
    expect(todos).to_have_count(2)
    expect(todos.first).to_contain_text("海尔集团")  # the link to the record, by its title
    shot(page, "inbox")
    todos.filter(has_text="回访海尔集团").locator("[data-test=todo-done]").click()
    expect(badge).to_have_text("3")
    expect(page.locator(".inbox-item[data-todo]")).to_have_count(1)

    page.click("[data-test=tab-notifications]")
    notes = page.locator(".inbox-item[data-notification]")
    expect(notes).to_have_count(2)
    expect(page.locator(".inbox-item.unread")).to_have_count(2)
    notes.filter(has_text="海尔集团有新的商机").locator("[data-test=mark-read]").click()
    expect(badge).to_have_text("2")
    expect(page.locator(".inbox-item.unread")).to_have_count(1)

    notes.filter(has_text="海尔集团有新的商机").locator(".inbox-record").click()
    expect(page.locator("[data-test=record-title]")).to_have_text("海尔集团")


def test_the_language_switch_changes_labels_and_is_kept_for_the_user(open_page, shot):
    page = open_page()
    sign_in(page, "rep_south1")  # their account says English
    menu = page.locator(".side-menu")
    expect(menu).to_contain_text("Sales ERP")
    expect(menu).to_contain_text("Customer")
    page.click("[data-test=lang-switch]")
    page.locator("[data-test=lang-zh]:visible").click()
    expect(menu).to_contain_text("销售管理")
    expect(menu).to_contain_text("客户")
    expect(page.locator(".top-search [data-test=global-search]")).to_have_attribute("placeholder", "搜索全部…")
    page.click(".side-menu [data-entity=customer]")
    expect(page.locator(".record-table thead")).to_contain_text("客户名称")
    expect(page.locator("[data-test=total]")).to_have_text("共 1 条")

    page.reload()  # saved with the account, not only in this page
    expect(page.locator(".record-table thead")).to_contain_text("客户名称")
    page.click("[data-test=lang-switch]")
    page.locator("[data-test=lang-en]:visible").click()
    expect(page.locator(".record-table thead")).to_contain_text("Name")
    expect(page.locator("[data-test=total]")).to_have_text("1 in all")
    expect(page.locator(".record-table .el-table__body")).to_contain_text("A key account")  # option labels too
    shot(page, "list-en")


def test_the_browser_language_decides_the_sign_in_page_and_a_choice_there_is_saved(open_page):
    page = open_page(locale="en-US")
    expect(page.locator("[data-test=submit]")).to_have_text("Sign in")
    page.click("[data-test=lang-switch]")
    page.locator("[data-test=lang-zh]:visible").click()
    expect(page.locator("[data-test=submit]")).to_have_text("登录")
    sign_in(page, "rep_south1")  # English in their account until now: the choice on the sign-in page wins
    expect(page.locator(".side-menu")).to_contain_text("销售管理")
    me = page.request.get("/api/v1/auth/me").json()
    assert me["user"]["language"] == "zh"
    page.click("[data-test=lang-switch]")  # and back, for the other tests
    page.locator("[data-test=lang-en]:visible").click()
    expect(page.locator(".side-menu")).to_contain_text("Sales ERP")


def test_a_wrong_password_is_shown_on_the_sign_in_page(open_page):
    page = open_page()
    page.expect_console_error(r"status of 401")  # the browser logs the refused sign-in itself
    page.fill("[data-test=login]", "rep_east1")
    page.fill("[data-test=password]", "not-the-password")
    page.click("[data-test=submit]")
    expect(page.locator("[data-test=login-error]")).to_contain_text("登录名或密码错误")
    expect(page.locator(".shell")).to_have_count(0)


def test_signing_out_and_back_in_returns_to_the_page_asked_for(open_page):
    page = open_page()
    sign_in(page, "rep_east1")
    page.click("[data-test=user-menu]")
    page.locator("[data-test=sign-out]:visible").click()
    expect(page.locator(".login-page")).to_be_visible()
    page.goto("/#/l/sales_erp/contact")  # signed out: the sign-in page first, then the list
    expect(page.locator(".login-page")).to_be_visible()
    assert "next=" in page.url
    sign_in(page, "rep_east1")
    expect(page.locator(".list-page[data-entity=contact] [data-test=total]")).to_have_text("共 3 条")
