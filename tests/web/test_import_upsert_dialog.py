"""The import dialog offers "update existing records matched by" the entity's unique fields, and the
dry run shows how many rows create and how many update — in Chromium, as the app's administrator.
Only dry runs: the shared demo data stays as it is."""
from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from .conftest import open_list, sign_in

pytestmark = pytest.mark.browser


def _xlsx(headers: list, rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_dialog_offers_the_match_field_and_shows_the_counts(open_page, tmp_path, shot):
    page = open_page()
    sign_in(page, "erp_admin")
    open_list(page, "product")
    page.click("[data-test=import]")
    path = tmp_path / "products.xlsx"
    path.write_bytes(_xlsx(["产品编码", "产品名称", "标准售价"],
                           [["P-1001", "智能网关 G1 二代", 4100], ["P-9901", "新产品", 99]]))
    page.set_input_files("[data-test=import-file]", str(path))
    expect(page.locator("[data-test=import-problems]")).to_be_visible()  # P-1001 exists: create only

    page.click("[data-test=import-match]")
    options = page.locator(".el-select-dropdown__item:visible")
    expect(options).to_have_text(["不匹配（只新建）", "产品编码"])
    options.filter(has_text="产品编码").click()
    expect(page.locator("[data-test=import-clean]")).to_be_visible()
    expect(page.locator("[data-test=import-counts]")).to_have_text("1 条新建，1 条更新")
    expect(page.locator("[data-test=import-run]")).to_be_enabled()
    shot(page, "import-upsert-counts")
