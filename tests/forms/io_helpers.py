"""Helpers of the import/export tests: spreadsheets in and out, and uploads through the API."""
from __future__ import annotations

import csv
import io
import zipfile

import openpyxl


def xlsx_bytes(headers: list, rows: list[list], title: str = "Sheet1", extra: dict | None = None) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append(headers)
    for r in rows:
        ws.append(r)
    for name, (h, rs) in (extra or {}).items():
        s = wb.create_sheet(name)
        s.append(h)
        for r in rs:
            s.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(headers: list, rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue().encode(encoding)


def sheet_bytes(fmt: str, headers: list, rows: list[list]) -> bytes:
    if fmt == "xlsx":
        return xlsx_bytes(headers, rows)
    return csv_bytes(headers, [[str(v) if v is not None else "" for v in r] for r in rows])


def read_xlsx(content: bytes) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def xlsx_cells(content: bytes):
    """The first sheet's openpyxl cells (to look at types and formats)."""
    return list(openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].iter_rows())


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "csv exports start with a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def xlsx_xml_text(content: bytes) -> str:
    """Every part of the xlsx (worksheets, shared strings, workbook, properties) as text."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return "\n".join(z.read(name).decode("utf-8", "replace") for name in z.namelist())


def upload(client, url: str, content: bytes, filename: str, dry_run: bool | None = None):
    data = {} if dry_run is None else {"dry_run": "true" if dry_run else "false"}
    return client.post(url, files={"file": (filename, content)}, data=data)


def problems(report: dict) -> list[tuple]:
    return [(p["row"], p["column"], p["field"]) for p in report["problems"]]


def total(client, url: str, **params) -> int:
    r = client.get(url, params={"page_size": 1, **params})
    assert r.status_code == 200, r.text
    return r.json()["total"]
