"""Text in and out of every field type, without a database: what an import cell may hold
(``parse_text``), what a person reads in an export or printout (``display``), that the one reads back
as the other, and the JSON Schema each type gives for its API input."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
import yaml

from engine.fieldtypes import FieldValueError
from engine.plugins import platform_field_types
from forms.fieldtypes import allowed_options
from forms.fieldtypes.text_kinds import html_to_text

BUNDLES = Path(__file__).resolve().parent / "bundles"
REG = platform_field_types()
SPECIMEN = yaml.safe_load((BUNDLES / "fieldtypes" / "entities" / "specimen.yaml").read_text(encoding="utf-8"))
DEFS = {f["type"]: f for f in SPECIMEN["fields"]}
OURS = ["text", "number", "money", "date", "datetime", "boolean", "select", "relation", "textarea", "richtext",
        "email", "phone", "url", "percent", "rating", "time", "multiselect", "cascade", "user", "department"]


def from_text(type_name: str, text: str, **override):
    return REG.get(type_name).from_text({**DEFS[type_name], **override}, text)


def show(type_name: str, value, lang: str = "zh", **override) -> str:
    return REG.get(type_name).show({**DEFS[type_name], **override}, value, lang)


def test_the_bundle_has_one_field_of_every_type_named_after_it():
    assert sorted(DEFS) == sorted(OURS)
    assert all(f["name"] == f"f_{f['type']}" for f in SPECIMEN["fields"])
    for name in OURS:
        t = REG.get(name)
        assert t.parse_text is not None or name in ("text", "relation"), name
        assert t.display is not None or name in ("text", "relation"), name
        assert t.json_schema is not None and t.label.get("zh") and t.label.get("en"), name


# --- text input ----------------------------------------------------------------------------------------
TEXT_IN = [
    ("boolean", ["是", "true", "TRUE", "1", "yes", "Y", "y", " 是 "], True),
    ("boolean", ["否", "false", "0", "no", "N", "No"], False),
    ("number", ["1,234.50", " 1234.5 ", "１，２３４.５", "1 234.5"], Decimal("1234.50")),
    ("number", ["(12)", "-12"], Decimal("-12.00")),
    ("money", ["¥1,234.50", "￥1,234.5", "1234.50元", "CNY 1,234.50", "$1,234.50"], Decimal("1234.50")),
    ("money", ["-¥1,234.50", "¥-1,234.50"], Decimal("-1234.50")),
    ("date", ["2026-01-05", "2026/1/5", "2026年1月5日", "2026.01.05", "20260105", "2026-01-05 00:00:00"],
     dt.date(2026, 1, 5)),
    ("datetime", ["2026-01-05 09:30", "2026/1/5 9:30:00", "2026年1月5日 9时30分", "2026-01-05T09:30:00Z",
                  "2026-01-05 17:30:00 +08:00", "2026-01-05 09:30:00 UTC"], dt.datetime(2026, 1, 5, 9, 30)),
    ("select", ["east", "华东", "East", "EAST", " 华东 "], "east"),
    ("relation", ["12"], 12),
    ("textarea", ["一\r\n二"], "一\n二"),
    ("email", ["  li@Example.com ", "mailto:li@example.com"], "li@example.com"),
    ("phone", ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "+86-13800138000"],
     "13800138000"),
    ("phone", ["010-6552 9988"], "010-6552 9988"),
    ("phone", ["(0571) 8888-6666 转 123"], "(0571) 8888-6666 转 123"),
    ("phone", ["+1 (415) 555-0100 ext. 12"], "+1 (415) 555-0100 ext. 12"),
    ("url", ["https://example.com/a?b=1"], "https://example.com/a?b=1"),
    ("url", ["www.example.com", "example.com"], None),  # checked below: the scheme is added
    ("percent", ["15%", "15 %", "１５％", "0.15", "15.0%"], Decimal("0.150")),
    ("percent", ["12.4%", "0.124", "12.40%"], Decimal("0.124")),  # the field's 1 place of percentage
    ("rating", ["4", "4/5", "4星", "4 stars", "★★★★", "★★★★☆", "⭐⭐⭐⭐"], 4),
    ("time", ["09:30", "9:30", "9点30分", "9:30:00", "上午9:30", "9:30 am", "09:30:00.000"], dt.time(9, 30)),
    ("time", ["下午3:30", "3:30 PM", "15:30", "15时30分"], dt.time(15, 30)),
    ("multiselect", ["vip,new", "重要、新客", "New；VIP", "vip, new, vip", "重要，new", "vip|new"], ["vip", "new"]),
    ("multiselect", ["风险"], ["risk"]),
    ("cascade", ["hangzhou", "杭州", "Hangzhou"], "hangzhou"),
    ("user", ["7", "#7"], 7),
    ("department", ["#3"], 3),
]


@pytest.mark.parametrize("type_name,texts,expected", TEXT_IN, ids=[f"{t[0]}-{i}" for i, t in enumerate(TEXT_IN)])
def test_text_input(type_name, texts, expected):
    for text in texts:
        got = from_text(type_name, text)
        if type_name == "url" and expected is None:
            assert got == "https://" + text.strip()
        else:
            assert got == expected, text


@pytest.mark.parametrize("type_name", OURS)
def test_a_blank_cell_is_blank(type_name):
    assert from_text(type_name, "") is None
    if type_name not in ("text", "textarea", "relation"):  # text keeps spaces a person typed
        assert from_text(type_name, "   ") is None


BAD_TEXT = [
    ("boolean", "也许", "yes or no"),
    ("number", "12元5", "number"),
    ("date", "2026-02-30", "not a valid date"),
    ("date", "5/1/2026", "not a valid date"),
    ("datetime", "2026-01-05 25:00", "not valid"),
    ("select", "西部", "not one of the options"),
    ("email", "li@", "email"),
    ("phone", "1234", "phone"),
    ("url", "not a url", "http://"),
    ("percent", "15%%", "percentage"),
    ("percent", "12.35%", "at most 1 decimal places"),  # refused, never rounded (issue 11 item 19)
    ("number", "1.234", "at most 2 decimal places"),
    ("rating", "★★★★★★", "1 to 5"),
    ("time", "9点半", "not a valid time"),
    ("multiselect", "vip、金牌", "金牌"),
    ("cascade", "东京", "not one of the options"),
    ("user", "张三", "user id"),
]


@pytest.mark.parametrize("type_name,text,hint", BAD_TEXT, ids=[b[0] for b in BAD_TEXT])
def test_bad_text_says_why_in_both_languages(type_name, text, hint):
    with pytest.raises(FieldValueError) as e:
        from_text(type_name, text)
    assert hint in e.value.message["en"] and e.value.message["zh"]


def test_a_cascade_label_shared_by_several_parents_needs_the_value():
    d = {**DEFS["cascade"], "options": [
        {"value": "sh_district", "parent": "east", "label": {"zh": "市辖区", "en": "Districts"}},
        {"value": "bj_district", "parent": "north", "label": {"zh": "市辖区", "en": "Districts"}}]}
    with pytest.raises(FieldValueError) as e:
        REG.get("cascade").from_text(d, "市辖区")
    assert "bj_district" in e.value.message["en"] and "选项值" in e.value.message["zh"]
    assert REG.get("cascade").from_text(d, "bj_district") == "bj_district"


# --- display -------------------------------------------------------------------------------------------
DISPLAY = [
    ("text", "你好", "你好", "你好"),
    ("number", Decimal("1234.50"), "1234.50", "1234.50"),  # the field asks for 2 places
    ("money", Decimal("1234567.5"), "1,234,567.50", "1,234,567.50"),
    ("money", Decimal("-0.5"), "-0.50", "-0.50"),
    ("date", dt.date(2026, 1, 5), "2026-01-05", "2026-01-05"),
    ("datetime", dt.datetime(2026, 1, 5, 9, 30), "2026-01-05 09:30:00 UTC", "2026-01-05 09:30:00 UTC"),
    ("boolean", True, "是", "Yes"),
    ("boolean", False, "否", "No"),
    ("select", "south", "华南", "South"),
    ("relation", 12, "12", "12"),
    ("textarea", "一\n二", "一\n二", "一\n二"),
    ("richtext", "<p>R&amp;D <b>预算</b></p><ul><li>一</li><li>二</li></ul>", "R&D 预算\n一\n二", "R&D 预算\n一\n二"),
    ("email", "li@example.com", "li@example.com", "li@example.com"),
    ("phone", "13800138000", "13800138000", "13800138000"),
    ("url", "https://example.com", "https://example.com", "https://example.com"),
    ("percent", Decimal("0.155"), "15.5%", "15.5%"),
    ("percent", Decimal("0.150"), "15%", "15%"),
    ("percent", Decimal("-0.002"), "-0.2%", "-0.2%"),
    ("rating", 3, "★★★☆☆", "★★★☆☆"),
    ("time", dt.time(9, 30), "09:30", "09:30"),
    ("time", dt.time(9, 30, 15), "09:30:15", "09:30:15"),
    ("multiselect", ["vip", "risk"], "重要、风险", "VIP, Risk"),
    ("cascade", "shenzhen", "深圳", "Shenzhen"),
    ("user", 7, "#7", "#7"),
    ("department", 3, "#3", "#3"),
]


@pytest.mark.parametrize("type_name,value,zh,en", DISPLAY, ids=[f"{d[0]}-{i}" for i, d in enumerate(DISPLAY)])
def test_display_reads_back_to_the_same_value(type_name, value, zh, en):
    assert show(type_name, value, "zh") == zh
    assert show(type_name, value, "en") == en
    for text in (zh, en):  # an exported cell imports as the value it came from
        back = from_text(type_name, text)
        if type_name == "richtext":
            assert show(type_name, back, "zh") == zh
        else:
            assert back == value, text


def test_display_of_blank_is_empty_for_every_type():
    assert all(show(t, None) == "" for t in OURS)


def test_display_details():
    assert show("money", Decimal("12.345"), precision=3) == "12.345"
    assert show("percent", Decimal("0.1234"), precision=2) == "12.34%"
    assert show("rating", 2, max=3) == "★★☆"
    aware = dt.datetime(2026, 1, 5, 17, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert show("datetime", aware) == "2026-01-05 17:30:00 +08:00"  # a reader's zone, when the caller gives one
    assert from_text("datetime", show("datetime", aware)) == dt.datetime(2026, 1, 5, 9, 30)


def test_number_without_places_shows_no_trailing_zeros():
    d = {k: v for k, v in DEFS["number"].items() if k != "precision"}
    assert REG.get("number").show(d, Decimal("3.1000"), "zh") == "3.1"
    assert REG.get("number").show(d, Decimal("100.0000"), "zh") == "100"


# --- rich text -----------------------------------------------------------------------------------------
def test_rich_text_from_plain_text_keeps_its_lines_and_escapes_markup_characters():
    stored = from_text("richtext", "第一行 a<b\n第二行 & 三")
    assert "<br>" in stored and "&lt;" in stored and "&amp;" in stored
    assert html_to_text(stored) == "第一行 a<b\n第二行 & 三"


def test_rich_text_never_keeps_a_script_or_an_event_handler():
    attacks = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<svg onload=alert(1)>',
               '<a href="javascript:alert(1)">x</a>', '<a href="JaVaScRiPt:alert(1)">x</a>',
               '<p style="background:url(javascript:alert(1))">x</p>', '<iframe srcdoc="<script>x</script>">',
               '<body onload=alert(1)>', '<scr<script>ipt>alert(1)</script>', '<math><mi xlink:href="javascript:1">',
               '<div onmouseover="alert(1)">x</div>', '<object data="javascript:alert(1)">',
               '<base href="javascript:">']
    for attack in attacks:
        out = from_text("richtext", attack) or ""
        low = out.lower()
        assert "<script" not in low and "javascript:" not in low and "onerror" not in low, (attack, out)
        assert not any(f" on{e}" in low for e in ("load", "error", "mouseover", "click")), (attack, out)
        parse = REG.get("richtext").parse
        assert parse(DEFS["richtext"], out) == (out or None)  # sanitising is stable: stored text stays as is


# --- allowed options (a cascade's choices for a record) ------------------------------------------------
def test_allowed_options_follow_the_parent_value():
    d = DEFS["cascade"]
    assert [o["value"] for o in allowed_options(d, {"f_select": "east"})] == ["shanghai", "hangzhou"]
    assert [o["value"] for o in allowed_options(d, {"f_select": "north"})] == ["beijing"]
    assert allowed_options(d, {"f_select": None}) == [] and allowed_options(d, {}) == []


# --- JSON Schema of the API input ----------------------------------------------------------------------
GOOD_INPUT = {
    "text": ["abc", None], "number": [1, "1,234.5", None], "money": [Decimal("9.99"), "9.99"],
    "date": ["2026-01-05"], "datetime": ["2026-01-05T09:30:00Z"], "boolean": [True, None],
    "select": ["east", None], "relation": [3, {"id": 3, "title": "x"}, None], "textarea": ["a\nb"],
    "richtext": ["<p>x</p>"], "email": ["a@b.cn"], "phone": ["13800138000", "+1 (415) 555-0100"],
    "url": ["https://e.com", "HTTP://E.COM"], "percent": [Decimal("0.15"), "15%"], "rating": [1, 5],
    "time": ["09:30", "09:30:15"], "multiselect": [["vip", "new"], [], None], "cascade": ["beijing"],
    "user": [1, {"id": 1}], "department": [2, None],
}
BAD_INPUT = {
    "text": [1.5, "x" * 51], "boolean": ["yes"], "select": ["west"], "relation": [0, "a"], "textarea": [["a"]],
    "url": ["ftp://e.com"], "rating": [0, 6, 2.5], "time": ["9.30"], "multiselect": [["gold"], ["vip", "vip"], "vip"],
    "cascade": ["tokyo"], "user": ["zhangsan", {"name": "x"}], "number": [True], "date": [20260105],
}


@pytest.mark.parametrize("type_name", OURS)
def test_input_schema_takes_the_values_the_api_takes(type_name):
    schema = REG.get(type_name).input_schema(DEFS[type_name])
    validator = jsonschema.Draft202012Validator(schema)
    for v in GOOD_INPUT[type_name]:
        assert validator.is_valid(v), (v, schema)
        REG.get(type_name).parse(DEFS[type_name], v)  # and the field type takes it too
    for v in BAD_INPUT.get(type_name, ()):
        assert not validator.is_valid(v), (v, schema)


# --- values in the expression language -----------------------------------------------------------------
def test_stored_values_compute_in_formulas_and_rules():
    """Values as the field types store them are values the expression language computes with: a
    rating is a number, a percent the fraction, a multi-select a list of values."""
    from engine.compiled import compile_app
    from engine.expressions import platform_registry
    from rules.expr import compile_expression, make_context

    customer = yaml.safe_load((BUNDLES / "fieldtypes" / "entities" / "customer.yaml").read_text(encoding="utf-8"))
    app = compile_app({"app": "ft", "version": "0.1.0", "label": {"zh": "x", "en": "x"}}, [SPECIMEN, customer],
                      None, REG)
    scope, functions = app.record_type("specimen"), platform_registry()
    record = {f["name"]: None for f in SPECIMEN["fields"]}
    record.update(f_rating=from_text("rating", "★★★★"), f_percent=from_text("percent", "15%"),
                  f_money=from_text("money", "¥200"), f_multiselect=from_text("multiselect", "重要、风险"),
                  f_textarea=from_text("textarea", "备注"), f_time=from_text("time", "9:30"),
                  f_cascade=from_text("cascade", "杭州"))
    assert isinstance(record["f_rating"], Decimal)

    def run(text):
        return compile_expression(text, scope, functions).fn(record, make_context("2026-01-05"))

    assert run("f_rating >= 4") is True and run("f_rating = 4") is True
    assert run("f_money * (1 - f_percent)") == Decimal("170.00")
    assert run('COUNTA(f_multiselect)') == Decimal(2)
    assert run('f_textarea & "!"') == "备注!" and run('f_cascade = "hangzhou"') is True
    assert run('f_time < f_time') is False


# --- definitions -----------------------------------------------------------------------------------------
def test_definitions_of_the_types_are_checked_at_load(tmp_path):
    import shutil

    from engine.bundle.checker import check_bundle

    assert check_bundle(BUNDLES / "fieldtypes").ok
    spec = {**SPECIMEN, "fields": [
        {"name": "tags", "type": "multiselect", "label": {"zh": "标签", "en": "Tags"}, "unique": True,
         "options": [{"value": "a|b", "label": {"zh": "甲", "en": "A"}}]},
        {"name": "city", "type": "cascade", "label": {"zh": "城市", "en": "City"},
         "options": [{"value": "sh", "label": {"zh": "上海", "en": "Shanghai"}}]},
        {"name": "stars", "type": "rating", "label": {"zh": "星", "en": "Stars"}, "max": 11},
        {"name": "rate", "type": "percent", "label": {"zh": "率", "en": "Rate"}, "precision": 7},
    ]}
    shutil.copytree(BUNDLES / "fieldtypes", tmp_path / "b")
    (tmp_path / "b" / "entities" / "specimen.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True),
                                                               encoding="utf-8")
    found = {(e.path, e.code) for e in check_bundle(tmp_path / "b").errors}
    paths = {p for p, _ in found}
    assert "$.fields[0].unique" in paths  # a list has no one value to keep unique
    assert "$.fields[0].options[0].value" in paths  # "|" is the stored form's separator
    assert "$.fields[1]" in paths or "$.fields[1].parent" in paths  # a cascade needs its parent
    assert any(p.startswith("$.fields[1].options[0]") for p in paths)  # and each option its parent value
    assert "$.fields[2].max" in paths and "$.fields[3].precision" in paths
