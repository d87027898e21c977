"""Stored definitions back to what their files said: exact numbers.

A bundle's non-integer numbers are Decimals (engine/bundle/documents.py) and the JSON columns store a
Decimal as its exact text (engine/storage/database.py), so a stored ``min: "0.5"`` no longer says it
was a number. The kind's JSON Schema does: wherever it requires a number and finds such text, the text
becomes the Decimal again. Where a string is allowed too (a field's ``default``), the text stays text —
that is what the running engine reads from the database as well, and the content hash of a definition
treats both the same (engine/compiled.py content_hash), so nothing a user sees changes.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

_NUMBER_TEXT = re.compile(r"^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")


def schemas_by_kind(field_types, kinds: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    from ..bundle.schemas import app_schema, entity_schema, roles_schema

    return {"app": app_schema(), "roles": roles_schema(), "entity": entity_schema(field_types),
            **{k: spec.schema_dict() for k, spec in kinds.items()}}


def restore_numbers(body: Any, schema: Mapping[str, Any] | None) -> Any:
    """A copy of ``body`` with each number the schema requires, stored as text, a Decimal again."""
    if schema is None:
        return body
    out = copy.deepcopy(body)
    validator = Draft202012Validator(schema)
    for _ in range(8):  # a fixed point: a restored number can let a conditional branch apply
        paths = {tuple(e.absolute_path) for e in _type_errors(validator.iter_errors(out))
                 if _wants_number(e) and isinstance(e.instance, str) and _NUMBER_TEXT.match(e.instance)}
        if not paths:
            break
        for path in sorted(paths, key=repr):
            _set(out, path, Decimal(_get(out, path)))
    return out


def _type_errors(errors: Iterable[ValidationError]):
    for e in errors:
        if e.validator == "type":
            yield e
        yield from _type_errors(e.context or ())


def _wants_number(e: ValidationError) -> bool:
    wanted = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
    return "number" in wanted and "string" not in wanted


def _get(doc: Any, path: tuple) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _set(doc: Any, path: tuple, value: Any) -> None:
    _get(doc, path[:-1])[path[-1]] = value
