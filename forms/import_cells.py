"""One spreadsheet cell -> the value a record write takes (API form), per field type.

A cell arrives as text (csv) or as what openpyxl read (numbers, dates, booleans). It becomes text the
field type parses with ``FieldType.from_text``; the parsed value is dumped back to API form so the
record service parses it as it parses any API input. Two things are the spreadsheet's own: a
date-time without a zone is in the importer's time zone (as the export writes it), and a number
cell holds a binary float, whose shortest text is what the person typed.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from engine.fieldtypes import FieldValueError

from .io_columns import Col

_HAS_ZONE = re.compile(r"(?:Z|UTC|[+-]\d{2}:?\d{2})\s*$", re.IGNORECASE)


def cell_text(value: Any, col: Col | None, tz: dt.tzinfo) -> str | None:
    """The cell as text, None when blank; ``col`` (None: no field's cell) says how to read a date."""
    type_name = col.type_name if col is not None else ""
    if value is None:
        return None
    if isinstance(value, str):
        s = value.strip()
        return s or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if type_name == "datetime":
            aware = value if value.tzinfo is not None else value.replace(tzinfo=tz)
            return aware.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat() + "Z"
        if value.time() == dt.time(0) or type_name == "date":
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")
    return str(value)


def parse_cell(col: Col, text: str, tz: dt.tzinfo) -> Any:
    """Text -> API value; raises FieldValueError with the message to report."""
    try:
        stored = col.ftype.from_text(col.definition, text)
    except FieldValueError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError):
        # a type without a text parser of its own gets the text as API input; refusing it is a
        # problem of the cell, never of the import
        raise FieldValueError(f"无法识别的值: {text}", f"cannot read this value: {text}") from None
    if col.type_name == "datetime" and isinstance(stored, dt.datetime) and not _HAS_ZONE.search(text):
        # the wall-clock time the person typed is in their zone; the parser took it as UTC
        stored = stored.replace(tzinfo=tz).astimezone(dt.timezone.utc).replace(tzinfo=None)
    if stored is None:
        return None
    return col.ftype.dump(col.definition, stored)
