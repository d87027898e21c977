"""The sample engine's definition kind: ``checklist`` files in ``checklists/`` (definition_kinds hook).

A checklist names an entity and lists items, each ticking one of the entity's fields; the schema
says the shape, the cross-check that each item's field exists, the compile step makes it a tuple."""
from __future__ import annotations

from dataclasses import dataclass

from engine.kinds import KindSpec

_LABEL = {"type": "object", "required": ["zh", "en"], "additionalProperties": False,
          "properties": {"zh": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}}}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://jimu.dev/schemas/sample/checklist.schema.json",
    "title": "Checklist", "type": "object", "additionalProperties": False,
    "required": ["title", "entity", "items"],
    "properties": {
        "$schema": {"type": "string"},
        "title": _LABEL,
        "entity": {"type": "string", "minLength": 1},
        "items": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["field"], "additionalProperties": False,
            "properties": {"field": {"type": "string", "minLength": 1}, "label": _LABEL}}},
    },
}


@dataclass(frozen=True)
class Checklist:
    name: str
    entity: str
    fields: tuple[str, ...]


def _check(ctx, file, data):
    fields = ctx.field_names(data["entity"])
    if fields is None:
        yield ("entity",), f"没有实体 '{data['entity']}'", f"no entity '{data['entity']}'"
        return
    for i, item in enumerate(data["items"]):
        if item["field"] not in fields:
            yield (("items", i, "field"), f"实体 {data['entity']} 没有字段 '{item['field']}'",
                   f"entity {data['entity']} has no field '{item['field']}'")


def definition_kinds():
    return [KindSpec("checklist", "checklists", SCHEMA, check=_check,
                     compile=lambda app, name, d: Checklist(name, d["entity"], tuple(i["field"] for i in d["items"])),
                     label={"zh": "检查清单", "en": "Checklists"})]
