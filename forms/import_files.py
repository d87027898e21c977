"""Reading an uploaded spreadsheet (xlsx or csv) into sheets of rows, within limits.

A file that is not what it claims, or is damaged, is a clear 422, never a 500. Rows keep their
spreadsheet row number (the header is row 1) so every problem can point at the row a person sees.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from engine.errors import JimuError, ValidationFailed, msg

from .export_cells import FORMULA_START

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 20_000
MAX_UNZIPPED_RATIO = 40  # an xlsx that inflates far beyond its size is a zip bomb, not a spreadsheet
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass
class RawSheet:
    title: str
    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (row number, cells)


@dataclass
class Upload:
    fmt: str  # xlsx or csv
    sheets: list[RawSheet]

    @property
    def main(self) -> RawSheet:
        return self.sheets[0]


def malformed(zh: str, en: str) -> ValidationFailed:
    return ValidationFailed("import.E002", msg(f"无法读取文件: {zh}", f"the file cannot be read: {en}"),
                            [{"path": "file", "message": msg(zh, en)}])


def too_large(max_bytes: int) -> JimuError:
    mb = max_bytes / 1024 / 1024
    return JimuError("import.E003", msg(f"文件过大 (最大 {mb:g} MB)", f"the file is too large (at most {mb:g} MB)"),
                     [{"path": "file", "message": msg("文件过大", "too large")}], status=413)


def read_upload(content: bytes, filename: str | None, max_rows: int) -> Upload:
    name = (filename or "").lower()
    if content[:4] == _XLS_MAGIC or name.endswith(".xls"):
        raise malformed("不支持旧版 .xls 文件，请另存为 .xlsx 或 .csv",
                        "old .xls files are not supported; save it as .xlsx or .csv")
    if content[:4] == b"PK\x03\x04":
        return Upload("xlsx", _xlsx(content, max_rows))
    if name.endswith(".xlsx"):
        raise malformed("不是有效的 xlsx 文件", "this is not a valid xlsx file")
    return Upload("csv", [_csv(content, max_rows)])


def _too_many(max_rows: int) -> ValidationFailed:
    return ValidationFailed("import.E004", msg(f"一次最多导入 {max_rows} 行，请拆分文件",
                                               f"at most {max_rows} rows per import; split the file"),
                            [{"path": "file", "message": msg("行数过多", "too many rows")}])


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _sheet(title: str, rows, max_rows: int) -> RawSheet:
    it = iter(rows)
    header = next(it, None)
    if header is None or all(_blank(v) for v in header):
        raise ValidationFailed("import.E005", msg(f"工作表 {title} 第 1 行应为表头",
                                                  f"row 1 of {title} must be the header"),
                               [{"path": "file", "message": msg("缺少表头", "no header row")}])
    headers = ["" if v is None else str(v) for v in header]
    while headers and not headers[-1].strip():
        headers.pop()
    sheet = RawSheet(title, headers)
    for n, cells in enumerate(it, start=2):
        cells = list(cells[: len(headers)])
        if all(_blank(v) for v in cells):
            continue
        if len(sheet.rows) >= max_rows:
            raise _too_many(max_rows)
        sheet.rows.append((n, cells + [None] * (len(headers) - len(cells))))
    return sheet


def _xlsx(content: bytes, max_rows: int) -> list[RawSheet]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            inflated = sum(i.file_size for i in z.infolist())
        if inflated > MAX_UNZIPPED_RATIO * max(len(content), 1024 * 1024):
            raise malformed("解压后过大", "it inflates to an unreasonable size")
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except ValidationFailed:
        raise
    except Exception:  # noqa: BLE001 - zip, XML and openpyxl errors alike mean a damaged file
        raise malformed("不是有效的 xlsx 文件", "this is not a valid xlsx file") from None
    try:
        sheets = []
        for i, ws in enumerate(wb.worksheets):
            # the main sheet holds the records; others (sub-tables) may hold several rows each
            limit = max_rows if i == 0 else max_rows * 10
            try:
                sheets.append(_sheet(ws.title, ws.iter_rows(values_only=True), limit))
            except ValidationFailed as e:
                if i == 0 or e.code == "import.E004":
                    raise
        return sheets
    except ValidationFailed:
        raise
    except Exception:  # noqa: BLE001
        raise malformed("工作表内容损坏", "a worksheet is damaged") from None
    finally:
        wb.close()


def _decode(content: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):  # Excel on a Chinese Windows saves csv as GBK
        try:
            text = content.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise malformed("不是 UTF-8 或 GBK 编码的文本", "it is not UTF-8 or GBK text")


def _csv(content: bytes, max_rows: int) -> RawSheet:
    text = _decode(content)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        rows = [[_unquote(c) for c in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as e:
        raise malformed(f"CSV 格式错误 ({e})", f"malformed CSV ({e})") from None
    return _sheet("csv", rows, max_rows)


def _unquote(cell: str) -> str:
    # the export writes text Excel would take for a formula with a leading apostrophe
    if cell[:1] == "'" and cell[1:2] in FORMULA_START and cell[1:2]:
        return cell[1:]
    return cell
