"""Selecting rows and deleting them from the list (each delete goes through the records API, so a
row the user may not delete is refused there)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import open_list, sign_in

pytestmark = pytest.mark.browser


def test_selected_rows_are_deleted_after_a_confirmation(open_page):
    page = open_page()
    sign_in(page, "rep_south1")
    csrf = page.request.get("/api/v1/auth/me").json()["csrf_token"]
    for name in ("临时客户甲", "临时客户乙"):
        r = page.request.post("/api/v1/records/sales_erp/customer", data={"name": name},
                              headers={"X-CSRF-Token": csrf})
        assert r.status == 201, r.text()
    open_list(page, "customer")
    expect(page.locator("[data-test=total]")).to_have_text("3 in all")  # rep_south1 reads English
    rows = page.locator(".record-table .el-table__body tr")
    for name in ("临时客户甲", "临时客户乙"):
        rows.filter(has_text=name).locator(".el-checkbox").click()
    expect(page.locator("[data-test=bulk-bar]")).to_contain_text("2 selected")
    page.click("[data-test=delete-selected]")
    page.locator(".el-message-box .el-button--primary").click()
    expect(page.locator("[data-test=total]")).to_have_text("1 in all")
    expect(page.locator(".record-table")).not_to_contain_text("临时客户")
    expect(page.locator(".record-table")).to_contain_text("招商银行")
