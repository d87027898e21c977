"""Validating each definition file against its JSON Schema, every violation turned into a BundleError
that names the exact key (a missing key or an unknown key gets its own path, and so its own line)."""
from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from .documents import Document, Kind
from .errors import BundleError, PathPart, problem
from .schemas import (
    NOT_BLANK_PATTERN,
    SEMVER_PATTERN,
    FieldTypesLike,
    app_schema,
    entity_schema,
    roles_schema,
    seed_schema,
)

_TYPE_NAMES = {
    "object": ("对象 (键: 值)", "an object (key: value)"),
    "array": ("列表", "a list"),
    "string": ("文本", "a string"),
    "integer": ("整数", "an integer"),
    "number": ("数字", "a number"),
    "boolean": ("true 或 false", "true or false"),
    "null": ("空值", "null"),
}
_PATTERN_MESSAGES = {
    SEMVER_PATTERN: ("应为语义化版本号, 如 1.0.0", "must be a semantic version such as 1.0.0"),
    NOT_BLANK_PATTERN: ("不能为空白", "must not be blank"),
}


@dataclass(frozen=True)
class SchemaSet:
    """The validators for each kind of file, made once per field-type registry."""

    validators: dict[Kind, Draft202012Validator]
    # each field's own type-specific keys, checked on their own (see for_field_types)
    field_validators: dict[str, Draft202012Validator]

    @classmethod
    def for_field_types(cls, field_types: FieldTypesLike, kinds=None) -> SchemaSet:
        """Same meaning as the published entity schema, faster: instead of evaluating every type's
        if/then on every field, the document is checked with the common field keys only and each
        top-level field then against its own type's branch."""
        published = entity_schema(field_types)
        defs = published["$defs"]
        by_type = {b["if"]["properties"]["type"]["const"]: b["then"] for b in defs["field"]["allOf"]}
        common = {k: v for k, v in defs["field"].items() if k != "allOf"}
        entity = copy.deepcopy(published)
        entity["$defs"]["field_common"] = common
        entity["properties"]["fields"]["items"] = {"$ref": "#/$defs/field_common"}
        if kinds is None:
            from ..kinds import declared_kinds

            kinds = declared_kinds()
        return cls(
            {"app": Draft202012Validator(app_schema()), "entity": Draft202012Validator(entity),
             "roles": Draft202012Validator(roles_schema()), "seed": Draft202012Validator(seed_schema()),
             # each engine's kind against the schema the engine publishes
             **{k: Draft202012Validator(spec.schema_dict()) for k, spec in kinds.items()}},
            {name: Draft202012Validator({**branch, "$defs": defs}) for name, branch in by_type.items()},
        )

    def check(self, doc: Document) -> list[BundleError]:
        if not doc.parsed:
            return []
        out: list[BundleError] = []
        validator = self.validators.get(doc.kind)
        for err in validator.iter_errors(doc.data) if validator is not None else ():
            out.extend(_convert(doc, err))
        fields = doc.data.get("fields") if doc.kind == "entity" and isinstance(doc.data, dict) else None
        for i, fd in enumerate(fields if isinstance(fields, list) else []):
            type_name = fd.get("type") if isinstance(fd, dict) else None
            validator = self.field_validators.get(type_name) if isinstance(type_name, str) else None
            for err in validator.iter_errors(fd) if validator else ():
                out.extend(_convert(doc, err, ("fields", i)))
        return out


def _convert(doc: Document, err: ValidationError, prefix: tuple[PathPart, ...] = ()) -> Iterator[BundleError]:
    err = _most_specific(err)
    parts: tuple[PathPart, ...] = prefix + tuple(err.absolute_path)
    if "propertyNames" in err.absolute_schema_path:
        parts += (err.instance,)  # the failing thing is the key itself, not the mapping

    def at(code: str, where: tuple[PathPart, ...], zh: str, en: str) -> BundleError:
        return problem(code, doc.name, where, doc.line_of(where), zh, en)

    v, value, inst = err.validator, err.validator_value, err.instance
    if v == "required":
        for key in value:
            if isinstance(inst, dict) and key not in inst:
                yield at("bundle.E030", parts + (key,), f"缺少必填键 {key}",
                         f"the required key {key} is missing")
    elif v == "additionalProperties" and isinstance(inst, dict):
        allowed = sorted(err.schema.get("properties", {}))
        for key in inst:
            if key in allowed:
                continue
            in_field = doc.kind == "entity" and len(parts) == 2 and parts[0] == "fields"
            where = inst["type"] if in_field and isinstance(inst.get("type"), str) else ""
            guess = difflib.get_close_matches(str(key), allowed, n=1)
            hint_zh = f", 是否应为 {guess[0]}?" if guess else ""
            hint_en = f"; did you mean {guess[0]}?" if guess else ""
            zh = f"{where} 类型的字段不支持键 {key}" if where else f"不认识的键 {key}"
            en = f"a field of type {where} has no key {key}" if where else f"unknown key {key}"
            yield at("bundle.E031", parts + (key,), zh + hint_zh, en + hint_en)
    elif v == "type" or (v in ("oneOf", "anyOf") and err.context):
        wanted = value if v == "type" else [c.validator_value for c in err.context if c.validator == "type"]
        names = [_TYPE_NAMES.get(t, (t, t)) for t in _flatten(wanted)]
        got = _kind_of(inst)
        yield at("bundle.E032", parts, "应为" + " 或 ".join(n[0] for n in names) + f", 实际是 {got[0]}",
                 "must be " + " or ".join(n[1] for n in names) + f", not {got[1]}")
    else:
        zh, en = _value_message(v, value, inst, err.message)
        yield at("bundle.E033", parts, zh, en)


def _most_specific(err: ValidationError) -> ValidationError:
    """For oneOf/anyOf, the error of the alternative that fits the value's type (an object missing a key
    is better told "key missing" than "not a string"); the error itself when no alternative fits."""
    while err.context:
        fitting = [c for c in err.context
                   if not (c.validator == "type" and c.absolute_path == err.absolute_path)]
        if not fitting:
            return err
        err = best_match(fitting)
    return err


def _value_message(v: str, value: Any, inst: Any, fallback: str) -> tuple[str, str]:
    if v == "minLength" and value == 1:
        return "不能为空", "must not be empty"
    if v == "maxLength":
        return f"不能超过 {value} 个字符", f"must be at most {value} characters long"
    if v == "minLength":
        return f"至少 {value} 个字符", f"must be at least {value} characters long"
    if v == "pattern":
        return _PATTERN_MESSAGES.get(value, (f"格式不符合 {value}", f"must match the pattern {value}"))
    if v in ("minimum", "exclusiveMinimum"):
        return f"不能小于 {value}", f"must be at least {value}"
    if v in ("maximum", "exclusiveMaximum"):
        return f"不能大于 {value}", f"must be at most {value}"
    if v == "minItems":
        return (("不能是空列表", "must not be an empty list") if value == 1
                else (f"至少要有 {value} 项", f"must have at least {value} items"))
    if v == "maxItems":
        return f"最多 {value} 项", f"must have at most {value} items"
    if v == "uniqueItems":
        return "列表中有重复项", "the list has duplicate items"
    if v == "enum":
        shown = ", ".join(str(x) for x in value)
        return f"应为以下之一: {shown}", f"must be one of: {shown}"
    if v == "const":
        return f"应为 {value}", f"must be {value}"
    return f"取值无效: {fallback}", f"invalid value: {fallback}"


def _flatten(types: Any) -> list[str]:
    out: list[str] = []
    for t in types if isinstance(types, list) else [types]:
        for x in t if isinstance(t, list) else [t]:
            if x not in out:
                out.append(x)
    return out


def _kind_of(value: Any) -> tuple[str, str]:
    if isinstance(value, bool):
        return _TYPE_NAMES["boolean"]
    for t, py in (("object", dict), ("array", list), ("string", str), ("integer", int)):
        if isinstance(value, py):
            return _TYPE_NAMES[t]
    if value is None:
        return _TYPE_NAMES["null"]
    return _TYPE_NAMES["number"]
