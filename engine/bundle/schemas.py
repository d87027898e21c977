"""The published JSON Schemas (draft 2020-12) of the definition files, built here and written to
engine/schemas/ by ``write_published()`` (a test keeps the committed files equal to the built ones).

The entity schema depends on the field-type registry: each type adds an if/then branch that allows
exactly the common field keys plus its own. A field of a type the registry does not know gets no
branch, so the checker reports it once, as an unknown type, with a suggestion.

Names are checked here only for length: a schema ``pattern`` is an ECMA-262 regex, where ``\\w`` is
ASCII, so the Unicode identifier rule (Chinese names are valid) lives in the cross-checker.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://jimu.dev/schemas/"
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
MAX_NAME_LENGTH = 63
# semver.org's own expression, spelled with [0-9] so it means the same in every regex dialect
SEMVER_PATTERN = (r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
                  r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
                  r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
NOT_BLANK_PATTERN = r"\S"


class FieldTypeLike(Protocol):
    """What the loader needs of a field type (engine.fieldtypes.FieldType has it)."""

    name: str
    options_schema: Mapping[str, Any]  # JSON Schema properties of the type's own keys
    required_options: Any  # a sequence of key names

    def references_entity(self, field_def: Mapping[str, Any]) -> str | None: ...


class FieldTypesLike(Protocol):
    def get(self, name: str) -> FieldTypeLike | None: ...
    def names(self) -> list[str]: ...


def _common_defs() -> dict[str, Any]:
    return {
        "name": {
            "description": "An identifier: letters of any script, digits and _, not starting with a digit.",
            "type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH,
        },
        "text": {"type": "string", "minLength": 1, "pattern": NOT_BLANK_PATTERN},
        "label": {
            "description": "Text shown to people, in Chinese and English.",
            "type": "object",
            "required": ["zh", "en"],
            "properties": {"zh": {"$ref": "#/$defs/text"}, "en": {"$ref": "#/$defs/text"}},
            "additionalProperties": False,
        },
    }


def _document(name: str, title: str, description: str, body: dict[str, Any]) -> dict[str, Any]:
    props = body.pop("properties")
    defs = body.pop("$defs", {})
    return {
        "$schema": DIALECT,
        "$id": BASE_ID + name,
        "title": title,
        "description": description,
        "type": "object",
        **body,
        # "$schema" lets an editor find the schema of a JSON definition file
        "properties": {"$schema": {"type": "string"}, **props},
        "additionalProperties": False,
        "$defs": {**_common_defs(), **defs},
    }


def app_schema() -> dict[str, Any]:
    return _document("app.schema.json", "Jimu app manifest", "app.yaml: an app's name, version and labels.", {
        "required": ["app", "version", "label"],
        "properties": {
            "app": {"$ref": "#/$defs/name", "description": "The app's name."},
            "version": {"type": "string", "pattern": SEMVER_PATTERN,
                        "description": "A semantic version: 1.2.0."},
            "label": {"$ref": "#/$defs/label"},
            "description": {"$ref": "#/$defs/label"},
            "depends": {
                "description": "Apps this app needs, by name, optionally with a version range: "
                               "crm, \"crm>=1.2,<2\" or {app: crm, version: \">=1.2,<2\"}.",
                "type": "array",
                "items": {"oneOf": [
                    {"type": "string", "minLength": 1, "maxLength": 255,
                     "description": "An app's name, optionally followed by a version range: crm>=1.2,<2."},
                    {"type": "object", "required": ["app"], "additionalProperties": False,
                     "properties": {"app": {"$ref": "#/$defs/name"},
                                    "version": {"$ref": "#/$defs/text",
                                                "description": "A version range: >=1.2,<2 (comma = and)."}}},
                ]},
            },
            "user_fields": {
                "description": "Profile fields every user gets (region, sales team...): CURRENT_USER().region.",
                "type": "array",
                "items": {"type": "object", "required": ["name", "type", "label"],
                          "properties": {"name": {"$ref": "#/$defs/name"},
                                         "type": {"enum": ["text", "select", "number"]},
                                         "label": {"$ref": "#/$defs/label"}, "options": {"type": "array"}},
                          "additionalProperties": False},
            },
        },
    })


def roles_schema() -> dict[str, Any]:
    return _document("roles.schema.json", "Jimu roles", "roles.yaml: the roles an app defines, by name.", {
        "required": ["roles"],
        "properties": {
            "roles": {
                "type": "object",
                "propertyNames": {"$ref": "#/$defs/name"},
                "additionalProperties": {"$ref": "#/$defs/role"},
            },
        },
        "$defs": {
            "role": {
                "type": "object",
                "required": ["label"],
                "properties": {
                    "label": {"$ref": "#/$defs/label"},
                    "description": {"$ref": "#/$defs/label"},
                    "entities": {
                        "description": "What the role may do, per entity.",
                        "type": "object",
                        "propertyNames": {"$ref": "#/$defs/name"},
                        "additionalProperties": {"$ref": "#/$defs/grant"},
                    },
                },
                "additionalProperties": False,
            },
            "grant": {
                "type": "object",
                "properties": {
                    "create": {"type": "boolean"},
                    "read": {"$ref": "#/$defs/scope"},
                    "update": {"$ref": "#/$defs/scope"},
                    "delete": {"$ref": "#/$defs/scope"},
                    "export": {"type": "boolean"},
                    "import": {"type": "boolean"},
                    "print": {"type": "boolean"},
                    "hidden": {"type": "array", "items": {"$ref": "#/$defs/name"}},
                    "transfer": {
                        "description": "To whom a record may be given (its owner set to another user): all, "
                                       "department, department_tree, none (the default), or an expression "
                                       "over the receiving user such as \"region = CURRENT_USER().region\".",
                        "type": ["boolean", "string"], "minLength": 1},
                    "readonly": {"type": "array", "items": {"$ref": "#/$defs/name"}},
                },
                "additionalProperties": False,
            },
            "scope": {
                "description": "Which rows: all, own, department, department_tree, none, true/false, "
                               "or an expression such as \"region = CURRENT_USER().region\".",
                "type": ["boolean", "string"],
                "minLength": 1,
            },
        },
    })


COMMON_FIELD_KEYS: dict[str, Any] = {
    "name": {"$ref": "#/$defs/name"},
    "type": {"type": "string"},  # its examples are filled in from the registry
    "label": {"$ref": "#/$defs/label"},
    "required": {"type": "boolean"},
    "renamed_from": {"description": "The name this field had before: an upgrade renames it, its data follows.",
                     "$ref": "#/$defs/name"},
    "default": {"description": "A constant, or an expression as a string.",
                "type": ["string", "number", "boolean", "null"]},
    "default_expr": {"description": "A default computed by an expression: TODAY(), CURRENT_USER(), customer.owner.",
                     "$ref": "#/$defs/text"},
    "help": {"$ref": "#/$defs/label"},
    "placeholder": {"$ref": "#/$defs/label"},
    "unique": {"type": "boolean"},
    "case_insensitive": {"description": "unique ignoring letter case", "type": "boolean"},
    "index": {"type": "boolean"},
    "readonly": {"type": "boolean"},
    "visible_if": {"description": "Shown only when this expression is true; a hidden field is not required.",
                   "$ref": "#/$defs/text"},
    "hidden_value": {"description": "What a save does with this field's value while a linkage rule (visible_if) "
                                    "hides it: clear it (default) or keep it untouched. Either way a hidden "
                                    "field's required rule and validations do not fire. Default: the entity's.",
                     "enum": ["clear", "keep"]},
    "required_if": {"$ref": "#/$defs/text"},
    "readonly_if": {"$ref": "#/$defs/text"},
    "min_length": {"type": "integer", "minimum": 0},
    "pattern": {"description": "A regular expression the whole value must match.", "type": "string"},
    "pattern_message": {"$ref": "#/$defs/label"},
    "match": {
        "description": "A relation offers only the records whose field (key) equals this record's field "
                     "(value): a contact of the chosen customer.",
        "type": "object", "additionalProperties": {"$ref": "#/$defs/name"},
    },
    "transitions": {
        "description": "A state field (select): from each value, the values it may move to; \"*\" lists "
                       "those reachable from anywhere, \"initial\" those a new record may start in.",
        "type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
    "requires": {
        "description": "What entering a state requires: fields filled and conditions that must hold.",
        "type": "object",
        "additionalProperties": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "fields": {"type": "array", "items": {"$ref": "#/$defs/name"}},
                "conditions": {"type": "array", "items": {
                    "type": "object", "required": ["expr", "message"], "additionalProperties": False,
                    "properties": {"expr": {"$ref": "#/$defs/text"}, "message": {"$ref": "#/$defs/label"}}}},
            },
        },
    },
}


def entity_schema(field_types: FieldTypesLike) -> dict[str, Any]:
    """The entity schema with one branch per registered field type."""
    branches = []
    for type_name in field_types.names():
        ftype = field_types.get(type_name)
        assert ftype is not None
        branches.append({
            "if": {"properties": {"type": {"const": type_name}}, "required": ["type"]},
            "then": {
                "properties": {**{k: True for k in COMMON_FIELD_KEYS}, **_plain(ftype.options_schema)},
                "required": list(ftype.required_options),
                "additionalProperties": False,
            },
        })
    field_schema = {
        "description": "A field: common keys, plus the keys of its type.",
        "type": "object",
        "required": ["name", "type", "label"],
        "properties": {**COMMON_FIELD_KEYS,
                       "type": {"type": "string", "examples": list(field_types.names())}},
        "allOf": branches,
    }
    names = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/name"}}
    return _document("entity.schema.json", "Jimu entity", "entities/*.yaml: an entity, its fields, layout.", {
        "required": ["entity", "label", "fields"],
        "properties": {
            "entity": {"$ref": "#/$defs/name"},
            "label": {"$ref": "#/$defs/label"},
            "renamed_from": {"description": "The name this entity had before: an upgrade renames it, its data "
                                            "follows.", "$ref": "#/$defs/name"},
            "description": {"$ref": "#/$defs/label"},
            "title": {"$ref": "#/$defs/text",
                      "description": "How a record is named: field names in braces, dotted through "
                                     "relations, e.g. \"{number} {customer.name}\"."},
            "fields": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/field"}},
            "hidden_value": {"description": "What a save does with the value of a field a linkage rule (visible_if) "
                                            "hides, unless the field says otherwise: clear (default) or keep.",
                             "enum": ["clear", "keep"]},
            "indexes": {"type": "array", "items": {
                "type": "object", "required": ["fields"], "additionalProperties": False,
                "properties": {"fields": names, "unique": {"type": "boolean"}},
            }},
            "layout": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "sections": {"type": "array", "items": {"$ref": "#/$defs/section"}},
                    "tabs": {"type": "array", "items": {
                        "type": "object", "required": ["label", "sections"], "additionalProperties": False,
                        "properties": {"label": {"$ref": "#/$defs/label"},
                                       "sections": {"type": "array", "items": {"$ref": "#/$defs/section"}}},
                    }},
                },
            },
            "searchable": {"description": "Fields keyword search looks in; by default the title's fields.",
                           "type": "array", "items": {"$ref": "#/$defs/text"}},
            "validations": {"$ref": "#/$defs/validations"},
            "print_templates": {
                "description": "Documents printed from a record (HTML in a sandboxed Jinja2, rendered to PDF).",
                "type": "array",
                "items": {
                    "type": "object", "required": ["name", "label", "html"], "additionalProperties": False,
                    "properties": {
                        "name": {"$ref": "#/$defs/name"}, "label": {"$ref": "#/$defs/label"},
                        "html": {"$ref": "#/$defs/text"},
                        "page": {"type": "object", "additionalProperties": False, "properties": {
                            "size": {"enum": ["A4", "A5", "Letter"]},
                            "orientation": {"enum": ["portrait", "landscape"]},
                            "margin_mm": {"type": "number", "minimum": 0, "maximum": 50}}},
                    },
                },
            },
        },
        "$defs": {
            "field": field_schema,
            "validations": {
                "description": "Rules a record (or a sub-table row) must pass: the message shows when `when` is true.",
                "type": "array",
                "items": {"type": "object", "required": ["when", "message"], "additionalProperties": False,
                          "properties": {"when": {"$ref": "#/$defs/text"}, "message": {"$ref": "#/$defs/label"},
                                         "path": {"description": "the field the message belongs to",
                                                  "$ref": "#/$defs/text"}}},
            },
            "section": {
                "type": "object", "required": ["fields"], "additionalProperties": False,
                "properties": {"label": {"$ref": "#/$defs/label"},
                               "columns": {"type": "integer", "minimum": 1, "maximum": 4},
                               "fields": {"type": "array", "items": {"$ref": "#/$defs/name"}}},
            },
        },
    })


def seed_schema() -> dict[str, Any]:
    """seed/*.yaml: the shape only; what the records say is checked against the entities (seed_check)."""
    name = {"$ref": "#/$defs/name"}
    return _document("seed.schema.json", "Jimu seed data",
                     "seed/*.yaml: departments, users and records loaded at install.", {
        "properties": {
            "demo": {"description": "Loaded only with demo data (jimu install --demo).", "type": "boolean"},
            "password": {"description": "Every user's password in this file (demo data only).",
                         "$ref": "#/$defs/text"},
            "departments": {"type": "array", "items": {
                "type": "object", "required": ["code", "name"], "additionalProperties": False,
                "properties": {"code": {"$ref": "#/$defs/text"}, "name": {"$ref": "#/$defs/text"},
                               "parent": {"description": "the parent department's code", "$ref": "#/$defs/text"},
                               "head": {"description": "the head's login", "$ref": "#/$defs/text"}}}},
            "users": {"type": "array", "items": {
                "type": "object", "required": ["login", "name"], "additionalProperties": False,
                "properties": {
                    "login": {"$ref": "#/$defs/text"}, "name": {"$ref": "#/$defs/text"},
                    "department": {"description": "a department's code", "$ref": "#/$defs/text"},
                    "manager": {"description": "the manager's login", "$ref": "#/$defs/text"},
                    "roles": {"type": "array", "items": name},
                    "profile": {"type": "object"}, "email": {"type": "string"}, "phone": {"type": "string"},
                    "language": {"enum": ["zh", "en"]}, "time_zone": {"type": "string"},
                    "is_admin": {"type": "boolean"}, "password": {"$ref": "#/$defs/text"}}}},
            "records": {
                "description": "Records per entity, in any order; `_key` names a record, \"@key\" refers to "
                               "it, `owner` and member fields take a login, department fields a code.",
                "type": "object", "propertyNames": name,
                "additionalProperties": {"type": ["array", "null"], "items": {"type": "object"}},
            },
        },
    })


def published_schemas(field_types: FieldTypesLike, kinds=None) -> dict[str, dict[str, Any]]:
    """The kernel's schemas, and one per kind the listed engines declare (``flow.schema.json``...)."""
    if kinds is None:
        from ..kinds import declared_kinds

        kinds = declared_kinds()
    return {"app.schema.json": app_schema(), "entity.schema.json": entity_schema(field_types),
            "roles.schema.json": roles_schema(), "seed.schema.json": seed_schema(),
            **{f"{k}.schema.json": spec.schema_dict() for k, spec in kinds.items()}}


def schema_text(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_published(directory: Path = SCHEMA_DIR, field_types: FieldTypesLike | None = None) -> list[Path]:
    if field_types is None:
        from ..plugins import platform_field_types
        field_types = platform_field_types()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in published_schemas(field_types).items():
        (directory / name).write_text(schema_text(schema), encoding="utf-8")
        written.append(directory / name)
    return written


def _plain(value: Any) -> Any:
    """Registry fragments may be read-only mappings or tuples; a schema document is plain JSON."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value

