"""Global search in the header and saved views of a list: both read paths, so a rep finds only what
their roles let them read, and a view is theirs alone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import EXTRA_CUSTOMERS, api_get, open_list, sign_in, total_of

pytestmark = pytest.mark.browser


def _search(page, text: str):
    box = page.locator(".top-search [data-test=global-search]")
    box.fill(text)
    results = page.locator("[data-test=search-results]")
    expect(results).to_be_visible()
    return results


def test_global_search_finds_own_customers_and_never_another_reps(open_page, shot):
    page = open_page()
    sign_in(page, "rep_east1")
    results = _search(page, "华为")
    expect(results.locator("[data-entity=customer]")).to_contain_text("华为技术有限公司")
    expect(results.locator("[data-entity=opportunity]")).to_contain_text("华为园区网关升级")
    shot(page, "search")

    results = _search(page, "海尔")  # rep_east2's customer, and its opportunity
    expect(results).to_contain_text("没有找到")
    expect(results.locator(".search-hit")).to_have_count(0)

    results = _search(page, "测试客户")
    expect(results.locator("[data-entity=customer] .search-hit")).to_have_count(5)
    expect(results.locator("[data-entity=customer] .search-all")).to_have_text(f"全部 {EXTRA_CUSTOMERS} 条")
    results.locator("[data-entity=customer] .search-all").click()
    expect(page.locator(".list-page[data-entity=customer] [data-test=total]")).to_have_text(f"共 {EXTRA_CUSTOMERS} 条")

    results = _search(page, "华为")
    results.locator(".search-hit", has_text="华为技术有限公司").click()
    expect(page.locator("[data-test=record-title]")).to_have_text("华为技术有限公司")


def test_the_manager_finds_the_reps_customers(open_page):
    page = open_page()
    sign_in(page, "manager_east")
    results = _search(page, "海尔")
    expect(results.locator("[data-entity=customer]")).to_contain_text("海尔集团")
    results = _search(page, "招商")  # the south team's
    expect(results.locator(".search-hit")).to_have_count(0)


def test_a_saved_view_brings_back_its_filter_and_sort(open_page, shot):
    page = open_page()
    sign_in(page, "rep_east1")
    open_list(page, "customer")
    page.click("[data-test=add-filter]")
    page.locator(".el-dropdown-menu__item:visible", has_text="客户等级").click()
    page.locator("[data-filter=level] .el-select").click()
    page.locator(".el-select-dropdown__item:visible", has_text="C 小客户").click()
    page.keyboard.press("Escape")
    page.locator(".record-table thead th", has_text="客户名称").click()
    small = total_of(page, "customer", filter={"level": {"in": ["C"]}})
    first = api_get(page, "/api/v1/records/sales_erp/customer", filter={"level": {"in": ["C"]}}, sort="name")
    first = first["items"][0]["name"]
    expect(page.locator("[data-test=total]")).to_have_text(f"共 {small} 条")
    expect(page.locator(".record-table .el-table__body tr").first).to_contain_text(first)
    page.click("[data-test=columns]")
    page.locator(".column-choices .el-checkbox:visible", has_text="行业").click()
    page.locator(".column-choices .el-checkbox:visible", has_text="电话").click()
    page.click("[data-test=columns]")
    expect(page.locator(".record-table thead")).not_to_contain_text("行业")
    expect(page.locator(".record-table thead th").last).to_contain_text("电话")  # in the form's order

    page.click("[data-test=view-menu]")
    page.locator("[data-test=view-save]:visible").click()
    page.locator(".el-message-box input").fill("小客户")
    page.locator(".el-message-box .el-button--primary").click()
    expect(page.locator(".el-message--success")).to_be_visible()
    shot(page, "list-view-saved")

    page.goto("/")  # leave, and come back to the list with its default view
    open_list(page, "customer")
    expect(page.locator("[data-test=total]")).to_have_text(f"共 {total_of(page, 'customer')} 条")
    page.locator("[data-test=view-select]").click()
    page.locator(".el-select-dropdown__item:visible", has_text="小客户").click()
    expect(page.locator("[data-test=total]")).to_have_text(f"共 {small} 条")
    expect(page.locator(".record-table .el-table__body tr").first).to_contain_text(first)
    expect(page.locator("[data-filter=level]")).to_contain_text("C 小客户")
    expect(page.locator(".record-table thead")).not_to_contain_text("行业")
    expect(page.locator(".record-table thead")).to_contain_text("电话")

    page.reload()  # the view is in the address
    expect(page.locator("[data-test=total]")).to_have_text(f"共 {small} 条")
