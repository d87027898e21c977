"""Importing records from xlsx or csv: a dry run that reports every problem, or all rows at once.

Both run the real write pipeline (``RecordService.create_many``) in one transaction, so the report
holds what a save would refuse (required, unique, relations, validation rules) beside what the cells
themselves get wrong; its error paths ("[i].field") are mapped back to rows and columns. A dry run,
and an import with any problem, roll back, and the after-commit work queued on the connection is
dropped with them: nothing of it escapes. Otherwise the rows are committed together.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed, msg
from engine.fieldtypes import FieldValueError
from engine.identity.probes import write_pending
from engine.records.service import RecordService
from engine.storage.database import WRITE_OPTION

from .export_cells import zone
from .import_cells import cell_text, parse_cell
from .import_files import DEFAULT_MAX_ROWS, Upload, read_upload
from .import_match import find_records, match_field, no_match_column, stored_key
from .import_refs import resolve_people, resolve_records
from .import_sheets import MappedSheet, Mapping, Problem, map_upload
from .io_grants import require_import, writable_on_create

_ROW_PATH = re.compile(r"^\[(\d+)\]\.?(.*)$", re.S)
_FIELD_PATH = re.compile(r"^([^.\[]+)(?:\[(\d+)\]|\.(\d+))?\.?(.*)$", re.S)
AFTER_COMMIT_KEY = "jimu_after_commit"


class ImportRefused(ValidationFailed):
    """422 with the whole report: the import found problems and wrote nothing."""

    def __init__(self, report: dict) -> None:
        n = report["counts"]["problem_rows"]
        super().__init__("import.E422", msg(f"导入未完成: {n} 行有问题, 没有导入任何记录",
                                            f"nothing was imported: {n} row(s) have problems"), report["problems"])
        self.report = report

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "report": self.report}


def import_file(rt, actor, app_name: str, entity_name: str, content: bytes, filename: str | None,
                dry_run: bool = True, match: str | None = None) -> dict:
    """``match``: a unique field (or ``id``); a row whose value names a record the importer may
    read updates it, any other row creates."""
    require_import(rt, app_name, entity_name, actor)
    app = rt.app(app_name)
    match = match_field(rt, app, app.entity(entity_name), actor, match)  # 422 before reading the file
    upload = read_upload(content, filename, int(rt.settings.get("import_max_rows", DEFAULT_MAX_ROWS)))
    return Importer(rt, actor, app_name, entity_name, upload, match).run(dry_run)


class Importer:
    def __init__(self, rt, actor, app_name: str, entity_name: str, upload: Upload, match: str | None = None) -> None:
        self.rt, self.actor, self.upload = rt, actor, upload
        self.app = rt.app(app_name)
        self.entity = self.app.entity(entity_name)
        self.tz = zone(actor.time_zone)
        self.mapping: Mapping = map_upload(rt, self.entity, upload,
                                           writable_on_create(rt, app_name, entity_name, actor),
                                           id_column=match == "id")
        self.match = match
        self.match_index: int | None = None  # the main sheet's cell holding the match value
        if match is not None:
            self.match_index = self.mapping.main.id_index if match == "id" else self.mapping.main.header_of(match)[1]
            if self.match_index is None:
                raise no_match_column(match)
        self.updates: dict[int, int] = {}  # record index -> the id of the record it updates
        self.skipped: set[int] = set()  # record indexes left out: a second row matching one record
        self.problems: list[Problem] = list(self.mapping.problems)
        self.failed: set[tuple[str | None, int, str]] = set()  # (sheet, row, field) a cell already reported
        self.refs: dict[tuple[str | None, str], dict] = {}
        self.parent_of: dict[tuple[str, int], int] = {}  # (sub-table sheet, row) -> the main sheet's row

    def run(self, dry_run: bool) -> dict:
        main = self.mapping.main
        if not main.sheet.rows:
            raise ValidationFailed("import.E006", msg("文件中没有数据行", "the file has no data rows"),
                                   [{"path": "file", "message": msg("只有表头", "a header and nothing else")}])
        committed, ids = False, []
        with self.rt.db.engine.connect() as c:
            c.execution_options(**{WRITE_OPTION: True})
            tx = c.begin()
            try:
                rows, numbers, sub_rows = self._records(c)
                ids = self._save(c, rows, numbers, sub_rows)
                if dry_run or self.problems:
                    tx.rollback()
                else:
                    tx.commit()
                    committed = True
            except BaseException:
                tx.rollback()
                raise
            finally:
                # after-commit work of a rolled-back write must not run later on this pooled connection
                pending = c.info.pop(AFTER_COMMIT_KEY, [])
                write_pending(self.rt, c)  # the unique probes it spent count, dry run or not
        if committed:
            for batch in pending:
                batch.conn = None
                self.rt.pipeline.run("after_commit", batch)
        report = self._report(dry_run, len(main.sheet.rows), len(ids) if committed else 0)
        report["counts"]["create"] = len(main.sheet.rows) - len(self.updates) - len(self.skipped)
        report["counts"]["update"] = len(self.updates)
        if self.match is not None:
            report["match"] = self.match
        if self.problems and not dry_run:
            raise ImportRefused(report)
        if committed:
            report["ids"] = ids
        return report

    # --- cells -> records --------------------------------------------------------------------------------
    def _records(self, conn) -> tuple[list[dict], list[int], dict]:
        self._resolve(conn, self.mapping.main)
        rows, numbers = [], []
        self._match(conn)
        for i, (n, cells) in enumerate(self.mapping.main.sheet.rows):
            rows.append(self._row(self.mapping.main, n, cells, blanks=i in self.updates))
            numbers.append(n)
        index = {n: i for i, n in enumerate(numbers)}
        sub_rows: dict[tuple[int, str], list[int]] = defaultdict(list)  # (record index, field) -> sheet rows
        for sub in self.mapping.subs:
            if sub.parent_index is None:
                continue  # reported at its header: without it no row can find its record
            self._resolve(conn, sub)
            for n, cells in sub.sheet.rows:
                parent = cell_text(cells[sub.parent_index], None, self.tz)
                i = index.get(int(parent)) if parent and parent.isdigit() else None
                if i is None:
                    self.problems.append(Problem(n, sub.sheet.headers[sub.parent_index], None, msg(
                        f"主表没有第 {parent or ''} 行", f"the main sheet has no row {parent or ''}"),
                        sub.sheet.title, sub.parent_index, parent))
                    continue
                rows[i].setdefault(sub.subtable, []).append(self._row(sub, n, cells))
                self.parent_of[(sub.sheet.title, n)] = numbers[i]
                sub_rows[(i, sub.subtable)].append(n)
            for i in self.updates:  # a sheet of this sub-table replaces a matched record's rows
                rows[i].setdefault(sub.subtable, [])
        return rows, numbers, sub_rows

    def _match(self, conn) -> None:
        """Which rows update which records: the match cell's value among the readable records."""
        if self.match is None:
            return
        main, k = self.mapping.main, self.match_index
        col = None if self.match == "id" else next(c for i, c in main.cols if i == k)
        keys = {}
        for i, (_, cells) in enumerate(main.sheet.rows):
            text = cell_text(cells[k], col, self.tz)
            if text is not None:
                keys[i] = stored_key(self.entity, self.match, col, text)
        found = find_records(self.rt, self.app, self.entity, self.actor, conn, self.match, set(keys.values()))
        first: dict[int, int] = {}  # record id -> the row that matched it first
        for i, key in keys.items():
            rid = found.get(key)
            if rid is None:
                continue
            n = main.sheet.rows[i][0]
            if rid in first:
                self.skipped.add(i)
                self.problems.append(Problem(n, main.sheet.headers[k], None if col is None else col.name, msg(
                    f"与第 {first[rid]} 行匹配同一条记录", f"matches the same record as row {first[rid]}"),
                    None, k, cell_text(main.sheet.rows[i][1][k], col, self.tz)))
                continue
            first[rid] = n
            self.updates[i] = rid

    def _resolve(self, conn, mapped: MappedSheet) -> None:
        for i, col in mapped.cols:
            if not (col.relation_to or col.references_core):
                continue
            texts = {t for _, cells in mapped.sheet.rows if (t := cell_text(cells[i], col, self.tz))}
            if col.relation_to:
                found = resolve_records(self.rt, self.app, self.app.entity(col.relation_to), self.actor, conn, texts,
                                        col.definition)
            else:
                found = resolve_people(self.rt, conn, col, texts)
            self.refs[(mapped.subtable, col.name)] = found

    def _row(self, mapped: MappedSheet, n: int, cells: list, blanks: bool = False) -> dict:
        """``blanks``: a blank cell clears its field (a row that updates a record), rather than
        being left out for the field's default (a row that creates one)."""
        data: dict[str, Any] = {}
        sheet = mapped.sheet.title if mapped.subtable else None
        for i, col in mapped.cols:
            text = cell_text(cells[i], col, self.tz)
            if text is None:
                if blanks:
                    data[col.name] = None
                continue
            try:
                if col.relation_to or col.references_core:
                    found = self.refs[(mapped.subtable, col.name)][text]
                    if isinstance(found, dict):
                        raise FieldValueError(found["zh"], found["en"])
                    data[col.name] = found
                else:
                    data[col.name] = parse_cell(col, text, self.tz)
            except FieldValueError as e:
                self.problems.append(Problem(n, mapped.sheet.headers[i], col.name, e.message, sheet, i, text))
                self.failed.add((sheet, n, col.name))
        return data

    # --- the pipeline ------------------------------------------------------------------------------------
    def _save(self, conn, rows: list[dict], numbers: list[int], sub_rows: dict) -> list[int]:
        svc = RecordService(self.rt, self.app.name, self.entity.name, self.actor)
        updated = self._update(svc, conn, rows, numbers, sub_rows)
        creates = [i for i in range(len(rows)) if i not in self.updates and i not in self.skipped]
        try:
            created = dict(zip(creates, svc.create_many([rows[i] for i in creates], conn=conn) if creates else []))
            return [updated.get(i) or created[i] for i in sorted({**updated, **created})]  # the file's order
        except ValidationFailed as e:
            details = e.details
        except Forbidden as e:
            if not e.details or not all(_ROW_PATH.match(str(d.get("path", ""))) for d in e.details):
                raise
            details = e.details
        for d in details:  # paths index the created rows: back to the file's rows
            m = _ROW_PATH.match(str(d.get("path", "")))
            path = f"[{creates[int(m.group(1))]}].{m.group(2)}" if m and int(m.group(1)) < len(creates) else ""
            self._pipeline_problem(path, d.get("message") or {}, numbers, sub_rows)
        if not self.problems:  # a refusal with no row to point at is still a refusal
            self.problems.append(Problem(None, None, None, msg("记录未通过校验",
                                                               "the records did not pass validation")))
        return []

    def _update(self, svc, conn, rows: list[dict], numbers: list[int], sub_rows: dict) -> dict[int, int]:
        """The matched rows through the update pipeline (PATCH's: update scope, field grants, checks),
        as one batch; a refusal is a problem of its row, and the import goes on to find the others."""
        order = list(self.updates)
        if not order:
            return {}
        savepoint = conn.begin_nested()
        try:
            svc.update_many([(self.updates[i], rows[i]) for i in order], conn=conn)
            savepoint.commit()
            return dict(self.updates)
        except ValidationFailed as e:
            savepoint.rollback()
            for d in e.details:  # "[k].field": k indexes the matched rows
                m = _ROW_PATH.match(str(d.get("path", "")))
                path = f"[{order[int(m.group(1))]}].{m.group(2)}" if m and int(m.group(1)) < len(order) else ""
                self._pipeline_problem(path, d.get("message") or {}, numbers, sub_rows)
            return {}
        except (Forbidden, NotFound, Conflict):
            savepoint.rollback()  # a refusal of one record stops the batch: each alone says which
        done: dict[int, int] = {}  # record index -> id
        for i in order:
            try:
                svc.update(self.updates[i], rows[i], conn=conn)
                done[i] = self.updates[i]
            except (ValidationFailed, Forbidden, NotFound, Conflict) as e:
                paths = [d for d in e.details if str(d.get("path", ""))]
                for d in paths:
                    self._pipeline_problem(f"[{i}].{d['path']}", d.get("message") or {}, numbers, sub_rows)
                if not paths:  # the record itself: no update right on it (or it went away)
                    header = self.mapping.main.sheet.headers[self.match_index]
                    self.problems.append(Problem(numbers[i], header, None if self.match == "id" else self.match,
                                                 e.message, None, self.match_index))
        return done

    def _pipeline_problem(self, path: str, message: dict, numbers: list[int], sub_rows: dict) -> None:
        m = _ROW_PATH.match(path)
        if m is None or int(m.group(1)) >= len(numbers):
            self.problems.append(Problem(None, None, None, message))
            return
        i, rest = int(m.group(1)), m.group(2)
        fm = _FIELD_PATH.match(rest)
        name = fm.group(1) if fm else None
        j = fm.group(2) or fm.group(3) if fm else None
        positions = sub_rows.get((i, name), [])
        if name is not None and j is not None and int(j) < len(positions):
            sub = next(s for s in self.mapping.subs if s.subtable == name)
            sub_field = re.split(r"[.\[]", fm.group(4))[0] or None
            header, index = sub.header_of(sub_field) if sub_field else (None, None)
            row, sheet, fname = positions[int(j)], sub.sheet.title, sub_field
        else:
            header, index = self.mapping.main.header_of(name) if name else (None, None)
            row, sheet, fname = numbers[i], None, name
        if fname is not None and (sheet, row, fname) in self.failed:
            return  # the cell's own problem is already reported (its value was left out)
        self.problems.append(Problem(row, header, fname, message, sheet, index))

    def _report(self, dry_run: bool, n_rows: int, imported: int) -> dict:
        order = {None: 0, **{s.sheet.title: k + 1 for k, s in enumerate(self.mapping.subs)}}
        probs = sorted(self.problems, key=lambda p: (order.get(p.sheet, 99), p.row or 0,
                                                     -1 if p.col_index is None else p.col_index))
        # a record with a problem in one of its sub-table rows is a record with a problem
        bad = {p.row if p.sheet is None else self.parent_of.get((p.sheet, p.row), (p.sheet, p.row))
               for p in probs if p.row not in (None, 1)}
        bad_main = sum(1 for b in bad if isinstance(b, int))
        return {
            "dry_run": dry_run,
            "ok": not probs,
            "format": self.upload.fmt,
            "counts": {"rows": n_rows, "valid_rows": n_rows - bad_main, "problem_rows": len(bad),
                       "problems": len(probs), "imported": imported},
            "problems": [p.to_dict() for p in probs],
            "columns": [{"column": self.mapping.main.sheet.headers[i], "field": c.name}
                        for i, c in self.mapping.main.cols],
            "ignored_columns": self.mapping.ignored,
            "sheets": [{"sheet": s.sheet.title, "field": s.subtable, "rows": len(s.sheet.rows)}
                       for s in self.mapping.subs],
        }

