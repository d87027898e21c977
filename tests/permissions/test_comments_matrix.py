"""Comments join the permission matrix: reading or posting a record's comments needs read access to
the record (404 otherwise, as for the record itself), and a mention can only reach someone who may
read the record — so no rep finds another rep's customer through a comment or a mention."""
from __future__ import annotations

import pytest

from .test_read_matrix import VISIBLE, _ids_by_code, _user

BASE = "/api/v1/records/sales_erp"


@pytest.mark.parametrize("user", sorted(VISIBLE))
def test_comments_of_a_record_are_read_and_written_exactly_where_the_record_is_readable(erp, login, user):
    c = login(user)
    for code, rid in _ids_by_code(erp).items():
        expected = 200 if code in VISIBLE[user] else 404
        assert c.get(f"{BASE}/customer/{rid}/comments").status_code == expected, (user, code)
        posted = c.post(f"{BASE}/customer/{rid}/comments", json={"body": f"{user} 的评论"})
        assert posted.status_code == (201 if expected == 200 else 404), (user, code)
        if expected == 404:  # refused the way a missing record is: nothing says it exists
            assert posted.json()["code"] == "record.E404"


def test_a_rep_cannot_read_or_comment_on_another_reps_customer(erp, login):
    ids = _ids_by_code(erp)
    owner, other = login("rep_east1"), login("rep_east2")
    posted = owner.post(f"{BASE}/customer/{ids['C0001']}/comments", json={"body": "内部备注：预算 200 万"})
    assert posted.status_code == 201
    r = other.get(f"{BASE}/customer/{ids['C0001']}/comments")
    assert r.status_code == 404 and "预算" not in r.text
    assert other.post(f"{BASE}/customer/{ids['C0001']}/comments", json={"body": "?"}).status_code == 404


@pytest.mark.parametrize("mentioned", sorted(VISIBLE))
def test_a_mention_reaches_only_people_who_may_read_the_record(erp, login, mentioned):
    """rep_east1 comments on their customer C0001, mentioning each demo user in turn: those who may
    read C0001 are notified with a link; anyone else is refused by name and gets nothing."""
    rid = _ids_by_code(erp)["C0001"]
    target = _user(erp, mentioned)
    before = login(mentioned).get("/api/v1/notifications").json()["total"]
    r = login("rep_east1").post(f"{BASE}/customer/{rid}/comments", json={"body": "请看", "mentions": [target]})
    notes = login(mentioned).get("/api/v1/notifications").json()
    if "C0001" in VISIBLE[mentioned]:
        assert r.status_code == 201, r.text
        if mentioned != "rep_east1":  # one's own mention notifies nobody
            assert notes["total"] == before + 1
            assert notes["items"][0]["link"]["record_id"] == rid
            assert "华为技术有限公司" in notes["items"][0]["title"]
    else:
        assert r.status_code == 422 and r.json()["code"] == "comment.E002", r.text
        assert r.json()["details"][0]["user_id"] == target
        assert notes["total"] == before  # and no notification carries the customer's name
        assert "华为" not in login(mentioned).get("/api/v1/notifications").text
