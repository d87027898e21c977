"""Field types where the database takes part, on SQLite and PostgreSQL: members and departments named
in import cells (``resolve_text``) and shown in exports (``display_texts``), and the multi-select's
stored form under SQL (option values that differ only in case, or hold LIKE's wildcards)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.fieldtypes import FieldValueError
from engine.storage.database import normalise_url
from forms.fieldtypes import display_texts, resolve_text
from forms.fieldtypes.choice_kinds import MULTISELECT, DelimitedList

USER_FIELD = {"name": "f_user", "type": "user"}
DEPT_FIELD = {"name": "f_department", "type": "department"}


@pytest.fixture
def org(forms_env):
    env = forms_env("fieldtypes")
    users, deps = env.rt.db.core["user"], env.rt.db.core["department"]
    ids = {}
    with env.rt.transaction() as c:
        for key, name, code in (("sales", "销售部", "sales"), ("east", "华东组", "east"), ("east2", "华东组", None)):
            ids[key] = c.execute(deps.insert().values(name=name, code=code, active=True)).inserted_primary_key[0]
        for key, login, name, active in (("li", "LiLei", "李雷", True), ("wang1", "wang1", "王芳", True),
                                         ("wang2", "wang2", "王芳", True), ("han", "han", "韩梅梅", True),
                                         ("han_old", "han_old", "韩梅梅", False), ("gone", "gone", "离职者", False)):
            ids[key] = c.execute(users.insert().values(login=login, name=name, active=active)).inserted_primary_key[0]
    env.ids = ids
    return env


def _resolve(env, field, text):
    with env.rt.connect() as c:
        return resolve_text(env.rt, c, field, text)


def test_users_are_found_by_login_name_or_id(org):
    ids = org.ids
    assert _resolve(org, USER_FIELD, "lilei") == ids["li"]  # logins ignore case
    assert _resolve(org, USER_FIELD, " 李雷 ") == ids["li"]
    assert _resolve(org, USER_FIELD, f"#{ids['li']}") == ids["li"]
    assert _resolve(org, USER_FIELD, "王芳 (wang2)") == ids["wang2"]
    assert _resolve(org, USER_FIELD, "韩梅梅") == ids["han"]  # the one still active, not the one who left
    assert _resolve(org, USER_FIELD, "离职者") == ids["gone"]  # found; the save then says they are inactive
    assert _resolve(org, USER_FIELD, "") is None
    with pytest.raises(FieldValueError) as e:
        _resolve(org, USER_FIELD, "王芳")
    assert e.value.message == {"zh": "有多个名为「王芳」的用户，请填写登录名",
                               "en": "several users are called '王芳'; give the login"}
    with pytest.raises(FieldValueError) as e:
        _resolve(org, USER_FIELD, "张三")
    assert e.value.message == {"zh": "找不到用户「张三」", "en": "no user '张三'"}


def test_departments_are_found_by_code_name_or_id(org):
    ids = org.ids
    assert _resolve(org, DEPT_FIELD, "SALES") == ids["sales"]
    assert _resolve(org, DEPT_FIELD, "销售部") == ids["sales"]
    assert _resolve(org, DEPT_FIELD, "华东组 (east)") == ids["east"]
    assert _resolve(org, DEPT_FIELD, f"华东组 (#{ids['east2']})") == ids["east2"]
    with pytest.raises(FieldValueError) as e:
        _resolve(org, DEPT_FIELD, "华东组")
    assert "code" in e.value.message["en"] and "编码" in e.value.message["zh"]


def test_export_names_read_back_to_the_same_ids(org):
    ids = org.ids
    with org.rt.connect() as c:
        users = display_texts(org.rt, c, USER_FIELD, [ids["li"], ids["wang1"], ids["wang2"], 99999, None])
        deps = display_texts(org.rt, c, DEPT_FIELD, [ids["sales"], ids["east"], ids["east2"]])
    assert users == {ids["li"]: "李雷", ids["wang1"]: "王芳 (wang1)", ids["wang2"]: "王芳 (wang2)", 99999: "#99999"}
    assert deps == {ids["sales"]: "销售部", ids["east"]: "华东组 (east)", ids["east2"]: f"华东组 (#{ids['east2']})"}
    for field, shown in ((USER_FIELD, users), (DEPT_FIELD, deps)):
        for i, text in shown.items():
            assert _resolve(org, field, text) == i, text


def test_an_imported_name_saves_through_the_same_checks(org):
    """What an importer does: resolve the cell, then write through the API like anyone else."""
    uid = _resolve(org, USER_FIELD, "离职者")
    r = org.admin.post(org.url("specimen"), json={"f_user": uid})
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "f_user"
    r = org.admin.post(org.url("specimen"), json={"f_user": _resolve(org, USER_FIELD, "李雷"),
                                                  "f_department": _resolve(org, DEPT_FIELD, "sales")})
    assert r.status_code == 201, r.text


# --- the multi-select's stored form in SQL -------------------------------------------------------------
OPTIONS = {"options": [{"value": v, "label": {"zh": v, "en": v}} for v in ("A", "a", "50%_off", "x\\y", "AB")]}


def test_has_any_and_has_all_match_whole_values_exactly(db_url):
    engine = sa.create_engine(normalise_url(db_url))
    md = sa.MetaData()
    t = sa.Table("ms_probe", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("tags", DelimitedList()))
    rows = {1: ["A"], 2: ["a"], 3: ["50%_off"], 4: ["AB", "x\\y"], 5: None, 6: ["A", "a", "AB"]}
    try:
        md.create_all(engine)
        with engine.begin() as c:
            c.execute(t.insert(), [{"id": i, "tags": v} for i, v in rows.items()])

            def ids(op, value):
                clause = MULTISELECT.filter_clause(OPTIONS, t.c.tags, op, value)
                return sorted(c.execute(sa.select(t.c.id).where(clause)).scalars())

            assert ids("has_any", ["a"]) == [2, 6]  # not "A", whatever the backend's LIKE does with case
            assert ids("has_any", ["A"]) == [1, 6]  # not "AB"
            assert ids("has_any", ["50%_off"]) == [3]  # wildcards are plain characters
            assert ids("has_any", ["x\\y"]) == [4]
            assert ids("has_all", ["A", "AB"]) == [6]
            assert ids("has_any", []) == [] and ids("has_all", []) == [1, 2, 3, 4, 5, 6]  # no condition at all
            assert c.execute(sa.select(t.c.tags).where(t.c.id == 4)).scalar_one() == ["AB", "x\\y"]
            raw = c.execute(sa.text("SELECT tags FROM ms_probe WHERE id = 4")).scalar_one()
            assert raw == "|AB|x\\y|"
            assert c.execute(sa.text("SELECT tags FROM ms_probe WHERE id = 5")).scalar_one() is None
    finally:
        md.drop_all(engine)
        engine.dispose()
