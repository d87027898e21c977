"""Issue 11 item 17: a relation field's ``filter`` — an expression over the target's own fields — limits
the choice alike in the picker, saves (record fields and sub-table rows), imports and the sales app's
product lines; an existing record keeps a link it already has; the filter is checked at load."""
from __future__ import annotations

from engine.bundle import check_bundle

from .conftest import SALES_ERP
from .io_helpers import problems, sheet_bytes, upload


def _env(forms_env):
    env = forms_env("relfilter")
    env.clerk = env.client_for("clerk1", roles=(("rf", "clerk"),))
    users = env.rt.db.core["user"]
    with env.rt.transaction() as c:
        c.execute(users.update().where(users.c.login == "clerk1").values(profile={"region": "east"}))
    made = env.admin.post(env.url("staff", "/bulk"), json=[
        {"name": "张三", "region": "east"}, {"name": "李四", "region": "west"},
        {"name": "王五", "region": "east", "active": False}, {"name": "张三", "region": "east", "active": False}])
    assert made.status_code == 201, made.text
    env.staff = dict(zip(("zhang", "li", "wang", "zhang_left"), made.json()["ids"]))
    return env


def _picked(client, env, field: str, **params) -> set[int]:
    r = client.get(env.url("staff", "/picker"), params={"field": field, "page_size": 100, **params})
    assert r.status_code == 200, r.text
    return {i["id"] for i in r.json()["items"]}


def test_item17_the_picker_lists_only_targets_passing_the_filter(forms_env):
    env = _env(forms_env)
    s = env.staff
    assert _picked(env.clerk, env, "task.assignee") == {s["zhang"], s["li"]}
    assert _picked(env.clerk, env, "task.helpers.who") == {s["zhang"], s["li"]}
    assert _picked(env.clerk, env, "task.local") == {s["zhang"]}  # CURRENT_USER().region = east
    everyone = env.clerk.get(env.url("staff", "/picker"), params={"page_size": 100}).json()["items"]
    assert len(everyone) == 4  # without a field, the picker is the plain list
    r = env.clerk.get(env.url("staff", "/picker"), params={"field": "task.title"})
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "field"


def test_item17_a_save_refuses_a_target_that_does_not_pass_at_its_field(forms_env):
    env = _env(forms_env)
    s = env.staff
    r = env.clerk.post(env.url("task"), json={"title": "t", "assignee": s["wang"], "local": s["li"],
                                               "helpers": [{"who": s["zhang"]}, {"who": s["wang"]}]})
    assert r.status_code == 422, r.text
    assert {(d["path"], d.get("code")) for d in r.json()["details"]} == {
        ("assignee", "filter"), ("local", "filter"), ("helpers[1].who", "filter")}
    assert "不符合可选条件" in r.json()["details"][0]["message"]["zh"]
    # the form state says the same, without saving
    state = env.clerk.post(env.url("task", "/form-state"), json={"values": {"title": "t", "assignee": s["wang"]}})
    assert any(e["path"] == "assignee" and e.get("code") == "filter" for e in state.json()["errors"])
    # and tells the picker which field it fills, so it lists only passing targets
    state = env.clerk.post(env.url("task", "/form-state"), json={"values": {"title": "t", "helpers": [{}]}}).json()
    assert state["fields"]["assignee"]["field"] == "task.assignee"
    assert state["rows"]["helpers"][0]["who"]["field"] == "task.helpers.who"
    assert "field" not in state["fields"]["title"]
    r = env.clerk.post(env.url("task"), json={"title": "t", "assignee": s["zhang"], "local": s["zhang"],
                                               "helpers": [{"who": s["li"]}]})
    assert r.status_code == 201, r.text
    bulk = env.clerk.post(env.url("task", "/bulk"), json=[{"title": "a", "assignee": s["zhang"]},
                                                          {"title": "b", "assignee": s["wang"]}])
    assert bulk.status_code == 422 and [d["path"] for d in bulk.json()["details"]] == ["[1].assignee"]


def test_item17_a_record_keeps_a_link_it_has_until_the_link_changes(forms_env):
    env = _env(forms_env)
    s = env.staff
    task = env.clerk.post(env.url("task"), json={"title": "t", "assignee": s["zhang"],
                                                  "helpers": [{"who": s["li"]}]}).json()
    for sid in (s["zhang"], s["li"]):  # both leave
        staff = env.admin.get(env.url("staff", f"/{sid}")).json()
        assert env.admin.patch(env.url("staff", f"/{sid}"), json={"active": False,
                                                                  "version": staff["version"]}).status_code == 200
    row = task["helpers"][0]
    r = env.clerk.patch(env.url("task", f"/{task['id']}"), json={
        "title": "renamed", "version": task["version"], "helpers": [{"id": row["id"]}, {"who": s["li"]}]})
    assert r.status_code == 422 and [d["path"] for d in r.json()["details"]] == ["helpers[1].who"]
    r = env.clerk.patch(env.url("task", f"/{task['id']}"), json={"title": "renamed", "version": task["version"],
                                                                 "helpers": [{"id": row["id"]}]})
    assert r.status_code == 200, r.text  # kept links are not judged again
    r = env.clerk.patch(env.url("task", f"/{task['id']}"), json={"assignee": s["wang"], "version": r.json()["version"]})
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "assignee"


def test_item17_an_import_matches_titles_among_passing_targets_only(forms_env):
    env = _env(forms_env)
    rows = [["t1", "张三"], ["t2", "王五"], ["t3", f"#{env.staff['wang']}"]]
    r = upload(env.clerk, env.url("task", "/import"), sheet_bytes("csv", ["标题", "负责人"], rows), "t.csv")
    # 张三 is two staff, one of whom left: the one who passes is meant; 王五 left: not found, by name or id
    assert problems(r.json()) == [(3, "负责人", "assignee"), (4, "负责人", "assignee")]
    r = upload(env.clerk, env.url("task", "/import"), sheet_bytes("csv", ["标题", "负责人"], rows[:1]), "t.csv",
               dry_run=False)
    assert r.status_code == 201, r.text
    (tid,) = r.json()["ids"]
    assert env.clerk.get(env.url("task", f"/{tid}")).json()["assignee"]["id"] == env.staff["zhang"]


def test_item17_sales_quote_and_opportunity_lines_pick_only_products_on_sale(forms_env):
    env = forms_env(SALES_ERP, demo=True)
    products = env.admin.get(env.url("product"), params={"page_size": 100}).json()["items"]
    on_sale = {p["id"] for p in products if p["active"]}
    off = next(p for p in products if not p["active"])  # 年度运维服务 in the demo data
    for field in ("opportunity.lines.product", "quote.lines.product"):
        got = env.admin.get(env.url("product", "/picker"), params={"field": field, "page_size": 100}).json()
        assert {i["id"] for i in got["items"]} == on_sale
    customer = env.admin.get(env.url("customer"), params={"page_size": 1}).json()["items"][0]
    r = env.admin.post(env.url("opportunity"), json={"name": "x", "customer": customer["id"],
                                                     "lines": [{"product": off["id"], "qty": 1, "price": 1}]})
    assert r.status_code == 422 and [d["path"] for d in r.json()["details"]] == ["lines[0].product"]


BAD_TASK = """\
entity: task
label: {zh: 任务, en: Task}
fields:
  - {name: title, type: text, label: {zh: 标题, en: Title}}
  - {name: a, type: relation, to: staff, label: {zh: 甲, en: A}, filter: "actve = TRUE"}
  - {name: b, type: relation, to: staff, label: {zh: 乙, en: B}, filter: "name"}
  - name: rows
    type: subtable
    label: {zh: 行, en: Rows}
    fields:
      - {name: c, type: relation, to: staff, label: {zh: 丙, en: C}, filter: "active = "}
"""


def test_item17_a_filter_is_checked_at_load_with_file_and_line(tmp_path):
    import shutil

    bundle = tmp_path / "rf"
    shutil.copytree(SALES_ERP.parent.parent / "tests" / "forms" / "bundles" / "relfilter", bundle)
    (bundle / "entities" / "task.yaml").write_text(BAD_TASK, "utf-8")
    result = check_bundle(bundle)
    assert {(e.code, e.file, e.path, e.line) for e in result.errors} == {
        ("bundle.E062", "entities/task.yaml", "$.fields[1].filter", 5),
        ("bundle.E062", "entities/task.yaml", "$.fields[2].filter", 6),
        ("bundle.E062", "entities/task.yaml", "$.fields[3].fields[0].filter", 11),
    }, [e.format() for e in result.errors]



def test_item17_a_filter_may_not_read_a_field_a_role_hides(tmp_path):
    """The picker would tell a user which targets pass: a hidden field there would leak, bit by bit."""
    import shutil

    bundle = tmp_path / "rf"
    shutil.copytree(SALES_ERP.parent.parent / "tests" / "forms" / "bundles" / "relfilter", bundle)
    roles = (bundle / "roles.yaml").read_text("utf-8").replace(
        "staff: {create: true, read: all, update: all}",
        "staff: {create: true, read: all, update: all, hidden: [region]}")
    (bundle / "roles.yaml").write_text(roles, "utf-8")
    result = check_bundle(bundle)
    assert [(e.code, e.path, e.message["en"]) for e in result.errors] == [
        ("bundle.E062", "$.fields[2].filter", "the filter reads staff.region, which the role clerk may not see: "
                                              "the picker would reveal it")]
