"""The kanban board, driven in Chromium as rep_east1: opportunities in columns by stage, a card dragged
to another column moves through the same transitions and stage requirements as any write; a refused
move says why and the card goes back. On a phone the board scrolls inside itself and a card's menu
moves it."""
# ruff: noqa: F811 (the fixtures api and made come from form_helpers)
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import open_list, sign_in
from .form_helpers import API, api, doc_shot, made, unique  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def _column(page, stage: str):
    return page.locator(f".kanban-col[data-value={stage}]")


def _card(page, stage: str, title: str):
    return _column(page, stage).locator(".kanban-card", has_text=title)


def _settled(card) -> None:
    """The card is in its new column and the server has answered (a moving card is shown at once)."""
    expect(card).to_have_count(1)
    expect(card).not_to_have_class(re.compile(r"\bmoving\b"))


def _opportunity_without_contact(api, made) -> tuple[dict, dict]:
    rep = api("rep_east1")
    yonghui = rep.find("customer", "永辉超市")
    opp = rep.post(f"{API}/opportunity", {"name": unique("看板商机"), "customer": yonghui["id"]})
    made("opportunity", opp["id"])
    return rep, opp


def test_dragging_a_card_moves_it_only_as_the_stages_allow(open_page, api, made, shot):
    rep, opp = _opportunity_without_contact(api, made)
    page = open_page()
    sign_in(page, "rep_east1")
    open_list(page, "opportunity")
    page.click("[data-test=kanban]")  # the list of an entity with a state field links to its board
    page.wait_for_url("**/#/k/sales_erp/opportunity/stage")
    headers = page.locator(".kanban-col .kanban-col-label")
    expect(headers).to_have_text(["初步接洽", "需求确认", "方案提交", "报价谈判", "合同签订", "输单"])
    card = _card(page, "contact", opp["title"])
    expect(card).to_contain_text("永辉超市")
    needs_before = int(_column(page, "needs").locator("[data-test=count]").inner_text())

    page.expect_console_error(r"status of 422")  # the browser logs each refused move itself
    card.drag_to(_column(page, "needs").locator(".kanban-cards"))
    refusal = page.locator("[data-test=kanban-refusal]")
    expect(refusal).to_contain_text("不能移到「需求确认」")
    expect(refusal).to_contain_text("进入「需求确认」需要填写「联系人」")
    expect(_card(page, "contact", opp["title"])).to_have_count(1)  # back where it was
    expect(_card(page, "needs", opp["title"])).to_have_count(0)
    assert rep.get(f"{API}/opportunity/{opp['id']}")["stage"] == "contact"

    chen = rep.find("contact", "陈静")  # once it has a contact, 需求确认 takes it
    rep.patch(f"{API}/opportunity/{opp['id']}", {"contact": chen["id"], "version": opp["version"]})
    page.reload()
    _card(page, "contact", opp["title"]).drag_to(_column(page, "needs").locator(".kanban-cards"))
    _settled(_card(page, "needs", opp["title"]))
    expect(_column(page, "needs").locator("[data-test=count]")).to_have_text(str(needs_before + 1))
    assert rep.get(f"{API}/opportunity/{opp['id']}")["stage"] == "needs"

    _card(page, "needs", opp["title"]).drag_to(_column(page, "proposal").locator(".kanban-cards"))
    expect(refusal).to_contain_text("不能移到「方案提交」")
    for reason in ("进入「方案提交」需要填写「产品明细」", "进入「方案提交」需要填写「预计成交日期」",
                   "进入「方案提交」需要: 商机金额大于 0"):
        expect(refusal).to_contain_text(reason)
    expect(_card(page, "needs", opp["title"])).to_have_count(1)
    expect(_card(page, "proposal", opp["title"])).to_have_count(0)
    assert rep.get(f"{API}/opportunity/{opp['id']}")["stage"] == "needs"
    doc_shot(page, shot, "kanban")


def test_on_a_phone_the_board_scrolls_inside_itself_and_a_cards_menu_moves_it(open_page, api, made):
    rep, opp = _opportunity_without_contact(api, made)
    chen = rep.find("contact", "陈静")
    rep.patch(f"{API}/opportunity/{opp['id']}", {"contact": chen["id"], "version": opp["version"]})
    page = open_page(width=375, height=812)
    sign_in(page, "rep_east1")
    page.goto("/#/k/sales_erp/opportunity/stage")
    card = _card(page, "contact", opp["title"])
    expect(card).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    card.locator("[data-test=card-menu]").click()
    moves = page.locator(".el-dropdown-menu__item[data-move]:visible")
    expect(moves).to_have_text(["需求确认", "输单"])  # the moves the transitions declare from 初步接洽
    moves.filter(has_text="需求确认").click()
    _settled(_card(page, "needs", opp["title"]))
    assert rep.get(f"{API}/opportunity/{opp['id']}")["stage"] == "needs"
