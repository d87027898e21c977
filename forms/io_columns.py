"""The columns of a spreadsheet of records, shared by imports and exports.

A column is a field of the entity (or of one of its sub-tables): its label in either language, its
type and definition. Exports order columns by the form's layout; imports find a column's field by
the header text a person typed (the label in Chinese or English, or the field's name).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from engine.compiled import CompiledEntity, CompiledField
from engine.fieldtypes import FieldType

MAX_SHEET_TITLE = 31  # Excel's limit
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
# the sub-table sheets' first two columns: which main-sheet row a sub-row belongs to
PARENT_ROW = {"zh": "主表行号", "en": "Main row"}
PARENT_TITLE = {"zh": "主记录", "en": "Record"}


@dataclass(frozen=True)
class Col:
    """A field as a spreadsheet column: a record's field or a sub-table's."""

    name: str
    label: Mapping[str, str]
    type_name: str
    ftype: FieldType
    definition: Mapping[str, Any]
    relation_to: str | None = None

    @property
    def computed(self) -> bool:
        return self.ftype.computed

    @property
    def references_core(self) -> str | None:
        return self.ftype.references_core

    def header(self, lang: str) -> str:
        return label_in(self.label, lang, self.name)


def label_in(label: Mapping[str, str], lang: str, default: str) -> str:
    other = "en" if lang == "zh" else "zh"
    return label.get(lang) or label.get(other) or default


def col_of(f: CompiledField, app=None) -> Col:
    """A field as a column; a computed field (formula, lookup, rollup) reads and shows like the
    value it holds (a percent formula as a percent), which depends on the app."""
    kinds = getattr(f.ftype, "kinds", None)
    if app is not None and kinds is not None:
        vt = kinds.value_type(app, f)
        return Col(f.name, f.label, vt.name, vt, kinds.value_def(app, f), f.relation_to)
    return Col(f.name, f.label, f.type_name, f.ftype, f.definition, f.relation_to)


def is_subtable(f: CompiledField | Col) -> bool:
    return isinstance(f.definition.get("fields"), (list, tuple))


def sub_cols(registry, f: CompiledField | Col, app=None) -> list[Col]:
    """The columns of a sub-table field, from its definition's ``fields``."""
    rows = getattr(f.ftype, "rows", None) if app is not None else None
    if rows is not None:
        return [col_of(rf, app) for rf in rows.get(app.name, f.entity, f.definition).fields]
    out = []
    for d in f.definition.get("fields") or ():
        ftype = registry.get(d.get("type"))
        if ftype is None:
            continue
        label = d.get("label") or {"zh": d["name"], "en": d["name"]}
        out.append(Col(d["name"], label, d["type"], ftype, d, ftype.references_entity(d)))
    return out


def layout_order(entity: CompiledEntity) -> list[CompiledField]:
    """The entity's fields in the form's layout order, then the fields the layout leaves out."""
    seen: list[str] = []
    for section in entity.layout.get("sections") or ():
        for name in section.get("fields") or ():
            name = name.get("name") if isinstance(name, Mapping) else name
            if name in entity.by_name and name not in seen:
                seen.append(name)
    rest = [f.name for f in entity.fields if f.name not in seen]
    return [entity.by_name[n] for n in seen + rest]


def sheet_title(text: str, taken: set[str]) -> str:
    """A valid, unused worksheet title made from ``text``."""
    base = _SHEET_BAD.sub("_", text).strip("'") or "Sheet"
    base = base[:MAX_SHEET_TITLE]
    title, n = base, 2
    while title.casefold() in taken:
        suffix = f" ({n})"
        title = base[:MAX_SHEET_TITLE - len(suffix)] + suffix
        n += 1
    taken.add(title.casefold())
    return title


def normalise_header(text: Any) -> str:
    """A header as typed: spaces trimmed, a trailing required-mark ``*`` dropped."""
    s = "" if text is None else str(text)
    return s.strip().rstrip("*＊").strip()


class HeaderMatcher:
    """Finds the column of a header: the field's name first, then its label in either language
    (case-insensitively for Latin text). A header that fits two fields is reported, not guessed."""

    def __init__(self, cols: list[Col]) -> None:
        self._by_name = {c.name: c for c in cols}
        self._by_label: dict[str, list[Col]] = {}
        for c in cols:
            for text in {c.label.get("zh"), c.label.get("en"), c.name}:
                if text:
                    bucket = self._by_label.setdefault(normalise_header(text).casefold(), [])
                    if c not in bucket:
                        bucket.append(c)

    def match(self, header: str) -> tuple[Col | None, bool]:
        """(column, ambiguous)."""
        if header in self._by_name:
            return self._by_name[header], False
        found = self._by_label.get(header.casefold(), [])
        if len(found) > 1:
            return None, True
        return (found[0] if found else None), False
