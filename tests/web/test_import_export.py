"""Export of the current filter (and of selected rows), and import with a dry run whose problems are
listed row by row before anything is written — in Chromium, as a manager (reps may do neither)."""
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


def _rows(path) -> list[tuple]:
    return list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))


def test_a_rep_gets_no_export_or_import_buttons(open_page):
    page = open_page()
    sign_in(page, "rep_east1")
    open_list(page, "customer")
    expect(page.locator("[data-test=new]")).to_be_visible()
    expect(page.locator("[data-test=export]")).to_have_count(0)
    expect(page.locator("[data-test=import]")).to_have_count(0)


def test_export_downloads_the_current_filter_and_the_selected_rows(open_page, tmp_path):
    page = open_page()
    sign_in(page, "manager_east")
    open_list(page, "customer")
    page.fill("[data-test=keyword]", "测试客户 1")  # 10..19
    expect(page.locator("[data-test=total]")).to_have_text("共 10 条")
    with page.expect_download() as dl:
        page.click("[data-test=export]")
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    assert path.suffix == ".xlsx"
    rows = _rows(path)
    assert rows[0][0] == "客户名称"
    assert sorted(r[0] for r in rows[1:]) == [f"测试客户 {i}" for i in range(10, 20)]

    boxes = page.locator(".record-table .el-table__body .el-checkbox")
    boxes.nth(0).click()
    boxes.nth(1).click()
    expect(page.locator("[data-test=bulk-bar]")).to_contain_text("已选 2 条")
    chosen = [t.strip() for t in page.locator(".record-table .el-table__body tr td:nth-child(2)").all_inner_texts()[:2]]
    with page.expect_download() as dl:
        page.click("[data-test=export-selected]")
    path = tmp_path / ("selected-" + dl.value.suggested_filename)
    dl.value.save_as(path)
    assert sorted(r[0] for r in _rows(path)[1:]) == sorted(chosen)


def test_import_shows_the_dry_run_problems_then_imports_a_clean_file(open_page, tmp_path, shot):
    page = open_page()
    sign_in(page, "manager_east")
    open_list(page, "lead")
    before = int(page.locator("[data-test=total]").inner_text().split()[1])
    page.click("[data-test=import]")
    bad = tmp_path / "leads-bad.xlsx"
    bad.write_bytes(_xlsx(["公司名称", "联系人", "手机", "线索来源"],
                          [["南京新材料有限公司", "孙强", "13912345678", "展会"],
                           ["", "李雷", "12345", "展会"],
                           ["合肥智能家居", "韩梅梅", "13800001111", "广告"]]))
    page.set_input_files("[data-test=import-file]", str(bad))
    expect(page.locator("[data-test=import-problems]")).to_be_visible()
    table = page.locator("[data-test=problem-table]")
    expect(table).to_contain_text("公司名称")
    expect(table).to_contain_text("手机")
    expect(table).to_contain_text("线索来源")
    rows = [r.split("\t") for r in table.locator(".el-table__body tr").all_inner_texts()]
    assert {r[0].strip() for r in rows} == {"3", "4"}  # spreadsheet rows: the header is row 1
    expect(page.locator("[data-test=import-run]")).to_be_disabled()
    shot(page, "import-problems")

    good = tmp_path / "leads-good.xlsx"
    good.write_bytes(_xlsx(["公司名称", "联系人", "手机", "线索来源"],
                           [["南京新材料有限公司", "孙强", "13912345678", "展会"],
                            ["合肥智能家居", "韩梅梅", "13800001111", "官网"]]))
    page.set_input_files("[data-test=import-file]", str(good))
    expect(page.locator("[data-test=import-clean]")).to_be_visible()
    expect(page.locator("[data-test=import-run]")).to_be_enabled()
    page.click("[data-test=import-run]")
    expect(page.locator("[data-test=import-done]")).to_contain_text("已导入 2 条记录")
    page.keyboard.press("Escape")
    expect(page.locator("[data-test=total]")).to_have_text(f"共 {before + 2} 条")
    expect(page.locator(".record-table")).to_contain_text("合肥智能家居")
