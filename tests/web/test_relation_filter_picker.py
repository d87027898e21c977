"""Issue 11 item 17 in the browser: a quote line's product picker offers only the products on sale
(the product relation's ``filter: "active = TRUE"``, through the form state's ``field`` for the picker)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_item17_a_line_product_picker_leaves_out_products_not_on_sale(open_page, shot):
    page = open_page()
    sign_in(page, "manager_east")  # reps read only products on sale anyway (roles.yaml)
    page.goto("/#/r/sales_erp/opportunity/new")
    page.click(".form-tabs [data-tab='1']")
    page.click("[data-test=add-row]")
    page.click("[data-subtable=lines] [data-row='0'] [data-col=product] .el-select")
    items = page.locator(".el-select-dropdown__item:visible")
    expect(items.filter(has_text="智能网关 G1")).to_have_count(1)
    shot(page, "item17-product-picker")
    assert items.filter(has_text="年度运维服务").count() == 0  # off sale in the demo data
    page.keyboard.press("Escape")
