"""The record form, driven in Chromium as rep_east1: built from the entity's layout, live computed
values through the form-state endpoint, every message at its field (a sub-table cell too), saving,
a conflict with a reload, comments with an @mention that reaches the manager's inbox, the history,
related records, print to PDF, uploads with progress, and a phone-sized screen."""
# ruff: noqa: F811 (the fixtures api and made come from form_helpers)
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import sign_in
from .form_helpers import API, api, choose, doc_shot, made, record_id, unique  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def _field(page, name: str):
    return page.locator(f".record-editor [data-field={name}]")


def _cell(page, row: int, col: str):
    return page.locator(f".record-editor [data-subtable=lines] [data-row='{row}'] [data-col={col}]")


def _new_opportunity(api, name: str, **values) -> dict:
    rep = api("rep_east1")
    yonghui = rep.find("customer", "永辉超市")
    return rep.post(f"{API}/opportunity", {"name": name, "customer": yonghui["id"], **values})


def test_a_rep_creates_a_customer_and_a_required_field_is_asked_for_at_its_place(open_page, api, made):
    page = open_page()
    sign_in(page, "rep_east1")
    page.click(".side-menu [data-app=sales_erp] [data-entity=customer]")
    page.click("[data-test=new]")
    expect(page.locator("[data-test=record-title]")).to_have_text("新建客户")
    expect(_field(page, "level")).to_contain_text("B 普通客户")  # the definition's default, from the form state
    expect(_field(page, "code").locator(".readonly-value")).to_be_visible()  # read-only for reps (roles.yaml)
    assert _field(page, "credit_limit").count() == 0  # hidden from reps

    page.expect_console_error(r"status of 422")  # the browser logs the refused save itself
    page.click("[data-test=save]")
    expect(_field(page, "name").locator("[data-test=field-error]")).to_have_text("客户名称不能为空")

    name = unique("浏览器新客户")
    _field(page, "name").locator("input").fill(name)
    expect(_field(page, "name").locator("[data-test=field-error]")).to_have_count(0)
    choose(page, "[data-field=industry]", "零售")
    choose(page, "[data-field=region]", "华东")
    _field(page, "phone").locator("input").fill("021-55550000")
    page.click("[data-test=save]")
    rid = record_id(page)
    made("customer", rid)
    expect(page.locator("[data-test=record-title]")).to_have_text(name)
    saved = api("rep_east1").get(f"{API}/customer/{rid}")
    assert (saved["name"], saved["level"], saved["industry"], saved["region"], saved["phone"]) == (
        name, "B", "retail", "east", "021-55550000")


def test_an_opportunity_computes_its_amounts_live_and_shows_each_message_at_its_cell(open_page, api, made, shot):
    page = open_page()
    sign_in(page, "rep_east1")
    page.goto("/#/r/sales_erp/opportunity/new")
    name = unique("浏览器商机")
    _field(page, "name").locator("input").fill(name)
    choose(page, "[data-field=customer]", "永辉超市", typed="永辉")
    expect(_field(page, "customer_level")).to_contain_text("B 普通客户")  # a lookup through the customer
    stage = page.locator("[data-field=stage] .el-select")
    stage.click()  # a new record may start only in the stages the transitions allow
    expect(page.locator(".el-select-dropdown__item:visible")).to_have_text(["初步接洽", "需求确认"])
    page.keyboard.press("Escape")

    page.click(".form-tabs [data-tab='1']")
    page.click("[data-test=add-row]")
    page.click("[data-test=add-row]")
    choose(page, "[data-subtable=lines] [data-row='0'] [data-col=product]", "P-3001 实施服务")
    choose(page, "[data-subtable=lines] [data-row='1'] [data-col=product]", "P-1001 智能网关 G1")
    expect(_cell(page, 0, "price").locator("input")).to_have_value("800")  # default_expr: product.price
    expect(_cell(page, 1, "subtotal")).to_have_text("3,999.00")
    _cell(page, 0, "qty").locator("input").fill("3")
    expect(_cell(page, 0, "subtotal")).to_have_text("2,400.00")
    _cell(page, 1, "discount").locator("input").fill("40")
    expect(_cell(page, 1, "discount").locator("[data-test=field-error]")).to_have_text("折扣超过 30% 需要另行审批")
    expect(_cell(page, 1, "subtotal")).to_have_text("2,399.40")
    doc_shot(page, shot, "form")

    page.click(".form-tabs [data-tab='0']")
    expect(_field(page, "amount")).to_contain_text("4,799.40")  # a rollup of the lines
    expect(_field(page, "weighted_amount")).to_contain_text("479.94")  # amount × the stage's probability
    _field(page, "name").locator("input").fill("")
    expect(_field(page, "name").locator("[data-test=field-error]")).to_have_text("商机名称不能为空")

    page.expect_console_error(r"status of 422")
    page.click("[data-test=save]")  # refused: both messages stay at their places, the tab with the cell says so
    expect(page.locator(".form-tabs [data-tab='1'] .tab-errors")).to_have_text("1")
    _field(page, "name").locator("input").fill(name)
    page.click(".form-tabs [data-tab='1']")
    _cell(page, 1, "discount").locator("input").fill("20")
    expect(_cell(page, 1, "discount").locator("[data-test=field-error]")).to_have_count(0)
    expect(_cell(page, 1, "subtotal")).to_have_text("3,199.20")
    page.click("[data-test=save]")
    rid = record_id(page)
    made("opportunity", rid)
    saved = api("rep_east1").get(f"{API}/opportunity/{rid}")
    assert saved["name"] == name and saved["stage"] == "contact"
    assert [(ln["product"]["title"], ln["qty"], ln["discount"]) for ln in saved["lines"]] == [
        ("P-3001 实施服务", 3, 0), ("P-1001 智能网关 G1", 1, 0.2)]
    assert (saved["amount"], saved["weighted_amount"]) == (5599.2, 559.92)
    expect(page.locator("[data-test=record-title]")).to_have_text(saved["title"])


def test_a_stale_save_says_someone_else_changed_the_record_and_reload_brings_theirs(open_page, api, made):
    opp = _new_opportunity(api, unique("冲突商机"))
    made("opportunity", opp["id"])
    page = open_page()
    sign_in(page, "rep_east1")
    page.goto(f"/#/r/sales_erp/opportunity/{opp['id']}")
    expect(page.locator(".record-editor")).to_have_attribute("data-version", "1")
    _field(page, "name").locator("input").fill("我在页面里改的名字")

    theirs = api("rep_east1").patch(f"{API}/opportunity/{opp['id']}", {"name": "别处改的名字", "version": 1})
    assert theirs["version"] == 2

    page.expect_console_error(r"status of 409")
    page.click("[data-test=save]")
    conflict = page.locator("[data-test=conflict]")
    expect(conflict).to_contain_text("这条记录已被他人修改，你的修改没有保存。")
    assert api("rep_east1").get(f"{API}/opportunity/{opp['id']}")["name"] == "别处改的名字"
    conflict.locator("[data-test=reload]").click()
    expect(conflict).to_have_count(0)
    expect(_field(page, "name").locator("input")).to_have_value("别处改的名字")
    expect(page.locator(".record-editor")).to_have_attribute("data-version", "2")
    _field(page, "name").locator("input").fill("重新加载后再改")
    page.click("[data-test=save]")
    expect(page.locator(".record-editor")).to_have_attribute("data-version", "3")


def test_a_comment_mentions_the_manager_who_finds_it_in_their_inbox(open_page, api, made):
    opp = _new_opportunity(api, unique("评论商机"))
    made("opportunity", opp["id"])
    before = api("manager_east").get("/api/v1/notifications/unread-count")["unread"]
    page = open_page()
    sign_in(page, "rep_east1")
    page.goto(f"/#/r/sales_erp/opportunity/{opp['id']}")
    box = page.locator("textarea[data-test=comment-input]")
    box.click()
    box.type("请 @李")
    page.locator("[data-test=mention-list] .mention-item[data-login=manager_east]").click()
    box.type("下周一起拜访客户")
    expect(box).to_have_value("请 @李梅 下周一起拜访客户")
    page.click("[data-test=comment-send]")
    comment = page.locator(".comment-item").first
    expect(comment.locator(".mention")).to_have_text("@李梅")
    expect(comment).to_contain_text("张伟")

    manager = open_page()
    sign_in(manager, "manager_east")
    expect(manager.locator("[data-test=inbox-badge] sup")).to_contain_text(str(before + 1))
    assert api("manager_east").get("/api/v1/notifications/unread-count")["unread"] == before + 1
    manager.goto("/#/inbox?tab=notifications")
    note = manager.locator(".inbox-item[data-notification]", has_text=f"张伟 在「{opp['title']}」的评论中提到了你")
    expect(note).to_contain_text("请 @李梅 下周一起拜访客户")
    note.locator(".inbox-record").click()  # the notification opens the record, which the manager may read
    expect(manager.locator("[data-test=record-title]")).to_have_text(opp["title"])
    expect(manager.locator(".comment-item .mention")).to_have_text("@李梅")


def test_the_history_tab_shows_who_changed_what(open_page, api, made):
    opp = _new_opportunity(api, unique("历史商机"))
    made("opportunity", opp["id"])
    page = open_page()
    sign_in(page, "rep_east1")
    page.goto(f"/#/r/sales_erp/opportunity/{opp['id']}")
    _field(page, "name").locator("input").fill("改过名字的商机")
    page.locator(".record-crumbs .el-breadcrumb__inner").first.click()  # leaving unsaved changes asks first
    page.locator(".el-message-box").get_by_role("button", name="留下").click()
    expect(_field(page, "name").locator("input")).to_have_value("改过名字的商机")
    page.click("[data-test=save]")
    expect(page.locator(".record-editor")).to_have_attribute("data-version", "2")
    page.click(".record-extras .el-tabs__item:has-text('变更历史')")
    latest = page.locator(".history-item").first
    expect(latest).to_contain_text("张伟 修改了 1 个字段")
    expect(latest.locator("[data-field=name]")).to_have_text(f"商机名称: {opp['name']} → 改过名字的商机")
    expect(page.locator(".history-item").last).to_contain_text("张伟 创建了记录")


def test_related_records_show_a_customers_contacts_opportunities_and_quotes(open_page, api):
    yonghui = api("rep_east1").find("customer", "永辉超市")
    page = open_page()
    sign_in(page, "rep_east1")
    page.goto(f"/#/r/sales_erp/customer/{yonghui['id']}")
    page.click(".record-extras .el-tabs__item:has-text('相关记录')")
    related = page.locator("[data-test=related]")
    expect(related.locator("[data-related='contact.customer']")).to_contain_text("陈静")
    expect(related.locator("[data-related='opportunity.customer']")).to_contain_text("永辉门店网关")
    related.locator("[data-related='opportunity.customer'] .related-item", has_text="永辉门店网关").click()
    expect(page.locator("[data-test=record-title]")).to_contain_text("永辉门店网关")


def test_print_opens_the_quote_as_a_pdf(open_page, api):
    quote = api("rep_east1").get(f"{API}/quote")["items"][0]
    page = open_page()
    sign_in(page, "rep_east1")
    page.goto(f"/#/r/sales_erp/quote/{quote['id']}")
    page.click("[data-test=print]")
    link = page.locator(".print-link[data-template=quotation][data-lang=zh]")
    expect(link).to_be_visible()
    pdfs = []
    page.context.on("response", lambda r: pdfs.append(r) if "/print/quotation" in r.url else None)
    with page.context.expect_page() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert re.search(rf"/records/sales_erp/quote/{quote['id']}/print/quotation\?lang=zh$", tab.url)
    assert pdfs and pdfs[0].status == 200 and pdfs[0].headers["content-type"] == "application/pdf"
    fetched = page.request.get(link.get_attribute("href"))
    assert fetched.headers["content-type"] == "application/pdf" and fetched.body()[:5] == b"%PDF-"


def test_a_file_uploads_with_its_progress_and_is_kept_with_the_record(open_page, api, made, tmp_path):
    opp = _new_opportunity(api, unique("附件商机"))
    made("opportunity", opp["id"])
    doc = tmp_path / "方案.pdf"
    doc.write_bytes(b"%PDF-1.4\n" + b"0" * 400_000 + b"\n%%EOF\n")
    page = open_page()
    sign_in(page, "rep_east1")
    page.goto(f"/#/r/sales_erp/opportunity/{opp['id']}")
    page.click(".form-tabs [data-tab='1']")
    cdp = page.context.new_cdp_session(page)  # a slow uplink, so the progress has time to show
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                  "uploadThroughput": 200 * 1024})
    _field(page, "proposal_doc").locator("[data-test=file-input]").set_input_files(str(doc))
    expect(page.locator("[data-test=upload-progress] .el-progress")).to_be_visible()
    expect(_field(page, "proposal_doc").locator(".file-item")).to_contain_text("方案.pdf")
    expect(page.locator("[data-test=upload-progress]")).to_have_count(0)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    page.click("[data-test=save]")
    expect(page.locator(".record-editor")).to_have_attribute("data-version", "2")
    saved = api("rep_east1").get(f"{API}/opportunity/{opp['id']}")
    assert [f["name"] for f in saved["proposal_doc"]] == ["方案.pdf"]
    link = _field(page, "proposal_doc").locator("a.file-name")  # now it opens through its record
    expect(link).to_have_attribute("href", re.compile(rf"/opportunity/{opp['id']}/files/"))


def test_the_form_fits_a_phone_screen_in_one_column(open_page, api, shot):
    huawei_gateway = api("rep_east1").find("opportunity", "华为园区网关升级")
    page = open_page(width=375, height=812)
    sign_in(page, "rep_east1")
    page.goto(f"/#/r/sales_erp/opportunity/{huawei_gateway['id']}")
    expect(_field(page, "name").locator("input")).to_have_value("华为园区网关升级")
    name_box, customer_box = _field(page, "name").bounding_box(), _field(page, "customer").bounding_box()
    assert name_box["x"] == customer_box["x"] and customer_box["y"] > name_box["y"]  # one column
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    doc_shot(page, shot, "form-375")
    page.click(".form-tabs [data-tab='1']")
    expect(_cell(page, 0, "qty").locator("input")).to_have_value("50")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
