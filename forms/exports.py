"""Exporting records to xlsx or csv, through the one read path.

The rows come from ``RecordReader.list`` page by page with the list endpoint's filter, sort and
keyword, so a row the user may not read, or a field hidden from them, is never in the file (not
even as a header). Sub-tables go to a sheet each in xlsx (keyed by the main sheet's row number and
the record's title); csv holds the main sheet only. Every export is written to the event log.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from engine.errors import ValidationFailed, msg
from engine.identity.event_log import log_event
from engine.records.read_path import MAX_PAGE_SIZE, ListQuery, RecordReader

from .export_cells import Styled, csv_text, display_cell, zone
from .io_columns import (
    PARENT_ROW,
    PARENT_TITLE,
    Col,
    col_of,
    is_subtable,
    label_in,
    layout_order,
    sheet_title,
    sub_cols,
)

FORMATS = ("xlsx", "csv")
DEFAULT_MAX_EXPORT_ROWS = 100_000
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8"}


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class ExportFile:
    content: bytes
    filename: str
    media_type: str
    rows: int


def export_records(rt, actor, app_name: str, entity_name: str, *, fmt: str, filters: dict, sort: list[str],
                   q: str | None, lang: str, filter_text: str | None = None) -> ExportFile:
    if fmt not in FORMATS:
        raise ValidationFailed("export.E001", msg("导出格式应为 xlsx 或 csv", "the format must be xlsx or csv"),
                               [{"path": "format", "message": msg(f"不支持 {fmt}", f"{fmt} is not supported")}])
    app = rt.app(app_name)
    entity = app.entity(entity_name)
    reader = RecordReader(rt, app, entity, actor)
    limit = int(rt.settings.get("export_max_rows", DEFAULT_MAX_EXPORT_ROWS))
    with rt.connect() as c:  # one connection: the pages read one after another, ids break sort ties
        records = _all_records(reader, filters, sort, q, limit, c)
        sheets = _sheets(rt, entity, reader, records, lang, zone(actor.time_zone), fmt == "xlsx", c)
    content = _xlsx(sheets) if fmt == "xlsx" else _csv(sheets[0])
    with rt.transaction() as c:
        log_event(rt, c, "export", actor=actor.user_id, target=f"entity:{app_name}.{entity_name}",
                  detail={"app": app_name, "entity": entity_name, "filter": _json_safe(filters),
                          "filter_text": filter_text, "q": q, "sort": sort, "rows": len(records),
                          "format": fmt, "lang": lang})
    stamp = rt.clock().strftime("%Y%m%d-%H%M%S")
    name = f"{label_in(entity.label, lang, entity.name)}-{stamp}.{fmt}"
    return ExportFile(content, name, MEDIA_TYPES[fmt], len(records))


def _all_records(reader: RecordReader, filters: dict, sort: list[str], q: str | None, limit: int, conn) -> list[dict]:
    out: list[dict] = []
    page = 1
    while True:
        got = reader.list(ListQuery(filters=filters, sort=sort, q=q, page=page, page_size=MAX_PAGE_SIZE), conn=conn)
        if got["total"] > limit:
            raise ValidationFailed("export.E002", msg(
                f"一次最多导出 {limit} 条，当前 {got['total']} 条，请缩小筛选范围",
                f"at most {limit} records per export ({got['total']} match); narrow the filter"))
        out.extend(got["items"])
        if not got["items"] or len(out) >= got["total"]:
            return out
        page += 1


def _visible(field_name: str, reader: RecordReader, records: list[dict]) -> bool:
    # hidden from every role of the reader: never a column; hidden on some rows only: a column,
    # blank on those rows (the read path left the value out)
    return field_name not in reader.scope.hidden or any(field_name in r for r in records)


def _sheets(rt, entity, reader, records, lang: str, tz, with_subtables: bool, conn) -> list[Sheet]:
    fields = [f for f in layout_order(entity) if _visible(f.name, reader, records)]
    cols = [col_of(f, reader.app) for f in fields if not is_subtable(f)]
    taken: set[str] = set()
    main = Sheet(sheet_title(label_in(entity.label, lang, entity.name), taken), [c.header(lang) for c in cols])
    names = _people_names(rt, conn, cols, records)
    for r in records:
        main.rows.append([_shown(c, r.get(c.name), names, lang, tz) for c in cols])
    sheets = [main]
    if not with_subtables:
        return sheets
    for f in fields:
        if not is_subtable(f):
            continue
        subs = sub_cols(rt.field_types, f, reader.app)
        rows = [(n, sub) for n, r in enumerate(records) for sub in r.get(f.name) or () if isinstance(sub, dict)]
        names = _people_names(rt, conn, subs, [sub for _, sub in rows])
        sheet = Sheet(sheet_title(label_in(f.label, lang, f.name), taken),
                      [PARENT_ROW[lang], PARENT_TITLE[lang]] + [c.header(lang) for c in subs])
        for n, sub in rows:
            sheet.rows.append([n + 2, records[n].get("title")] + [_shown(c, sub.get(c.name), names, lang, tz)
                                                                  for c in subs])
        sheets.append(sheet)
    return sheets


def _shown(col: Col, value: Any, names: dict, lang: str, tz) -> Any:
    if col.references_core and value is not None and not isinstance(value, dict):
        value = names.get(col.name, {}).get(value, f"#{value}")
    return display_cell(col, value, lang, tz)


def _people_names(rt, conn, cols: list[Col], rows: list[dict]) -> dict[str, dict[int, str]]:
    """Names of the users and departments the rows name (people fields hold ids in API form)."""
    out: dict[str, dict[int, str]] = {}
    for c in cols:
        if not c.references_core:
            continue
        ids = {v for r in rows if isinstance(v := r.get(c.name), int) and not isinstance(v, bool)}
        if ids:
            out[c.name] = _display_texts(rt, conn, c, ids)
    return out


def _display_texts(rt, conn, col: Col, ids: set[int]) -> dict[int, str]:
    try:
        from .fieldtypes import display_texts
    except ImportError:  # the people field types' helper; without it, the plain names
        t = rt.db.core[col.references_core]
        return dict(conn.execute(sa.select(t.c.id, t.c.name).where(t.c.id.in_(sorted(ids)))).all())
    return display_texts(rt, conn, col.definition, ids)


def _xlsx(sheets: list[Sheet]) -> bytes:
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for s in sheets:
        ws = wb.create_sheet(s.title)
        ws.freeze_panes = "A2"
        ws.append([_cell(ws, h, bold) for h in s.headers])
        for row in s.rows:
            ws.append([_cell(ws, v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(ws, value: Any, font: Font | None = None) -> Any:
    if isinstance(value, Styled):
        cell = WriteOnlyCell(ws, value=value.value)
        cell.number_format = value.number_format
        return cell
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # text is text: a value starting with "=" must not become a live formula
        if font is not None:
            cell.font = font
        return cell
    return value


def _csv(sheet: Sheet) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([csv_text(h) for h in sheet.headers])
    for row in sheet.rows:
        w.writerow([csv_text(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")  # the BOM tells Excel the file is UTF-8 (Chinese text)


def _json_safe(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    if isinstance(v, (str, int, bool)) or v is None:
        return v
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return str(v)  # Decimal

