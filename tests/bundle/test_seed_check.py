"""Issue 11 items 14 and 15: `jimu check` finds what install or the first save would refuse — constant
defaults each field type does not take, and every problem of the seed files — with file, JSON path and
line; install names the file and line of a seed problem only the database can see, and changes nothing."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from engine.bundle import check_bundle
from engine.bundle.check_cli import main as check_main
from engine.errors import ValidationFailed
from engine.install import install_bundle
from engine.runtime import open_runtime


def where(result) -> set[tuple[str, str, str, int | None]]:
    return {(e.code, e.file, e.path, e.line) for e in result.errors}


# --- item 14: defaults ----------------------------------------------------------------------------
DEFAULTS_YAML = """\
entity: ticket
label: {zh: 工单, en: Ticket}
fields:
  - {name: title, type: text, label: {zh: 标题, en: Title}}
  - name: level
    type: select
    label: {zh: 等级, en: Level}
    options: [{value: a, label: {zh: 甲, en: A}}, {value: b, label: {zh: 乙, en: B}}]
    default: c
  - {name: hours, type: number, label: {zh: 工时, en: Hours}, default: many}
  - {name: due, type: date, label: {zh: 到期, en: Due}, default: "2026-02-30"}
  - {name: urgent, type: boolean, label: {zh: 紧急, en: Urgent}, default: "yes"}
  - name: tags
    type: multiselect
    label: {zh: 标签, en: Tags}
    options: [{value: x, label: {zh: 叉, en: X}}]
    default: y
  - {name: stars, type: rating, label: {zh: 评分, en: Stars}, max: 5, default: 9}
  - {name: handler, type: user, label: {zh: 处理人, en: Handler}, default: rep_east1}
  - name: lines
    type: subtable
    label: {zh: 明细, en: Lines}
    fields:
      - {name: qty, type: number, label: {zh: 数量, en: Qty}, precision: 0, default: "x"}
  - {name: ok_default, type: money, label: {zh: 金额, en: Amount}, default: 12.5}
"""


def test_item14_every_constant_default_is_parsed_by_its_field_type(make_bundle):
    result = check_bundle(make_bundle({"entities/ticket.yaml": DEFAULTS_YAML}))
    f = "entities/ticket.yaml"
    assert where(result) == {
        ("bundle.E061", f, "$.fields[1].default", 9),
        ("bundle.E061", f, "$.fields[2].default", 10),
        ("bundle.E061", f, "$.fields[3].default", 11),
        ("bundle.E061", f, "$.fields[4].default", 12),
        ("bundle.E061", f, "$.fields[5].default", 17),
        ("bundle.E061", f, "$.fields[6].default", 18),
        ("bundle.E061", f, "$.fields[7].default", 19),
        ("bundle.E061", f, "$.fields[8].fields[0].default", 24),
    }, [e.format() for e in result.errors]
    select = next(e for e in result.errors if e.path == "$.fields[1].default")
    assert select.message["en"] == "the default 'c' is not valid: is not one of the options: c"


# --- item 14: seed files --------------------------------------------------------------------------
ORG_YAML = """\
departments:
  - {code: hq, name: 总部}
  - {code: east, name: 华东区, parent: hq, head: boss}
  - {code: west, name: 华西区, parent: nowhere}
users:
  - {login: boss, name: 老板, department: hq, roles: [sales_rep]}
  - {login: rep1, name: 代表, department: east, manager: boss, roles: [no_such_role]}
  - {login: rep2, name: 代表二, department: mars}
"""

DEMO_ORG_YAML = """\
demo: true
users:
  - {login: demo_rep, name: 演示, department: east}
"""

DATA_YAML = """\
records:
  customer:
    - {_key: acme, owner: rep1, 客户名称: ACME, level: a}
    - {_key: beta, owner: nobody, 客户名称: Beta, level: z, levle: x}
    - {_key: acme, owner: demo_rep, 客户名称: Gamma, credit_limit: lots}
  contract:
    - {number: C0}
    - {number: C1, customer: "@acme", signed_on: 2026-01-05, id: 7}
    - {number: C2, customer: "@acmee", signed_on: 2026-02-30}
    - {number: C3, customer: "@p1", approved: "yes"}
  product:
    - {_key: p1, name: 网关, price: 10}
  supplier:
    - {name: nobody}
"""


@pytest.fixture
def seeded(make_bundle):
    return make_bundle({"seed/org.yaml": ORG_YAML, "seed/org_demo.yaml": DEMO_ORG_YAML,
                        "seed/data.yaml": DATA_YAML})


def test_item14_seed_files_are_checked_with_file_path_and_line(seeded):
    result = check_bundle(seeded)
    o, d = "seed/org.yaml", "seed/data.yaml"
    assert where(result) == {
        ("bundle.E075", o, "$.departments[2].parent", 4),  # no such department
        ("bundle.E075", o, "$.users[1].roles[0]", 7),  # not a role of roles.yaml
        ("bundle.E075", o, "$.users[2].department", 8),
        ("bundle.E075", d, "$.records.customer[1].owner", 4),  # unknown login
        ("bundle.E073", d, "$.records.customer[1].level", 4),  # not an option
        ("bundle.E072", d, "$.records.customer[1].levle", 4),  # unknown field
        ("bundle.E074", d, "$.records.customer[2]._key", 5),  # a key used twice
        ("bundle.E075", d, "$.records.customer[2].owner", 5),  # a demo user in a non-demo file
        ("bundle.E073", d, "$.records.customer[2].credit_limit", 5),
        ("bundle.E073", d, "$.records.contract[0]", 7),  # the required customer is missing
        ("bundle.E072", d, "$.records.contract[1].id", 8),  # a system field
        ("bundle.E074", d, "$.records.contract[2].customer", 9),  # unknown key
        ("bundle.E073", d, "$.records.contract[2].signed_on", 9),  # no 30 February
        ("bundle.E074", d, "$.records.contract[3].customer", 10),  # a product where a customer belongs
        ("bundle.E073", d, "$.records.contract[3].approved", 10),
        ("bundle.E071", d, "$.records.supplier", 13),  # no such entity
    }, [e.format() for e in result.errors]
    by_path = {e.path: e for e in result.errors}
    assert by_path["$.records.customer[1].levle"].message["en"] == \
        "the entity customer has no field levle; did you mean level?"
    assert by_path["$.records.contract[2].customer"].message["en"] == \
        "no record has the _key acmee; did you mean @acme?"
    assert by_path["$.records.contract[0]"].message["en"] == "the required field customer (Customer) is missing"
    assert by_path["$.records.contract[3].customer"].message["en"] == \
        "@p1 is a record of product, but this field links to customer"


def test_item14_jimu_check_prints_seed_problems_one_a_line(seeded):
    out, err = io.StringIO(), io.StringIO()
    assert check_main([str(seeded)], out=out, err=err) == 1
    lines = out.getvalue().splitlines()
    assert ("seed/data.yaml:$.records.customer[1].levle: 实体 customer 没有字段 levle, 是否应为 level? / "
            "the entity customer has no field levle; did you mean level? (line 4)") in lines


def test_item14_a_demo_file_may_use_demo_users_and_keys(make_bundle):
    result = check_bundle(make_bundle({
        "seed/org.yaml": "demo: true\ndepartments: [{code: hq, name: 总部}]\n"
                         "users: [{login: demo_rep, name: 演示, department: hq}]\n",
        "seed/x_demo.yaml": "demo: true\nrecords:\n  customer:\n"
                            "    - {_key: c, owner: demo_rep, 客户名称: C}\n"
                            "  contract:\n    - {number: N1, customer: '@c'}\n",
    }))
    assert result.ok, [e.format() for e in result.errors]


def test_item14_references_in_a_cycle_are_reported(make_bundle):
    product = """\
    entity: product
    label: {zh: 产品, en: Product}
    fields:
      - {name: name, type: text, label: {zh: 名称, en: Name}}
      - {name: contract, type: relation, to: contract, label: {zh: 合同, en: Contract}}
    """
    result = check_bundle(make_bundle({
        "entities/product.yaml": product,
        "seed/a.yaml": "records:\n  customer:\n    - {_key: c, 客户名称: C}\n  contract:\n"
                       "    - {_key: k, number: N1, customer: '@c'}\n  product:\n"
                       "    - {_key: p, name: P, contract: '@k'}\n",
        "seed/b.yaml": "records:\n  contract:\n    - {number: N2, customer: '@c'}\n",
    }))
    assert result.ok, [e.format() for e in result.errors]  # product after contract after customer: no cycle


# --- item 14: install ----------------------------------------------------------------------------------
def _tables(url: str) -> set[str]:
    eng = sa.create_engine(url)
    try:
        return set(sa.inspect(eng).get_table_names())
    finally:
        eng.dispose()


def test_item14_install_refuses_a_seed_check_finds_before_touching_the_database(seeded, db_url):
    rt = open_runtime(db_url)
    try:
        with pytest.raises(ValidationFailed) as caught:
            install_bundle(rt, seeded)
        details = {(d["file"], d["path"], d["line"]) for d in caught.value.details}
        assert ("seed/data.yaml", "$.records.customer[1].levle", 4) in details
        assert "sales_erp" not in rt.apps
        with rt.connect() as c:
            assert c.execute(sa.select(sa.func.count()).select_from(rt.db.core["app"])).scalar() == 0
    finally:
        rt.db.dispose()


def test_item14_a_seed_problem_only_install_sees_names_file_and_line_and_changes_nothing(make_bundle, db_url):
    """Two contracts with one unique number: only the database knows; install says where, and rolls back."""
    bundle = make_bundle({"seed/org.yaml": "departments: [{code: hq, name: 总部}]\n"
                                           "users: [{login: seeded_boss, name: 老板, department: hq}]\n",
                          "seed/data.yaml": "records:\n  customer:\n    - {_key: c, 客户名称: C}\n"
                                            "  contract:\n    - {number: N1, customer: '@c'}\n"
                                            "    - {number: N1, customer: '@c'}\n"})
    assert check_bundle(bundle).ok
    rt = open_runtime(db_url)
    try:
        before = _tables_of(rt)
        with pytest.raises(ValidationFailed) as caught:
            install_bundle(rt, bundle)
        assert caught.value.code == "seed.invalid"
        assert [(d["file"], d["path"], d["line"]) for d in caught.value.details] == [
            ("seed/data.yaml", "$.records.contract[1].number", 6)]
        assert _tables_of(rt) == before
        users = rt.db.core["user"]
        with rt.connect() as c:
            assert c.execute(sa.select(users.c.id).where(users.c.login == "seeded_boss")).first() is None
            assert c.execute(sa.select(sa.func.count()).select_from(rt.db.core["app"])).scalar() == 0
        assert "sales_erp" not in rt.apps
        # fixed, the same bundle installs
        (bundle / "seed/data.yaml").write_text((bundle / "seed/data.yaml").read_text().replace(
            "{number: N1, customer: '@c'}\n    - {number: N1", "{number: N1, customer: '@c'}\n    - {number: N2"))
        assert install_bundle(rt, bundle).seeded == {"departments": 1, "users": 1, "customer": 1, "contract": 2}
    finally:
        rt.db.dispose()


def _tables_of(rt) -> set[str]:
    with rt.db.engine.connect() as c:
        return set(sa.inspect(c).get_table_names())


# --- item 15: people in seed records by login and department code ------------------------------------
VISIT_YAML = """\
entity: visit
label: {zh: 拜访, en: Visit}
title: "{subject}"
fields:
  - {name: subject, type: text, label: {zh: 主题, en: Subject}}
  - {name: host, type: user, label: {zh: 接待人, en: Host}}
  - {name: team, type: department, label: {zh: 部门, en: Team}}
  - name: attendees
    type: subtable
    label: {zh: 参加人, en: Attendees}
    fields:
      - {name: who, type: user, label: {zh: 人员, en: Who}}
"""

PEOPLE_ORG = """\
departments:
  - {code: hq, name: 总部}
  - {code: east, name: 华东区, parent: hq}
users:
  - {login: boss, name: 老板, department: hq}
  - {login: rep1, name: 代表, department: east}
"""


def test_item15_member_and_department_fields_take_a_login_and_a_code(make_bundle, db_url):
    bundle = make_bundle({"entities/visit.yaml": VISIT_YAML, "seed/org.yaml": PEOPLE_ORG,
                          "seed/visits.yaml": "records:\n  visit:\n"
                                              "    - {subject: 拜访, owner: rep1, host: boss, team: east,"
                                              " attendees: [{who: rep1}, {who: boss}]}\n"})
    assert check_bundle(bundle).ok
    rt = open_runtime(db_url)
    try:
        install_bundle(rt, bundle)
        users, depts = rt.db.core["user"], rt.db.core["department"]
        with rt.connect() as c:
            uid = dict(c.execute(sa.select(users.c.login, users.c.id)).all())
            did = dict(c.execute(sa.select(depts.c.code, depts.c.id)).all())
            (rid,) = c.execute(sa.select(rt.table("sales_erp", "visit").c.id)).scalars()
        rec = rt.records("sales_erp", "visit").reader().get(rid)
        assert rec["host"]["id"] == uid["boss"] and rec["team"]["id"] == did["east"]
        assert rec["owner"] == uid["rep1"]
        who = [r["who"]["id"] if isinstance(r["who"], dict) else r["who"] for r in rec["attendees"]]
        assert who == [uid["rep1"], uid["boss"]]
    finally:
        rt.db.dispose()


def test_item15_an_unknown_login_or_department_code_is_a_check_error(make_bundle):
    result = check_bundle(make_bundle({
        "entities/visit.yaml": VISIT_YAML, "seed/org.yaml": PEOPLE_ORG,
        "seed/visits.yaml": "records:\n  visit:\n"
                            "    - {subject: a, host: bos, team: east}\n"
                            "    - {subject: b, host: boss, team: 华东区/销售一部}\n"
                            "    - {subject: c, attendees: [{who: rep1}, {who: rep9}]}\n"}))
    f = "seed/visits.yaml"
    assert where(result) == {("bundle.E075", f, "$.records.visit[0].host", 3),
                             ("bundle.E075", f, "$.records.visit[1].team", 4),
                             ("bundle.E075", f, "$.records.visit[2].attendees[1].who", 5)}
    assert {e.message["en"] for e in result.errors} >= {
        "no user with the login bos in the seed data (before this point)",
        "no department with the code 华东区/销售一部 in the seed data (before this point)"}
