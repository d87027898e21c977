"""Every field type through the record API (bundle tests/forms/bundles/fieldtypes, entity specimen):
create and read back, update, filter with the type's operators, and bad input refused at the field's
path with a message in both languages. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.api.jsonio import loads

# one valid API value per field, and what the API gives back for it
FULL = {
    "f_text": ("样本一", "样本一"),
    "f_number": ("1234.5", Decimal("1234.50")),
    "f_money": (Decimal("99.990"), Decimal("99.99")),  # more places than 2 are refused (issue 11 item 19)
    "f_date": ("2026-01-05", "2026-01-05"),
    "f_datetime": ("2026-01-05T09:30:00+08:00", "2026-01-05T01:30:00Z"),
    "f_boolean": (True, True),
    "f_select": ("east", "east"),
    "f_textarea": ("第一行\r\n第二行", "第一行\n第二行"),
    "f_richtext": ("<p>你好 <b>世界</b></p>", "<p>你好 <b>世界</b></p>"),
    "f_email": ("Zhang.San@Example.COM", "Zhang.San@example.com"),
    "f_phone": ("138-0013-8000", "13800138000"),
    "f_url": ("https://example.com/a?b=1", "https://example.com/a?b=1"),
    "f_percent": (Decimal("0.155"), Decimal("0.155")),
    "f_rating": (4, 4),
    "f_time": ("09:30", "09:30:00"),
    "f_multiselect": (["new", "vip"], ["vip", "new"]),  # kept in the options' order
    "f_cascade": ("hangzhou", "hangzhou"),
}


@pytest.fixture
def env(forms_env):
    return forms_env("fieldtypes")


def _body(r):
    return loads(r.content)


def _create(env, **fields):
    r = env.admin.post(env.url("specimen"), json=_jsonable(fields))
    assert r.status_code == 201, r.text
    return _body(r)


def _jsonable(v):
    # the test client writes JSON with the standard encoder; exact decimals go as their text
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return str(v) if isinstance(v, Decimal) else v


def _ids(env, flt) -> list[int]:
    r = env.admin.get(env.url("specimen"), params={"filter": json.dumps(_jsonable(flt)), "sort": "id",
                                                     "page_size": 100})
    assert r.status_code == 200, r.text
    return [i["id"] for i in _body(r)["items"]]


def _refused(r, path: str) -> dict:
    assert r.status_code == 422, r.text
    details = [d for d in _body(r)["details"] if d["path"] == path]
    assert details, r.text
    message = details[0]["message"]
    assert message["zh"].strip() and message["en"].strip() and message["zh"] != message["en"]
    return message


def _people(env):
    """A customer, an active and an inactive user, a department: ids for the relation and people fields."""
    rt = env.rt
    cust = env.admin.post(env.url("customer"), json={"name": "华为"}).json()["id"]
    users, deps = rt.db.core["user"], rt.db.core["department"]
    with rt.transaction() as c:
        dep = c.execute(deps.insert().values(name="销售部", code="sales", active=True)).inserted_primary_key[0]
        active = c.execute(users.insert().values(login="li", name="李雷", active=True)).inserted_primary_key[0]
        gone = c.execute(users.insert().values(login="han", name="韩梅梅", active=False)).inserted_primary_key[0]
    return {"customer": cust, "dep": dep, "user": active, "inactive": gone}


# --- create, read back, update -------------------------------------------------------------------------
def test_every_field_is_stored_and_read_back_as_the_api_gives_it(env):
    ids = _people(env)
    sent = {k: v for k, (v, _) in FULL.items()}
    made = _create(env, **sent, f_relation=ids["customer"], f_user={"id": ids["user"]}, f_department=ids["dep"])
    got = _body(env.admin.get(env.url("specimen", f"/{made['id']}")))
    for name, (_, expected) in FULL.items():
        assert got[name] == expected, name
        assert made[name] == expected, name
    assert got["f_relation"] == {"id": ids["customer"], "title": "华为"}
    assert got["f_user"]["id"] == ids["user"] and got["f_department"]["id"] == ids["dep"]
    assert got["f_user"]["title"] and got["f_department"]["title"]  # shown by name, like a relation
    assert got["title"] == "样本一"


def test_every_field_can_be_changed_and_cleared(env):
    ids = _people(env)
    made = _create(env, **{k: v for k, (v, _) in FULL.items()}, f_relation=ids["customer"], f_user=ids["user"])
    changes = {"f_text": "样本二", "f_number": "-3", "f_money": "0.01", "f_date": "2027-12-31",
               "f_datetime": "2027-12-31T23:59:59Z", "f_boolean": False, "f_select": "south",
               "f_textarea": "改", "f_richtext": "<ul><li>一</li></ul>", "f_email": "a@b.cn",
               "f_phone": "+1 (415) 555-0100", "f_url": "http://例子.中国/", "f_percent": "15%", "f_rating": 1,
               "f_time": "23:59:58", "f_multiselect": ["risk"], "f_cascade": "shenzhen", "f_department": ids["dep"]}
    r = env.admin.patch(env.url("specimen", f"/{made['id']}"), json=changes)
    assert r.status_code == 200, r.text
    got = _body(env.admin.get(env.url("specimen", f"/{made['id']}")))
    assert got["f_number"] == Decimal("-3.00") and got["f_money"] == Decimal("0.01")
    assert got["f_percent"] == Decimal("0.150") and got["f_time"] == "23:59:58"
    assert got["f_datetime"] == "2027-12-31T23:59:59Z" and got["f_boolean"] is False
    assert got["f_multiselect"] == ["risk"] and got["f_cascade"] == "shenzhen" and got["f_select"] == "south"
    assert got["f_phone"] == "+1 (415) 555-0100" and got["f_url"] == "http://例子.中国/"
    assert got["f_department"]["id"] == ids["dep"] and got["version"] == 2
    cleared = {name: None for name in [*FULL, "f_relation", "f_user", "f_department"]}
    r = env.admin.patch(env.url("specimen", f"/{made['id']}"), json=cleared)
    assert r.status_code == 200, r.text
    got = _body(r)
    assert all(got[name] is None for name in cleared), got
    history = _body(env.admin.get(env.url("specimen", f"/{made['id']}/history")))["items"]
    assert history[-1]["changes"]["f_multiselect"] == {"old": ["risk"], "new": None}
    assert history[1]["changes"]["f_time"] == {"old": "09:30:00", "new": "23:59:58"}


def test_the_same_choices_in_another_order_are_no_change(env):
    made = _create(env, f_multiselect=["vip", "new"])
    r = env.admin.patch(env.url("specimen", f"/{made['id']}"), json={"f_multiselect": ["new", "vip", "new"]})
    assert r.status_code == 200 and _body(r)["version"] == 1  # nothing changed, nothing written


def test_empty_values_read_as_blank(env):
    made = _create(env, f_multiselect=[], f_richtext="<p> </p><script>x()</script>", f_text="", f_time="")
    assert made["f_multiselect"] is None and made["f_richtext"] is None and made["f_time"] is None
    assert _ids(env, {"f_multiselect": {"blank": True}, "f_richtext": {"blank": True}}) == [made["id"]]


# --- rich text -----------------------------------------------------------------------------------------
def test_rich_text_is_sanitised_before_it_is_stored(env):
    dirty = ('<p onclick="steal()">合同<b>正文</b><script>alert(1)</script></p>'
             '<img src="https://e.com/x.png" onerror="alert(2)"><a href="javascript:alert(3)">点我</a>'
             '<a href="https://example.com">官网</a><iframe src="https://evil.com"></iframe><style>p{}</style>')
    made = _create(env, f_richtext=dirty)
    html = made["f_richtext"]
    for bad in ("<script", "alert", "onerror", "onclick", "javascript:", "<iframe", "<style"):
        assert bad not in html, (bad, html)
    assert "<b>正文</b>" in html and '<img src="https://e.com/x.png">' in html
    assert 'href="https://example.com"' in html and "点我" in html
    stored = _body(env.admin.get(env.url("specimen", f"/{made['id']}")))["f_richtext"]
    assert stored == html  # what the database holds is the sanitised text, not a view of it
    t = env.rt.table("ft", "specimen")
    with env.rt.connect() as c:
        raw = c.execute(sa.select(t.c.f_richtext).where(t.c.id == made["id"])).scalar_one()
    assert "<script" not in raw and "onerror" not in raw


def test_rich_text_contains_finds_text_with_markup_characters(env):
    a = _create(env, f_richtext="<p>R&amp;D 部门 <i>预算</i></p>")
    _create(env, f_richtext="<p>RD</p>")
    assert _ids(env, {"f_richtext": {"contains": "R&D"}}) == [a["id"]]
    assert _ids(env, {"f_richtext": {"contains": "预算"}}) == [a["id"]]


# --- filters -------------------------------------------------------------------------------------------
ROWS = [
    dict(f_text="甲", f_number="10", f_money="100", f_date="2026-01-05", f_datetime="2026-01-05T08:00:00Z",
         f_boolean=True, f_select="east", f_cascade="shanghai", f_textarea="北京 上海\n广州", f_email="a@x.com",
         f_phone="13800138000", f_url="https://a.example.com", f_percent="0.05", f_rating=1, f_time="08:00",
         f_multiselect=["vip"]),
    dict(f_text="乙", f_number="20.5", f_money="2000.50", f_date="2026-02-01", f_datetime="2026-02-01T12:00:00Z",
         f_boolean=False, f_select="south", f_cascade="shenzhen", f_textarea="深圳", f_email="b@y.com",
         f_phone="010-6552 9988", f_url="http://b.example.org/x", f_percent="0.15", f_rating=3, f_time="12:30",
         f_multiselect=["vip", "new"]),
    dict(f_text="丙", f_number="-5", f_money="0", f_date="2026-03-10", f_datetime="2026-03-10T18:00:00Z",
         f_select="north", f_cascade="beijing", f_email="c@x.com", f_phone="+44 20 7946 0958",
         f_percent="0.2", f_rating=5, f_time="18:45:30", f_multiselect=["new", "risk"]),
    dict(f_text="丁"),
]

FILTERS = [
    ("text eq", {"f_text": "乙"}, [1]),
    ("text contains", {"f_text": {"in": ["甲", "丙"]}}, [0, 2]),
    ("number gte", {"f_number": {"gte": 10}}, [0, 1]),
    ("number lt", {"f_number": {"lt": "0"}}, [2]),
    ("money between", {"f_money": {"between": ["100.01", "2000.50"]}}, [1]),
    ("money eq zero", {"f_money": 0}, [2]),
    ("date between", {"f_date": {"between": ["2026-01-06", "2026-03-10"]}}, [1, 2]),
    ("date open start", {"f_date": {"between": [None, "2026-02-01"]}}, [0, 1]),
    ("datetime gt", {"f_datetime": {"gt": "2026-02-01T19:59:59+08:00"}}, [1, 2]),
    ("boolean eq", {"f_boolean": False}, [1]),
    ("boolean blank", {"f_boolean": {"blank": True}}, [2, 3]),
    ("select in", {"f_select": {"in": ["east", "north"]}}, [0, 2]),
    ("select ne", {"f_select": {"ne": "east"}}, [1, 2, 3]),
    ("cascade eq", {"f_cascade": "shenzhen"}, [1]),
    ("cascade nin", {"f_cascade": {"nin": ["shanghai"]}}, [1, 2, 3]),
    ("textarea contains", {"f_textarea": {"contains": "上海"}}, [0]),
    ("email startswith", {"f_email": {"startswith": "b@"}}, [1]),
    ("email contains", {"f_email": {"contains": "@x.com"}}, [0, 2]),
    ("phone contains", {"f_phone": {"contains": "6552"}}, [1]),
    ("url contains", {"f_url": {"contains": "example.org"}}, [1]),
    ("percent gte fraction", {"f_percent": {"gte": "0.15"}}, [1, 2]),
    ("percent gte percentage", {"f_percent": {"gte": "15%"}}, [1, 2]),
    ("percent lt", {"f_percent": {"lt": 0.15}}, [0]),
    ("rating gte", {"f_rating": {"gte": 3}}, [1, 2]),
    ("rating in", {"f_rating": {"in": [1, 5]}}, [0, 2]),
    ("time between", {"f_time": {"between": ["09:00", "18:45:30"]}}, [1, 2]),
    ("time lt", {"f_time": {"lt": "12:30"}}, [0]),
    ("multiselect has_any", {"f_multiselect": {"has_any": ["risk", "vip"]}}, [0, 1, 2]),
    ("multiselect has_any one", {"f_multiselect": {"has_any": ["new"]}}, [1, 2]),
    ("multiselect has_all", {"f_multiselect": {"has_all": ["vip", "new"]}}, [1]),
    ("multiselect has_all bare value", {"f_multiselect": {"has_all": "risk"}}, [2]),
    ("multiselect blank", {"f_multiselect": {"blank": True}}, [3]),
    ("multiselect notblank", {"f_multiselect": {"notblank": True}}, [0, 1, 2]),
    ("richtext notblank", {"f_richtext": {"notblank": True}}, []),
]


def test_filters_of_every_type(env):
    made = [_create(env, **row)["id"] for row in ROWS]
    for name, flt, expected in FILTERS:
        assert _ids(env, flt) == [made[i] for i in expected], name


def test_filters_on_relation_and_people_fields(env):
    ids = _people(env)
    a = _create(env, f_relation=ids["customer"], f_user=ids["user"], f_department=ids["dep"])["id"]
    b = _create(env, f_text="空")["id"]
    assert _ids(env, {"f_relation": ids["customer"]}) == [a]
    assert _ids(env, {"f_relation.name": {"contains": "华"}}) == [a]
    assert _ids(env, {"f_user": {"eq": ids["user"]}}) == [a]
    assert _ids(env, {"f_user": {"blank": True}}) == [b]
    assert _ids(env, {"f_department": {"in": [ids["dep"]]}}) == [a]


def test_bad_filter_values_and_operators_are_refused_at_their_path(env):
    cases = [
        ({"f_multiselect": {"has_any": ["vip", "gold"]}}, "filter.f_multiselect.has_any", "gold"),
        ({"f_multiselect": {"has_all": 3}}, "filter.f_multiselect.has_all", "list"),
        ({"f_multiselect": {"eq": "vip"}}, "filter.f_multiselect", "has_any"),
        ({"f_percent": {"gte": "lots"}}, "filter.f_percent.gte", "percentage"),
        ({"f_time": {"gt": "25:00"}}, "filter.f_time.gt", "HH:MM"),
        ({"f_rating": {"gte": 9}}, "filter.f_rating.gte", "1 to 5"),
        ({"f_richtext": {"eq": "x"}}, "filter.f_richtext", "contains"),
        ({"f_email": {"gt": "a"}}, "filter.f_email", "not allowed"),
    ]
    for flt, path, hint in cases:
        r = env.admin.get(env.url("specimen"), params={"filter": json.dumps(flt)})
        assert hint in _refused(r, path)["en"], (flt, r.text)


# --- bad input -----------------------------------------------------------------------------------------
BAD = [
    ("f_text", "长" * 51, "at most 50"),
    ("f_number", "abc", "number"),
    ("f_number", "2000000", "at most"),
    ("f_money", True, "number"),
    ("f_date", "2026/13/01", "date"),
    ("f_datetime", "yesterday", "date-time"),
    ("f_boolean", "maybe", "true or false"),
    ("f_select", "west", "not one of the options"),
    ("f_relation", "abc", "id of a related record"),
    ("f_relation", 999, "does not exist"),
    ("f_textarea", "字" * 2001, "at most 2000"),
    ("f_richtext", ["<p>"], "text"),
    ("f_email", "zhangsan@", "email"),
    ("f_email", "a b@example.com", "email"),
    ("f_phone", "12345678901", "phone"),
    ("f_phone", "call me", "phone"),
    ("f_phone", "1380013800", "phone"),
    ("f_url", "ftp://example.com/file", "http://"),
    ("f_url", "javascript:alert(1)", "http://"),
    ("f_url", "https://", "http://"),
    ("f_percent", "fifteen", "percentage"),
    ("f_rating", 0, "1 to 5"),
    ("f_rating", 6, "1 to 5"),
    ("f_rating", "3.5", "whole number"),
    ("f_time", "24:00", "HH:MM"),
    ("f_time", "9.30", "HH:MM"),
    ("f_multiselect", ["vip", "gold"], "gold"),
    ("f_multiselect", {"vip": True}, "list"),
    ("f_cascade", "tokyo", "not one of the options"),
    ("f_user", "someone", "user id"),
    ("f_user", 99999, "does not exist or is inactive"),
    ("f_department", 99999, "does not exist"),
    ("f_department", {"name": "销售部"}, "department id"),
]


def test_bad_input_is_refused_at_the_field(env):
    wrong = []
    for field, value, hint in BAD:
        body = {"f_text": "x", field: value}
        if field == "f_cascade":
            body["f_select"] = "east"
        r = env.admin.post(env.url("specimen"), json=body)
        message = _refused(r, field)
        if hint not in message["en"]:
            wrong.append((field, value, message))
    assert not wrong
    assert _ids(env, {}) == []


def test_every_problem_of_a_record_is_reported_at_once(env):
    r = env.admin.post(env.url("specimen"), json={"f_email": "x", "f_phone": "x", "f_url": "x", "f_time": "x",
                                                  "f_rating": 0, "f_percent": "x", "f_multiselect": ["x"]})
    assert r.status_code == 422
    paths = {d["path"] for d in _body(r)["details"]}
    assert paths == {"f_email", "f_phone", "f_url", "f_time", "f_rating", "f_percent", "f_multiselect"}


# --- cascade and people: checks that need the record or the database -----------------------------------
def test_cascade_value_must_belong_to_the_parent_value(env):
    r = env.admin.post(env.url("specimen"), json={"f_select": "east", "f_cascade": "beijing"})
    m = _refused(r, "f_cascade")
    assert m == {"zh": "「北京」不属于区域「华东」", "en": "'Beijing' does not belong to Region 'East'"}
    r = env.admin.post(env.url("specimen"), json={"f_cascade": "beijing"})
    assert _refused(r, "f_cascade") == {"zh": "请先选择区域", "en": "choose the Region first"}
    made = _create(env, f_select="north", f_cascade="beijing")
    # moving the parent without the child leaves the child wrong: refused until both move together
    r = env.admin.patch(env.url("specimen", f"/{made['id']}"), json={"f_select": "south"})
    assert "does not belong" in _refused(r, "f_cascade")["en"]
    r = env.admin.patch(env.url("specimen", f"/{made['id']}"), json={"f_select": "south", "f_cascade": "guangzhou"})
    assert r.status_code == 200 and _body(r)["f_cascade"] == "guangzhou"
    # clearing the parent needs the child cleared too; clearing the child alone is fine
    r = env.admin.patch(env.url("specimen", f"/{made['id']}"), json={"f_cascade": None})
    assert r.status_code == 200, r.text


def test_people_fields_take_active_users_and_existing_departments(env):
    ids = _people(env)
    r = env.admin.post(env.url("specimen"), json={"f_user": ids["inactive"]})
    assert _refused(r, "f_user") == {"zh": f"用户 {ids['inactive']} 不存在或已停用",
                                     "en": f"user {ids['inactive']} does not exist or is inactive"}
    made = _create(env, f_user=str(ids["user"]), f_department={"id": ids["dep"]})
    assert made["f_user"]["id"] == ids["user"] and made["f_department"]["id"] == ids["dep"]
    # a user who leaves later does not block edits of the records that still name them
    users = env.rt.db.core["user"]
    with env.rt.transaction() as c:
        c.execute(users.update().where(users.c.id == ids["user"]).values(active=False))
    r = env.admin.patch(env.url("specimen", f"/{made['id']}"), json={"f_text": "仍可修改"})
    assert r.status_code == 200, r.text
    r = env.admin.post(env.url("specimen"), json={"f_user": ids["user"]})
    assert "inactive" in _refused(r, "f_user")["en"]


def test_bulk_create_reports_each_row_at_its_index(env):
    ids = _people(env)
    rows = [{"f_user": ids["user"], "f_select": "east", "f_cascade": "hangzhou"},
            {"f_user": 424242},
            {"f_select": "south", "f_cascade": "hangzhou"}]
    r = env.admin.post(env.url("specimen", "/bulk"), json=rows)
    assert r.status_code == 422
    assert {d["path"] for d in _body(r)["details"]} == {"[1].f_user", "[2].f_cascade"}
    assert _ids(env, {}) == []  # all or none
