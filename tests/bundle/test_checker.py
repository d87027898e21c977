"""check_bundle: schema validation and cross-checks, every error at once with file, path and line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from engine.bundle import BundleInvalid, check_bundle, entity_schema, published_schemas, title_paths
from engine.bundle.cross_check import cross_check
from engine.bundle.schema_check import SchemaSet, _convert
from engine.bundle.schemas import SCHEMA_DIR
from engine.bundle.source import parse_files
from engine.fieldtypes import TEXT, FieldType, FieldTypeRegistry, kernel_field_types
from engine.plugins import platform_field_types


def places(result, severity="error"):
    items = result.errors if severity == "error" else result.warnings
    return {(e.code, e.file, e.path, e.line) for e in items}


def only(result, code):
    found = [e for e in result.errors + result.warnings if e.code == code]
    assert len(found) == 1, [e.format() for e in result.errors + result.warnings]
    return found[0]


# --- the acceptance test: ten planted mistakes, ten errors --------------------------------------------
BROKEN_YAML = """\
entity: warehouse
label: {zh: 仓库, en: Warehouse}
fields:
  - {name: name, type: text, label: {zh: 名称, en: Name}
  - {name: city, type: text, label: {zh: 城市, en: City}}
"""

MALFORMED_JSON = """\
{
  "entity": "supplier",
  "label": {"zh": "供应商", "en": "Supplier"},
}
"""

DUPLICATE_CUSTOMER = """\
entity: customer
label: {zh: 客户副本, en: Customer copy}
fields:
  - {name: code, type: text, label: {zh: 代码, en: Code}}
"""

ORDER_YAML = """\
entity: order
label: {zh: 订单, en: Order}
title: "{number} {customer.nmae}"
fields:
  - {name: number, type: text, label: {zh: 编号, en: Number}}
  - {name: customer, type: relation, to: customer, label: {zh: 客户, en: Customer}}
  - {name: number, type: text, label: {zh: 另一个编号, en: Another number}}
  - {name: carrier, type: relation, to: shipper, label: {zh: 承运商, en: Carrier}}
  - {name: created_at, type: datetime, label: {zh: 创建时间, en: Created at}}
  - {name: 2nd_phone, type: text, label: {zh: 备用电话, en: Second phone}}
  - {name: weight, type: nubmer, label: {zh: 重量, en: Weight}}
  - name: note
    type: text
"""


def test_ten_planted_mistakes_are_all_reported_with_file_path_and_line(make_bundle):
    root = make_bundle({
        "entities/warehouse.yaml": BROKEN_YAML,
        "entities/supplier.json": MALFORMED_JSON,
        "entities/customer_copy.yaml": DUPLICATE_CUSTOMER,
        "entities/order.yaml": ORDER_YAML,
    })
    result = check_bundle(root)
    order = "entities/order.yaml"
    assert places(result) == {
        # 1 YAML syntax error: the flow mapping on line 4 is never closed; PyYAML notices on line 5
        ("bundle.E003", "entities/warehouse.yaml", "$", 5),
        # 2 malformed JSON: the trailing comma, reported where the parser stopped (line 4)
        ("bundle.E004", "entities/supplier.json", "$", 4),
        # 3 a second entity called customer
        ("bundle.E042", "entities/customer_copy.yaml", "$.entity", 1),
        # 4 number defined twice
        ("bundle.E043", order, "$.fields[2].name", 7),
        # 5 a relation to an entity that is not there
        ("bundle.E045", order, "$.fields[3].to", 8),
        # 6 a system column as a field name
        ("bundle.E041", order, "$.fields[4].name", 9),
        # 7 not an identifier
        ("bundle.E040", order, "$.fields[5].name", 10),
        # 8 a misspelt type
        ("bundle.E044", order, "$.fields[6].type", 11),
        # 9 a field without its label: the path names the missing key, the line is the field's
        ("bundle.E030", order, "$.fields[7].label", 12),
        # 10 the title names a field the related customer does not have
        ("bundle.E046", order, "$.title", 3),
    }
    assert result.warnings == ()
    assert "number" in only(result, "bundle.E044").message["en"]  # did you mean number?
    assert only(result, "bundle.E046").message["en"] == (
        "the title names the field nmae, which the entity customer does not have "
        "(its fields: 客户名称, credit_limit, level)")
    assert "entities/customer.yaml" in only(result, "bundle.E042").message["en"]
    assert "$.fields[0]" in only(result, "bundle.E043").message["en"]


def test_a_duplicate_or_unnamed_entity_is_still_checked_on_its_own(make_bundle):
    root = make_bundle({
        "entities/customer_copy.yaml": """\
            entity: customer
            label: {zh: 客户副本, en: Customer copy}
            fields:
              - {name: code, type: txt, label: {zh: 代码, en: Code}}
        """,
        "entities/nameless.yaml": """\
            label: {zh: 无名, en: Nameless}
            title: "{code}"
            fields:
              - {name: _code, type: text, label: {zh: 代码, en: Code}}
        """,
    })
    assert places(check_bundle(root)) == {
        ("bundle.E042", "entities/customer_copy.yaml", "$.entity", 1),
        ("bundle.E044", "entities/customer_copy.yaml", "$.fields[0].type", 4),
        ("bundle.E030", "entities/nameless.yaml", "$.entity", 1),
        ("bundle.E046", "entities/nameless.yaml", "$.title", 2),
        ("bundle.E041", "entities/nameless.yaml", "$.fields[0].name", 4),
    }


def test_a_relation_to_an_entity_whose_file_failed_to_parse_is_not_reported_twice(make_bundle):
    root = make_bundle({
        "entities/warehouse.yaml": BROKEN_YAML,
        "entities/stock.yaml": """\
            entity: stock
            label: {zh: 库存, en: Stock}
            fields:
              - {name: warehouse, type: relation, to: warehouse, label: {zh: 仓库, en: Warehouse}}
        """,
    })
    assert [e.code for e in check_bundle(root).errors] == ["bundle.E003"]


# --- a valid bundle ------------------------------------------------------------------------------------
def test_a_valid_bundle_has_no_problems_and_keeps_chinese_names(make_bundle):
    result = check_bundle(make_bundle())
    assert result.ok and result.errors == () and result.warnings == ()
    source = result.raise_for_errors()
    customer = dict(source.entities)["entities/customer.yaml"]
    assert customer["fields"][0]["name"] == "客户名称"
    assert "销售总监" in source.roles["roles"]
    assert source.app["app"] == "sales_erp"


def test_the_lead_compiler_accepts_a_checked_source(make_bundle):
    from engine.compiled import compile_app

    source = check_bundle(make_bundle()).raise_for_errors()
    app = compile_app(source.app, [d for _, d in source.entities], source.roles, kernel_field_types())
    assert app.entity("contract").title_paths == (("number",), ("customer", "客户名称"))


def test_raise_for_errors_carries_every_problem(make_bundle):
    root = make_bundle({"app.yaml": "app: 1x\nversion: one\nlabel: {zh: 销售, en: Sales}\n"})
    with pytest.raises(BundleInvalid) as info:
        check_bundle(root).raise_for_errors()
    assert {d["path"] for d in info.value.details} == {"$.app", "$.version"}
    assert info.value.status == 422


# --- schema errors ------------------------------------------------------------------------------------
def test_keys_a_field_type_does_not_have_are_refused_with_a_suggestion(make_bundle):
    root = make_bundle({"entities/product.yaml": """\
        entity: product
        label: {zh: 产品, en: Product}
        fields:
          - {name: name, type: text, label: {zh: 名称, en: Name}, to: customer}
          - {name: price, type: money, label: {zh: 价格, en: Price}, precison: 2}
          - {name: kind, type: select, label: {zh: 类别, en: Kind}}
          - {name: maker, type: relation, label: {zh: 厂商, en: Maker}, to: 7}
    """})
    result = check_bundle(root)
    assert places(result) == {
        ("bundle.E031", "entities/product.yaml", "$.fields[0].to", 4),
        ("bundle.E031", "entities/product.yaml", "$.fields[1].precison", 5),
        ("bundle.E030", "entities/product.yaml", "$.fields[2].options", 6),
        ("bundle.E032", "entities/product.yaml", "$.fields[3].to", 7),
    }
    by_path = {e.path: e for e in result.errors}
    assert "a field of type text has no key to" in by_path["$.fields[0].to"].message["en"]
    assert "did you mean precision" in by_path["$.fields[1].precison"].message["en"]
    assert by_path["$.fields[3].to"].message["en"] == "must be a string, not an integer"


def test_app_manifest_schema_errors(make_bundle):
    root = make_bundle({"app.yaml": """\
        app: sales_erp
        version: "1.0"
        label: {zh: "  ", en: Sales}
        depends: [crm, {version: ">=1"}, 3, sales_erp]
        extra: 1
    """})
    result = check_bundle(root)
    assert places(result) == {
        ("bundle.E033", "app.yaml", "$.version", 2),
        ("bundle.E033", "app.yaml", "$.label.zh", 3),
        ("bundle.E030", "app.yaml", "$.depends[1].app", 4),
        ("bundle.E032", "app.yaml", "$.depends[2]", 4),
        ("bundle.E053", "app.yaml", "$.depends[3]", 4),
        ("bundle.E031", "app.yaml", "$.extra", 5),
    }
    by_path = {e.path: e for e in result.errors}
    assert "semantic version" in by_path["$.version"].message["en"]
    assert by_path["$.label.zh"].message["en"] == "must not be blank"


def test_roles_are_strict_and_named(make_bundle):
    root = make_bundle({"roles.yaml": """\
        roles:
          sales_rep:
            label: {zh: 销售代表, en: Sales rep}
          sales rep:
            label: {zh: 销售, en: Sales}
          sales_rep:
            label: {zh: 又一个, en: Again}
            grants: {contract: {read: own}}
          clerk: {}
    """})
    assert places(check_bundle(root)) == {
        ("bundle.E040", "roles.yaml", "$.roles['sales rep']", 4),
        ("bundle.E052", "roles.yaml", "$.roles.sales_rep", 6),
        ("bundle.E031", "roles.yaml", "$.roles.sales_rep.grants", 8),  # an unknown key (it is `entities`)
        ("bundle.E030", "roles.yaml", "$.roles.clerk.label", 9),
    }


def test_a_name_longer_than_63_is_reported_once(make_bundle):
    long_name = "客" * 64
    root = make_bundle({"entities/product.yaml": f"""\
        entity: product
        label: {{zh: 产品, en: Product}}
        fields:
          - {{name: {long_name}, type: text, label: {{zh: 名称, en: Name}}}}
    """})
    assert places(check_bundle(root)) == {("bundle.E033", "entities/product.yaml", "$.fields[0].name", 4)}


# --- cross-checks ----------------------------------------------------------------------------------
def test_layout_indexes_searchable_and_title_name_existing_fields(make_bundle):
    root = make_bundle({"entities/contract.yaml": """\
        entity: contract
        label: {zh: 合同, en: Contract}
        title: "{number.x} {customer.客户名称} {owner.name} {created_at}"
        fields:
          - {name: number, type: text, label: {zh: 编号, en: Number}}
          - {name: customer, type: relation, to: customer, label: {zh: 客户, en: Customer}}
        indexes:
          - {fields: [customer, updated_at, nmuber]}
        layout:
          sections:
            - {fields: [number, ghost]}
          tabs:
            - label: {zh: 其他, en: Other}
              sections: [{fields: [customer, number]}]
        searchable: [number, customer.客户名称, customer.phone, number.x]
    """})
    result = check_bundle(root)
    f = "entities/contract.yaml"
    assert places(result) == {
        ("bundle.E047", f, "$.title", 3),
        ("bundle.E050", f, "$.indexes[0].fields[2]", 8),
        ("bundle.E049", f, "$.layout.sections[0].fields[1]", 11),
        ("bundle.E051", f, "$.searchable[2]", 15),
        ("bundle.E051", f, "$.searchable[3]", 15),
    }
    assert places(result, "warning") == {("bundle.W003", f, "$.layout.tabs[0].sections[0].fields[1]", 14)}
    assert "did you mean number" in only(result, "bundle.E050").message["en"]


@pytest.mark.parametrize("title", ["{number", "number}", "{}", "{a.}", "{{number}}"])
def test_a_malformed_title_template_is_reported(make_bundle, title):
    root = make_bundle({"entities/product.yaml": f"""\
        entity: product
        label: {{zh: 产品, en: Product}}
        title: "{title}"
        fields:
          - {{name: number, type: text, label: {{zh: 编号, en: Number}}}}
    """})
    assert places(check_bundle(root)) == {("bundle.E048", "entities/product.yaml", "$.title", 3)}


def test_reserved_names_and_identifiers():
    from engine.bundle import is_identifier, is_reserved_field

    assert is_identifier("客户名称") and is_identifier("_x") and is_identifier("名称2")
    assert is_identifier("a" * 63)
    assert not is_identifier("2号") and not is_identifier("a-b") and not is_identifier("a b")
    assert not is_identifier("") and not is_identifier("a" * 64) and not is_identifier(3)
    assert is_reserved_field("deleted_at") and is_reserved_field("_secret")
    assert not is_reserved_field("owner_name")


def test_external_entities_may_be_related_to(make_bundle):
    root = make_bundle({"entities/product.yaml": """\
        entity: product
        label: {zh: 产品, en: Product}
        title: "{maker.name}"
        fields:
          - {name: maker, type: relation, to: partner, label: {zh: 厂商, en: Maker}}
    """})
    assert places(check_bundle(root)) == {("bundle.E045", "entities/product.yaml", "$.fields[0].to", 5)}
    assert check_bundle(root, external_entities={"partner"}).ok


def test_sub_table_fields_are_checked_as_their_own_scope(make_bundle):
    registry = kernel_field_types()
    registry.register(FieldType(
        name="subtable",
        options_schema={"fields": {"type": "array", "items": {"$ref": "#/$defs/field"}}},
        required_options=("fields",),
        column=TEXT.column, parse=TEXT.parse, dump=TEXT.dump, expr_type=TEXT.expr_type,
        filter_ops=TEXT.filter_ops,
    ))
    root = make_bundle({"entities/quote.yaml": """\
        entity: quote
        label: {zh: 报价, en: Quote}
        fields:
          - {name: product, type: text, label: {zh: 备注, en: Note}}
          - name: lines
            type: subtable
            label: {zh: 明细, en: Lines}
            fields:
              - {name: product, type: relation, to: prodcut, label: {zh: 产品, en: Product}}
              - {name: qty, type: number, label: {zh: 数量, en: Qty}, min: 1}
              - {name: qty, type: number, label: {zh: 数量, en: Qty}}
              - {name: price, type: money}
    """})
    assert places(check_bundle(root, registry)) == {
        ("bundle.E045", "entities/quote.yaml", "$.fields[1].fields[0].to", 9),
        ("bundle.E043", "entities/quote.yaml", "$.fields[1].fields[2].name", 11),
        ("bundle.E030", "entities/quote.yaml", "$.fields[1].fields[3].label", 12),
    }
    # the kernel registry has no sub-tables: the same file is an unknown type there
    assert "bundle.E044" in {e.code for e in check_bundle(root, kernel_field_types()).errors}


def test_the_entity_schema_follows_the_registry():
    registry = FieldTypeRegistry([TEXT])
    schema = entity_schema(registry)
    Draft202012Validator.check_schema(schema)
    field = {"name": "a", "type": "text", "label": {"zh": "甲", "en": "A"}}
    validator = Draft202012Validator(schema)
    doc = {"entity": "e", "label": {"zh": "乙", "en": "B"}, "fields": [field]}
    assert list(validator.iter_errors(doc)) == []
    assert list(validator.iter_errors({**doc, "fields": [{**field, "max_length": 0}]}))
    assert list(validator.iter_errors({**doc, "fields": [{**field, "precision": 2}]}))


def test_the_published_schemas_are_the_generated_ones():
    for name, schema in published_schemas(platform_field_types()).items():  # what write_published uses
        Draft202012Validator.check_schema(schema)
        committed = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
        assert committed == schema, f"engine/schemas/{name} is stale: run schemas.write_published()"
        assert schema["$id"] == f"https://jimu.dev/schemas/{name}"


def test_the_published_entity_schema_validates_a_definition_on_its_own(tmp_path: Path):
    """Editors and other tools use the committed file without our code: it must work alone."""
    schema = json.loads((SCHEMA_DIR / "entity.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema)
    good = {"entity": "e", "label": {"zh": "乙", "en": "B"},
            "fields": [{"name": "c", "type": "relation", "to": "x", "label": {"zh": "丙", "en": "C"}}]}
    assert list(validator.iter_errors(good)) == []
    del good["fields"][0]["to"]
    assert [e.validator for e in validator.iter_errors(good)] == ["required"]


@settings(max_examples=60)
@given(st.lists(st.lists(st.from_regex(r"[a-z客户名称_][a-z0-9客户_]{0,8}", fullmatch=True),
                         min_size=1, max_size=3), max_size=4),
       st.lists(st.from_regex(r"[^{}]{0,5}", fullmatch=True), min_size=5, max_size=5))
def test_title_paths_reads_back_what_a_template_names(paths, glue):
    template = "".join(glue[i] + "{" + ".".join(p) + "}" for i, p in enumerate(paths)) + glue[-1]
    assert title_paths(template) == paths


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers()
    | st.sampled_from(["", "text", "relation", "select", "customer", "{x}", "1a"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["entity", "fields", "name", "type", "to", "title", "layout", "sections", "tabs",
                         "indexes", "searchable", "label", "roles", "app", "depends"]), inner, max_size=4),
    max_leaves=12,
)
_titles = st.sampled_from(["{name}", "{to.x}", "{", "{created_at}", "{owner.name}", "{id.x}"])
_entities = st.one_of(_json_values, st.fixed_dictionaries({
    "entity": st.sampled_from(["e", "customer", 3]),
    "title": _titles | _json_values,
    "fields": st.lists(st.dictionaries(st.sampled_from(["name", "type", "to", "fields", "label", "options"]),
                                       _json_values, max_size=5), max_size=4) | _json_values,
    "layout": st.fixed_dictionaries({"sections": _json_values, "tabs": _json_values}) | _json_values,
    "indexes": st.lists(st.fixed_dictionaries({"fields": _json_values})) | _json_values,
    "searchable": _json_values,
}))


@settings(max_examples=200, deadline=None)
@given(entity=_entities, app=_json_values, roles=_json_values)
def test_any_shape_of_definition_is_reported_never_crashes(entity, app, roles):
    """The cross-check runs on files the schema already faulted: it must not assume any shape. And the
    checker's split field validation means exactly what the published entity schema means."""
    files = {"app.json": app, "roles.json": roles, "entities/e.json": entity}
    texts = {name: json.dumps(value).encode() for name, value in files.items()}
    source = parse_files("mem", list(texts), texts.__getitem__)
    registry = kernel_field_types()
    errors = [e for doc in source.documents for e in SCHEMAS.check(doc)]
    errors += cross_check(source, registry)
    for e in errors:
        assert e.code.startswith("bundle.") and e.message["zh"] and e.message["en"]
    doc = source.document("entities/e.json")
    if doc.parsed:
        published = Draft202012Validator(entity_schema(registry))
        expected = {(e.code, e.path) for err in published.iter_errors(doc.data) for e in _convert(doc, err)}
        assert {(e.code, e.path) for e in SCHEMAS.check(doc)} == expected


SCHEMAS = SchemaSet.for_field_types(kernel_field_types())


def test_item6_transfer_scopes_are_checked(make_bundle):
    """issue 11 item 6: ``transfer`` names users (a keyword or an expression over the receiving
    user); `own` and expressions that do not check over a user are reported."""
    root = make_bundle({"roles.yaml": """\
        roles:
          sales_rep:
            label: {zh: 销售代表, en: Sales rep}
            entities:
              customer: {create: true, read: own, transfer: own}
              contract: {create: true, read: own, transfer: "credit_limit > 0"}
          manager:
            label: {zh: 经理, en: Manager}
            entities:
              customer: {create: true, read: all, transfer: department_tree}
              contract: {create: true, read: all, transfer: "department.id = CURRENT_USER().department.id"}
    """})
    assert places(check_bundle(root)) == {
        ("bundle.E054", "roles.yaml", "$.roles.sales_rep.entities.customer.transfer", 5),
        ("bundle.E054", "roles.yaml", "$.roles.sales_rep.entities.contract.transfer", 6),
    }
