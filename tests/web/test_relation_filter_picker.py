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
    page.wait_for_load_state("networkidle")
    # the new row's filter comes with the form state's answer: hold that answer back, so a picker
    # opened before it arrives is seen (it once offered every product until then)
    held = []
    page.route("**/form-state", lambda route: held.append(route))
    page.click("[data-test=add-row]")
    page.click("[data-subtable=lines] [data-row='0'] [data-col=product] .el-select")
    expect(page.locator(".el-select-dropdown:visible")).to_have_count(1)
    page.wait_for_timeout(500)  # the debounce has sent the form state; the picker must not search yet
    items = page.locator(".el-select-dropdown__item:visible")
    assert items.filter(has_text="年度运维服务").count() == 0  # off sale in the demo data
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/form-state")
    expect(items.filter(has_text="智能网关 G1")).to_have_count(1)
    shot(page, "item17-product-picker")
    assert items.filter(has_text="年度运维服务").count() == 0
    page.keyboard.press("Escape")
