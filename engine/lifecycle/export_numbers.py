"""Stored definitions back to what their files said: exact numbers.

A bundle's non-integer numbers are Decimals (engine/bundle/documents.py) and the JSON columns store a
Decimal as its exact text (engine/storage/database.py), so a stored ``min: "0.5"`` no longer says it
was a number. The kind's JSON Schema does: wherever it requires a number and finds such text, the text
becomes the Decimal again. A field's ``default`` may be text or a number: it is a number again when
the field's type computes with numbers (number, money, percent...) and the text is a number; else it
stays text, as the running engine reads it from the database. The content hash of a definition treats
both the same (engine/compiled.py content_hash), so either way nothing a user sees changes.
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


def restore_numbers(body: Any, schema: Mapping[str, Any] | None, field_types=None) -> Any:
    """A copy of ``body`` with each number the schema requires, stored as text, a Decimal again (and,
    given ``field_types``, each numeric field's default)."""
    if schema is None:
        return body
    out = copy.deepcopy(body)
    if field_types is not None and isinstance(out, dict):
        _numeric_defaults(out.get("fields"), field_types)
    validator = Draft202012Validator(schema)
    for _ in range(8):  # a fixed point: a restored number can let a conditional branch apply
        paths = {tuple(e.absolute_path) for e in _type_errors(validator.iter_errors(out))
                 if _wants_number(e) and isinstance(e.instance, str) and _NUMBER_TEXT.match(e.instance)}
        if not paths:
            break
        for path in sorted(paths, key=repr):
            _set(out, path, Decimal(_get(out, path)))
    return out


def _numeric_defaults(fields: Any, field_types) -> None:
    from rules.expr.types import is_numeric

    for fd in fields if isinstance(fields, list) else ():
        if not isinstance(fd, dict):
            continue
        _numeric_defaults(fd.get("fields"), field_types)  # a sub-table's row fields
        value, ftype = fd.get("default"), field_types.get(fd.get("type"))
        if isinstance(value, str) and _NUMBER_TEXT.match(value) and ftype is not None:
            try:
                numeric = is_numeric(ftype.expr_type(fd))
            except Exception:  # a type whose expression type needs the app (a formula): left as it is
                numeric = False
            if numeric:
                fd["default"] = Decimal(value)


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
