"""Which column of an uploaded file is which field: the main sheet's headers, and the sheets of
sub-tables (found by the sub-table's label or name, keyed by the main sheet's row number).

Every header problem (an unknown column, one that fits two fields, a field written twice or one
the importer may not fill) is a problem of row 1; computed and read-only fields are ignored, so a
file exported from Jimu imports back as it is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import msg

from .import_files import RawSheet, Upload
from .import_match import ID_HEADERS
from .io_columns import (
    PARENT_ROW,
    PARENT_TITLE,
    Col,
    HeaderMatcher,
    col_of,
    is_subtable,
    normalise_header,
    sheet_title,
    sub_cols,
)


@dataclass
class Problem:
    row: int | None
    column: str | None
    field: str | None
    message: dict
    sheet: str | None = None  # a sub-table's sheet; None: the main sheet
    col_index: int | None = None
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"row": self.row, "column": self.column, "field": self.field, "message": self.message}
        if self.sheet is not None:
            d["sheet"] = self.sheet
        if self.row is not None and self.col_index is not None:
            d["cell"] = f"{_letters(self.col_index)}{self.row}"
        if self.value is not None:
            d["value"] = self.value[:200]
        return d


def _letters(index: int) -> str:
    out, n = "", index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass
class MappedSheet:
    sheet: RawSheet
    cols: list[tuple[int, Col]] = field(default_factory=list)  # (cell index, column)
    parent_index: int | None = None  # sub-table sheets: the main row number's cell
    subtable: str | None = None  # the sub-table field a sheet fills
    id_index: int | None = None  # the main sheet's record id cell, when an import matches by id

    def header_of(self, name: str) -> tuple[str | None, int | None]:
        for i, c in self.cols:
            if c.name == name:
                return self.sheet.headers[i], i
        return None, None


@dataclass
class Mapping:
    main: MappedSheet
    subs: list[MappedSheet]
    ignored: list[dict]
    problems: list[Problem]


def map_upload(rt, entity, upload: Upload, writable: frozenset[str] | None, id_column: bool = False) -> Mapping:
    problems: list[Problem] = []
    ignored: list[dict] = []
    cols = [col_of(f) for f in entity.fields if not is_subtable(f)]
    main = _map_sheet(upload.main, cols, None, writable, problems, ignored,
                      readonly={f.name for f in entity.fields if f.readonly}, id_column=id_column)
    subs = []
    for f in entity.fields:
        if not is_subtable(f) or (writable is not None and f.name not in writable):
            continue
        names = {sheet_title(f.label.get(lang) or f.name, set()).casefold() for lang in ("zh", "en")}
        names.add(f.name.casefold())
        for sheet in upload.sheets[1:]:
            if sheet.title.strip().casefold() in names:
                subs.append(_map_sheet(sheet, sub_cols(rt.field_types, f), f.name, None, problems, ignored,
                                       readonly={c.name for c in sub_cols(rt.field_types, f)
                                                 if c.definition.get("readonly")}))
                break
    return Mapping(main, subs, ignored, problems)


def _map_sheet(sheet: RawSheet, cols: list[Col], subtable: str | None, writable, problems: list[Problem],
               ignored: list[dict], readonly: set[str], id_column: bool = False) -> MappedSheet:
    where = sheet.title if subtable else None
    mapped = MappedSheet(sheet, subtable=subtable)
    matcher = HeaderMatcher(cols)
    used: set[str] = set()
    parent_names = {PARENT_ROW["zh"].casefold(), PARENT_ROW["en"].casefold()}
    title_names = {PARENT_TITLE["zh"].casefold(), PARENT_TITLE["en"].casefold()}

    def problem(i: int, raw: str, name: str | None, zh: str, en: str) -> None:
        problems.append(Problem(1, raw, name, msg(zh, en), where, i))

    for i, raw in enumerate(sheet.headers):
        h = normalise_header(raw)
        if not h:
            continue
        if subtable is not None and h.casefold() in parent_names:
            mapped.parent_index = i
            continue
        if subtable is not None and h.casefold() in title_names:
            continue
        if id_column and h.casefold() in ID_HEADERS and mapped.id_index is None:
            mapped.id_index = i  # the record to update (import upsert by id)
            continue
        col, amb = matcher.match(h)
        if amb:
            problem(i, raw, None, f"表头「{h}」对应多个字段，请填写字段名", f"the header '{h}' fits several fields; "
                    "use the field's name")
        elif col is None:
            problem(i, raw, None, f"未知的列「{h}」", f"unknown column '{h}'")
        elif col.name in used:
            problem(i, raw, col.name, f"字段 {col.name} 出现在多列", f"the field {col.name} has more than one column")
        elif col.computed or col.name in readonly:
            used.add(col.name)
            ignored.append({"column": raw, "field": col.name, "sheet": where,
                            "message": msg("系统计算或只读字段，导入时忽略", "computed or read-only: not imported")})
        elif writable is not None and col.name not in writable:
            problem(i, raw, col.name, "只读或隐藏字段, 不能写入", "read-only or hidden: cannot be written")
        else:
            used.add(col.name)
            mapped.cols.append((i, col))
    if subtable is not None and mapped.parent_index is None:
        problems.append(Problem(1, None, None, msg(f"缺少列「{PARENT_ROW['zh']}」", f"the column "
                                                   f"'{PARENT_ROW['en']}' is missing"), where))
    return mapped
