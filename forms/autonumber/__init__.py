"""The autonumber field type: "QT-{YYYY}{MM}-{seq:4}" numbers the engine gives each new record.

A part of the form engine (see forms/engine.py): the field type, the counter table and the pipeline
handler that fills the numbers in. The pattern language is in ``pattern``, the counters in
``counter``, the handler in ``allocation``.
"""
from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from engine.fieldtypes import TEXT_OPS, FieldType, FieldTypeRegistry, FieldValueError
from rules.expr import types as T

from . import counter
from .allocation import TYPE_NAME, allocate_numbers, platform_timezone
from .pattern import MAX_SEQ_DIGITS, RESETS, problems

COLUMN_LENGTH = 255  # a pattern of at most 100 characters and an 18-digit sequence fit
MAX_PATTERN_LENGTH = 100


def _parse(f, v):
    # computed fields are refused as API input before parsing; this reads stored and imported text
    if v is None or v == "":
        return None
    if not isinstance(v, str):
        raise FieldValueError("应为文本", "must be text")
    if len(v) > COLUMN_LENGTH:
        raise FieldValueError(f"不能超过 {COLUMN_LENGTH} 个字符", f"must be at most {COLUMN_LENGTH} characters")
    return v


def _field_type() -> FieldType:
    return FieldType(
        name=TYPE_NAME,
        options_schema={
            "pattern": {"description": "Literal text around {YYYY} {YY} {MM} {DD} and one {seq:N} "
                                       "(zero-padded to N digits), e.g. \"QT-{YYYY}{MM}-{seq:4}\".",
                        "type": "string", "minLength": 1, "maxLength": MAX_PATTERN_LENGTH},
            "reset": {"description": "When the sequence restarts; by default the smallest period the "
                                     "pattern shows (never when it shows no date).",
                      "enum": list(RESETS)},
            "start": {"description": "The first number of each period (default 1).",
                      "type": "integer", "minimum": 0, "maximum": 10 ** MAX_SEQ_DIGITS - 1},
            "timezone": {"description": "The IANA zone whose date the pattern shows; by default the "
                                        "platform's (JIMU_TIMEZONE, else Asia/Shanghai).",
                         "type": "string", "minLength": 1},
        },
        required_options=("pattern",),
        column=lambda f: sa.String(COLUMN_LENGTH),
        parse=_parse,
        dump=lambda f, v: v,
        expr_type=lambda f: T.TEXT,
        filter_ops=TEXT_OPS,
        text_search=True,
        computed=True,
        check_definition=lambda fd: list(problems(fd)),
        label={"zh": "自动编号", "en": "Auto number"},
    )


def add_field_types(registry: FieldTypeRegistry) -> None:
    registry.register(_field_type())


def add_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    return counter.add_tables(metadata)


def app_data_tables():
    """``jimu export --with-data``: the counters go with the records, so the next number follows on."""
    from engine.lifecycle.data_tables import DataTable

    return [DataTable("jimu_counter")]


def check_app(app, field_types) -> list:
    """An autonumber numbers records: in a sub-table's rows nothing would give it a number."""
    out = []
    for ent in app.entities.values():
        for i, f in enumerate(ent.fields):
            rows = f.definition.get("fields")
            for j, rd in enumerate(rows if isinstance(rows, (list, tuple)) else ()):
                if isinstance(rd, Mapping) and rd.get("type") == TYPE_NAME:
                    out.append((ent.name, ("fields", i, "fields", j, "type"),
                                "子表的行不能使用自动编号, 请放在记录上",
                                "an autonumber cannot be a field of sub-table rows; put it on the record"))
    return out


def register(runtime) -> None:
    platform_timezone(runtime.settings)
    runtime.pipeline.on("guard", allocate_numbers)
