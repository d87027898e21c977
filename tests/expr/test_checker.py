"""The type checker: names resolved against the scope (Chinese names, labels in braces, relation
paths, sub-table columns, paths on computed records), functions against the registry, and errors
that point at the culprit with a suggestion."""
from __future__ import annotations

import pytest

from rules.expr import ExprError, check, compile_expression, standard_registry
from rules.expr.nodes import Call, FieldRef, PathOn
from rules.expr.registry import FunctionSpec, Param
from rules.expr.types import ANY, BOOLEAN, DATE, DATETIME, MONEY, NUMBER, TEXT, ListType, RecordType


def _user_type() -> RecordType:
    # user -> department -> head -> user ...: a recursive shape through lazy field mappings
    def user_fields():
        return {"name": TEXT, "department": department}

    department = RecordType("department", lambda: {"name": TEXT, "head": user}, {"部门名称": "name"})
    user = RecordType("user", user_fields, {"姓名": "name"})
    return user


USER = _user_type()
CUSTOMER = RecordType("customer", {"name": TEXT, "credit_limit": MONEY, "receivable": MONEY, "owner": USER},
                      {"信用额度": "credit_limit", "客户名称": "name"})
LINE = RecordType("contract_line", {"qty": NUMBER, "price": MONEY, "subtotal": MONEY,
                                    "batches": ListType(RecordType("batch", {"qty": NUMBER}))})
SCOPE = RecordType("contract", {
    "amount": MONEY, "qty": NUMBER, "status": TEXT, "start": DATE, "signed_at": DATETIME, "金额": MONEY,
    "合同 金额": MONEY, "customer": CUSTOMER, "lines": ListType(LINE), "extra": ANY,
}, {"合同金额": "amount", "客户": "customer", "明细": "lines"})


def _registry():
    r = standard_registry().copy()
    r.register(FunctionSpec("CURRENT_USER", [], USER, lambda ctx: ctx.user,
                            {"zh": "当前用户", "en": "current user"},
                            category="platform", needs_context=True, volatile=True))
    r.register(FunctionSpec("NEEDS_LIST", [Param("values", ListType(NUMBER))], NUMBER, lambda xs: len(xs),
                            {"zh": "", "en": ""}))
    return r


REGISTRY = _registry()


def ok(text: str, scope: RecordType = SCOPE):
    return check(text, scope, REGISTRY)


def err(text: str, scope: RecordType = SCOPE) -> ExprError:
    with pytest.raises(ExprError) as info:
        check(text, scope, REGISTRY)
    return info.value


# --- fields ----------------------------------------------------------------------------------------

def test_unknown_field_suggests_the_close_name_with_the_caret_under_it():
    e = err("qty * amout")
    assert e.code == "expr.E002"
    assert (e.line, e.column) == (1, 7)
    assert e.message["zh"] == "第1行第7列: 未知字段 'amout',是否想输入 'amount'?"
    assert e.message["en"] == "line 1, column 7: unknown field 'amout', did you mean 'amount'?"
    assert e.excerpt == "qty * amout\n      ^"


def test_unknown_field_without_a_close_name_has_no_suggestion():
    e = err("zzzzzz + 1")
    assert e.code == "expr.E002" and "did you mean" not in e.message["en"]


def test_suggestion_ignores_case():
    assert "'status'" in err("Status").message["en"]


def test_chinese_field_names():
    node = ok("金额 * 2")
    assert node.left.path == ("金额",) and node.type == MONEY
    e = err("金 额 + 1")
    assert e.code == "expr.E001"


def test_braces_reach_a_field_by_label_or_by_a_key_that_is_no_identifier():
    assert ok("{合同金额}").path == ("amount",)
    assert ok("{合同 金额}").path == ("合同 金额",)
    assert ok("{ amount }").path == ("amount",)
    assert ok("{客户}.{信用额度}").path == ("customer", "credit_limit")
    e = err("{合同总额}")
    assert e.code == "expr.E002" and "{合同金额}" in e.message["en"]


def test_labels_need_braces():
    assert err("合同金额 + 1").code == "expr.E002"


def test_relation_paths():
    node = ok("customer.credit_limit - customer.receivable")
    assert node.type == MONEY
    assert node.left.path == ("customer", "credit_limit")
    deep = ok("customer.owner.department.head.department.name")
    assert deep.type == TEXT and deep.path[-2:] == ("department", "name")


def test_unknown_field_of_a_relation_names_the_relation():
    e = err("customer.credit_limt")
    assert e.code == "expr.E002" and e.column == 10
    assert e.message["en"].endswith("'customer' has no field 'credit_limt', did you mean 'credit_limit'?")
    assert "'customer' 没有字段 'credit_limt'" in e.message["zh"]


def test_a_path_into_a_plain_value_is_a_type_error():
    e = err("amount.value")
    assert e.code == "expr.E005" and e.column == 8
    assert "'amount'" in e.message["en"]


def test_sub_table_column_is_a_list():
    node = ok("lines.subtotal")
    assert isinstance(node, FieldRef)
    assert node.type == ListType(MONEY) and node.list_from == 0
    nested = ok("lines.batches.qty")
    assert nested.type == ListType(NUMBER) and nested.list_from == 0
    assert ok("SUM(lines.subtotal)").type == MONEY
    assert ok("lines").type == ListType(LINE) and ok("lines").list_from is None
    assert ok("{明细}.price").type == ListType(MONEY)


def test_a_list_where_a_single_value_is_wanted_is_an_error():
    e = err("lines.subtotal * 2")
    assert e.code == "expr.E005" and e.column == 1
    assert "SUM" in e.message["en"]
    e = err("ROUND(lines.subtotal, 2)")
    assert e.code == "expr.E005" and e.column == 7 and "ROUND" in e.message["en"]


def test_a_record_where_a_single_value_is_wanted_is_an_error():
    e = err('customer & "x"')
    assert e.code == "expr.E005" and "record" in e.message["en"] and "记录" in e.message["zh"]
    assert err("customer = 1").code == "expr.E005"
    assert err("-customer").code == "expr.E005"


def test_a_scalar_where_a_list_is_required_is_an_error():
    assert ok("NEEDS_LIST(lines.qty)").type == NUMBER
    e = err("NEEDS_LIST(qty)")
    assert e.code == "expr.E005" and e.column == 12


def test_any_typed_fields_take_any_path():
    node = ok("extra.a.b + 1")
    assert node.left.type == ANY and node.left.path == ("extra", "a", "b")


# --- functions ---------------------------------------------------------------------------------------

def test_unknown_function_suggests_the_close_name():
    e = err("1 + SUMM(amount)")
    assert e.code == "expr.E003" and (e.line, e.column) == (1, 5)
    assert e.message["en"] == "line 1, column 5: unknown function 'SUMM', did you mean 'SUM'?"
    assert e.message["zh"] == "第1行第5列: 未知函数 'SUMM',是否想输入 'SUM'?"


def test_function_names_are_case_insensitive():
    node = ok("round(amount, 2)")
    assert isinstance(node, Call) and node.name == "ROUND"


def test_wrong_argument_counts():
    e = err("IF(amount > 1)")
    assert e.code == "expr.E004" and e.column == 1
    assert "IF" in e.message["en"] and "got 1" in e.message["en"] and "IF(" in e.message["en"]
    assert "实际给了 1 个" in e.message["zh"]
    e = err("NOT(TRUE, FALSE)")
    assert e.code == "expr.E004" and "1 argument" in e.message["en"]
    assert err("SUM()").code == "expr.E004"
    assert err("TODAY(1)").code == "expr.E004"


def test_extra_static_check_of_a_function():
    e = err("IFS(amount > 1, 1, amount > 2)")
    assert e.code == "expr.E005" and "pairs" in e.message["en"] and "成对" in e.message["zh"]


def test_return_types_come_from_the_registry():
    assert ok('IF(amount >= 50000, "大额", "普通")').type == TEXT
    assert ok("TODAY()").type == DATE
    assert ok("AND(amount > 1, qty > 1)").type == BOOLEAN


def test_path_on_a_function_result():
    node = ok("CURRENT_USER().department.head.name")
    assert isinstance(node, PathOn) and node.path == ("department", "head", "name") and node.type == TEXT
    assert isinstance(node.base, Call) and node.base.name == "CURRENT_USER"
    assert ok("CURRENT_USER().{姓名}").path == ("name",)
    e = err("CURRENT_USER().departmnt")
    assert e.code == "expr.E002" and "'department'" in e.message["en"]
    e = err("TODAY().year")
    assert e.code == "expr.E005" and "TODAY()" in e.message["en"]


# --- operators ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, typ", [
    ("amount + qty", MONEY), ("qty * 2", NUMBER), ("amount / qty", MONEY), ("amount / amount", NUMBER),
    ("start - start", NUMBER), ("start + 30", DATE), ("start - 1", DATE), ("signed_at + 1", DATETIME),
    ("signed_at - start", NUMBER), ('status & "x"', TEXT), ("amount > 1", BOOLEAN), ("-amount", MONEY),
    ("qty%", NUMBER), ("2^10", NUMBER), ("extra + 1", ANY),
])
def test_operator_result_types(text, typ):
    assert ok(text).type == typ


# --- limits and reads ----------------------------------------------------------------------------------

def test_nesting_too_deep_is_a_clean_error():
    e = err("ABS(" * 150 + "1" + ")" * 150)
    assert e.code == "expr.E006" and e.line == 1
    e = err("-" * 5000 + "1")
    assert e.code == "expr.E006"
    e = err("+".join(["qty"] * 500))
    assert e.code == "expr.E006"


def test_reads_lists_every_field_path():
    c = compile_expression("IF(amount > customer.credit_limit, SUM(lines.subtotal), {合同 金额}) & status",
                           SCOPE, REGISTRY)
    assert c.reads == frozenset({("amount",), ("customer", "credit_limit"), ("lines", "subtotal"),
                                 ("合同 金额",), ("status",)})
    assert compile_expression("CURRENT_USER().name", SCOPE, REGISTRY).reads == frozenset()
    assert c.type == TEXT and c.text.startswith("IF(")
