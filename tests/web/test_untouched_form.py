"""Issue 11 item 18: an existing record opened and left alone is not "edited". Controls that hold a blank
their own way (a rating as 0 stars, a switch as off, a multi-select as [], a date picker as null...)
must not mark the form as having unsaved changes; the comparison is of the values a save would send."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import SPECIMEN_CLERK, api_get, sign_in

pytestmark = pytest.mark.browser


def test_item18_a_record_with_every_field_blank_opens_without_unsaved_changes(open_page, shot):
    page = open_page()
    sign_in(page, SPECIMEN_CLERK)
    (blank,) = api_get(page, "/api/v1/records/ft/specimen", q="空白样本")["items"]
    assert blank["f_rating"] is None and blank["f_boolean"] is None and blank["f_multiselect"] is None
    page.goto(f"/#/r/ft/specimen/{blank['id']}")
    expect(page.locator(".record-editor [data-field=f_rating]")).to_be_visible()
    page.wait_for_load_state("networkidle")  # the form state has answered
    page.wait_for_timeout(300)
    shot(page, "item18-untouched-specimen", full_page=True)
    expect(page.get_by_text("有未保存的修改")).to_have_count(0)
    expect(page.locator("[data-test=discard]")).to_have_count(0)
    # an edit is still an edit: the same switch, turned on, is unsaved
    page.locator(".record-editor [data-field=f_boolean] .el-switch").click()
    expect(page.get_by_text("有未保存的修改")).to_be_visible()
    page.locator(".record-editor [data-field=f_boolean] .el-switch").click()  # back to how it was: false, not blank
    expect(page.get_by_text("有未保存的修改")).to_be_visible()
