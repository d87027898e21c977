"""Inbox sources (issue 12, item 5): an engine adds a kind of item to the inbox through the
``inbox_sources`` hook; the API counts it for the right user only, with its label, and in the total.
The sample engine's part ``inbox_reviews`` adds ``reviews``: open rows of its own tiny table."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.api.app import create_app
from tests.platform.inbox_support import SignIn, sales_erp, uid

SAMPLE = "tests.hooks.sample_engine"


@pytest.fixture
def rt(db_url, monkeypatch):
    monkeypatch.setenv("JIMU_EXTRA_ENGINES", SAMPLE)
    with sales_erp(db_url) as rt:
        yield rt


@pytest.fixture
def sign_in(rt):
    s = SignIn(create_app(rt))
    yield s
    s.close()


def _review(rt, login: str, title: str, done: bool = False) -> None:
    with rt.transaction() as c:
        c.execute(sa.insert(rt.db.core["sample_review"]).values(user_id=uid(rt, login), title=title, done=done))


def test_an_engines_inbox_kind_is_counted_for_its_user_only(rt, sign_in):
    _review(rt, "rep_east1", "评审合同 A")
    _review(rt, "rep_east1", "评审合同 B")
    _review(rt, "rep_east1", "已评审", done=True)
    east, south = sign_in("rep_east1"), sign_in("rep_south1")

    box = east.get("/api/v1/inbox").json()
    assert box["counts"] == {"todos": 0, "notifications": 0, "reviews": 2}
    assert box["total"] == 2
    assert [i["title"] for i in box["latest"]["reviews"]] == ["评审合同 B", "评审合同 A"]
    assert box["sources"] == [
        {"kind": "todos", "label": {"zh": "待办", "en": "To-dos"}, "count": 0},
        {"kind": "notifications", "label": {"zh": "未读通知", "en": "Unread notifications"}, "count": 0},
        {"kind": "reviews", "label": {"zh": "评审", "en": "Reviews"}, "count": 2}]
    assert east.get("/api/v1/inbox", params={"latest": 1}).json()["latest"]["reviews"] == [
        box["latest"]["reviews"][0]]

    other = south.get("/api/v1/inbox").json()  # another user sees none of them
    assert other["counts"]["reviews"] == 0 and other["latest"]["reviews"] == [] and other["total"] == 0

    r = east.post("/api/v1/todos", json={"title": "回访", "assignee_id": uid(rt, "rep_east1")})
    assert r.status_code == 201, r.text
    box = east.get("/api/v1/inbox").json()
    assert box["counts"] == {"todos": 1, "notifications": 0, "reviews": 2} and box["total"] == 3


def test_without_the_engine_the_inbox_lists_only_the_built_in_kinds(db_url, monkeypatch):
    monkeypatch.delenv("JIMU_EXTRA_ENGINES", raising=False)
    with sales_erp(db_url) as rt:
        s = SignIn(create_app(rt))
        try:
            box = s("rep_east1").get("/api/v1/inbox").json()
        finally:
            s.close()
    assert box["counts"] == {"todos": 0, "notifications": 0} and box["total"] == 0
    assert [k["kind"] for k in box["sources"]] == ["todos", "notifications"]
