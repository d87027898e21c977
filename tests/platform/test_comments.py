"""Comments on records: posted and read by whoever may read the record, @mentions that notify the
people mentioned — only people who may read the record themselves — and the directory of colleagues
a mention picker searches."""
from __future__ import annotations

from .inbox_support import record_id, uid

BASE = "/api/v1/records/sales_erp"


def _comments(client, rid: int, entity: str = "customer"):
    return client.get(f"{BASE}/{entity}/{rid}/comments")


def _post(client, rid: int, body: str, mentions=(), entity: str = "customer"):
    return client.post(f"{BASE}/{entity}/{rid}/comments", json={"body": body, "mentions": list(mentions)})


def _notes(client) -> list[dict]:
    return client.get("/api/v1/notifications").json()["items"]


def test_a_mention_notifies_the_colleague_with_a_link_to_the_record(rt, sign_in):
    huawei = record_id(rt, "customer", "C0001")  # rep_east1's customer
    rep, manager = sign_in("rep_east1"), sign_in("manager_east")
    r = _post(rep, huawei, "@李梅 客户想要下周演示，请安排", [uid(rt, "manager_east")])
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["author"] == {"id": uid(rt, "rep_east1"), "name": "张伟", "login": "rep_east1"}
    assert made["mentions"] == [{"id": uid(rt, "manager_east"), "name": "李梅", "login": "manager_east"}]

    assert manager.get("/api/v1/notifications/unread-count").json() == {"unread": 1}
    note = _notes(manager)[0]
    assert note["kind"] == "comment.mention"
    assert note["title"] == "张伟 在「华为技术有限公司」的评论中提到了你"
    assert note["body"] == "@李梅 客户想要下周演示，请安排"
    assert note["link"] == {"app": "sales_erp", "entity": "customer", "record_id": huawei, "title": "华为技术有限公司"}
    assert manager.get("/api/v1/inbox").json()["counts"]["notifications"] == 1

    # both read the thread, newest first; the author got no notification of their own comment
    _post(manager, huawei, "好的，我来安排")
    for who in (rep, manager):
        items = _comments(who, huawei).json()
        assert [c["body"] for c in items["items"]] == ["好的，我来安排", "@李梅 客户想要下周演示，请安排"]
        assert items["total"] == 2
    assert _notes(rep) == []


def test_the_recipient_reads_the_title_in_their_language(rt, sign_in):
    """rep_south1 works in English: the notification of a mention is written in English for them."""
    cmb = record_id(rt, "customer", "C0004")  # rep_south1's customer; manager_south reads it too
    r = _post(sign_in("manager_south"), cmb, "@周敏 please call them back", [uid(rt, "rep_south1")])
    assert r.status_code == 201, r.text
    assert _notes(sign_in("rep_south1"))[0]["title"] == "陈刚 mentioned you in a comment on '招商银行'"


def test_a_mention_of_someone_who_may_not_read_the_record_is_refused_and_notifies_nobody(rt, sign_in):
    huawei = record_id(rt, "customer", "C0001")
    rep = sign_in("rep_east1")
    south, manager = uid(rt, "rep_south1"), uid(rt, "manager_east")
    r = _post(rep, huawei, "@周敏 @李梅 看看这个客户", [manager, south])
    assert r.status_code == 422
    err = r.json()
    assert err["code"] == "comment.E002"
    assert "周敏" in err["message"]["zh"] and "李梅" not in err["message"]["zh"]
    assert err["details"] == [{"path": "mentions[1]", "user_id": south, "message": {
        "zh": "周敏 无权查看这条记录，不能提及", "en": "周敏 may not read this record and cannot be mentioned"}}]
    # all or nothing: no comment, and not even the colleague who could read it was notified
    assert _comments(rep, huawei).json()["total"] == 0
    for login in ("rep_south1", "manager_east"):
        assert sign_in(login).get("/api/v1/notifications/unread-count").json() == {"unread": 0}


def test_a_mention_of_an_unknown_or_inactive_user_is_refused(rt, sign_in):
    huawei = record_id(rt, "customer", "C0001")
    admin = sign_in("admin_user")
    rep2 = uid(rt, "rep_east2")
    assert admin.patch(f"/api/v1/admin/users/{rep2}", json={"active": False}).status_code == 200
    r = _post(sign_in("rep_east1"), huawei, "有人吗", [rep2, 999999])
    assert r.status_code == 422
    assert [d["path"] for d in r.json()["details"]] == ["mentions[0]", "mentions[1]"]
    assert r.json()["details"][1]["message"]["en"] == "user 999999 does not exist or is inactive"


def test_a_comment_needs_text_and_a_list_of_user_ids(rt, sign_in):
    huawei = record_id(rt, "customer", "C0001")
    rep = sign_in("rep_east1")
    for body, path in (({"body": "  "}, "body"), ({"body": "x" * 5001}, "body"),
                       ({"body": "ok", "mentions": ["manager_east"]}, "mentions"),
                       ({"body": "ok", "mentions": [True]}, "mentions"),
                       ({"body": "ok", "pinned": True}, "pinned")):
        r = rep.post(f"{BASE}/customer/{huawei}/comments", json=body)
        assert r.status_code == 422 and r.json()["code"] == "comment.E001", body
        assert [d["path"] for d in r.json()["details"]] == [path]
    assert _comments(rep, huawei).json()["total"] == 0


def test_comments_stay_with_their_record_and_go_with_it(rt, sign_in):
    huawei, yonghui = record_id(rt, "customer", "C0001"), record_id(rt, "customer", "C0003")
    rep = sign_in("rep_east1")
    assert _post(rep, huawei, "华为的评论").status_code == 201
    assert _post(rep, yonghui, "永辉的评论").status_code == 201
    assert [c["body"] for c in _comments(rep, yonghui).json()["items"]] == ["永辉的评论"]
    version = rep.get(f"{BASE}/customer/{huawei}").json()["version"]
    assert rep.delete(f"{BASE}/customer/{huawei}", params={"version": version}).status_code == 200
    assert _comments(rep, huawei).status_code == 404  # a deleted record's comments are gone with it
    assert _post(rep, huawei, "还在吗").status_code == 404


def test_mentioning_oneself_saves_the_comment_without_a_notification(rt, sign_in):
    huawei = record_id(rt, "customer", "C0001")
    rep = sign_in("rep_east1")
    r = _post(rep, huawei, "@张伟 提醒自己", [uid(rt, "rep_east1")])
    assert r.status_code == 201
    assert rep.get("/api/v1/notifications/unread-count").json() == {"unread": 0}


def test_the_directory_finds_active_colleagues_by_name_or_login(rt, sign_in):
    rep = sign_in("rep_east1")
    found = rep.get("/api/v1/users/directory", params={"q": "east"}).json()["items"]
    assert {(u["login"], u["department"]) for u in found} == {
        ("manager_east", "华东销售组"), ("rep_east1", "华东销售组"), ("rep_east2", "华东销售组")}
    assert [u["login"] for u in rep.get("/api/v1/users/directory", params={"q": "李"}).json()["items"]] == [
        "manager_east"]
    everyone = [u["login"] for u in rep.get("/api/v1/users/directory", params={"limit": 50}).json()["items"]]
    assert "system" not in everyone and "director" in everyone
    assert rep.get("/api/v1/users/directory", params={"q": "%"}).json()["items"] == []  # a literal %, not a wildcard
    picked = rep.get("/api/v1/users/directory", params={"ids": f"{uid(rt, 'director')}"}).json()["items"]
    assert [(u["login"], u["name"]) for u in picked] == [("director", "王建国")]

    sign_in("admin_user").patch(f"/api/v1/admin/users/{uid(rt, 'rep_east2')}", json={"active": False})
    found = rep.get("/api/v1/users/directory", params={"q": "east"}).json()["items"]
    assert "rep_east2" not in {u["login"] for u in found}

    depts = rep.get("/api/v1/departments/directory", params={"q": "销售"}).json()["items"]
    assert {(d["name"], d["parent"]) for d in depts} == {("销售部", "总部"), ("华东销售组", "销售部"),
                                                         ("华南销售组", "销售部")}


def test_the_directory_and_comments_need_a_signed_in_user(rt, sign_in):
    from fastapi.testclient import TestClient

    from engine.api.app import create_app

    with TestClient(create_app(rt)) as anonymous:
        assert anonymous.get("/api/v1/users/directory").status_code == 401
        assert anonymous.get(f"{BASE}/customer/{record_id(rt, 'customer', 'C0001')}/comments").status_code == 401
