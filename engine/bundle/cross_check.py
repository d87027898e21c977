"""What a schema cannot see: names that must be identifiers, be unique, exist, or not be reserved.

Runs over whatever parsed, including files the schema check already faulted, so one pass reports
everything; it never assumes a key has the right shape.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..compiled import SYSTEM_COLUMNS
from ..lifecycle.depends import range_problem, split
from ..titles import TitleSyntaxError, title_paths
from .documents import Document
from .errors import BundleError, PathPart, Severity, json_path, problem
from .schemas import MAX_NAME_LENGTH, FieldTypesLike
from .source import BundleSource

IDENTIFIER = re.compile(r"^[^\W\d]\w*$")
SYSTEM_FIELDS = SYSTEM_COLUMNS  # the columns the kernel adds to every entity
# system columns that point at a record of the kernel (a user or a department): a path may go through them
SYSTEM_RELATIONS = frozenset({"created_by", "updated_by", "owner", "department"})

Parts = tuple[PathPart, ...]


def is_identifier(name: Any) -> bool:
    return isinstance(name, str) and len(name) <= MAX_NAME_LENGTH and IDENTIFIER.match(name) is not None


def is_reserved_field(name: str) -> bool:
    return name in SYSTEM_FIELDS or name.startswith("_")


@dataclass
class _Entity:
    doc: Document
    data: dict[str, Any]
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # first definition of each name


@dataclass
class _Checker:
    source: BundleSource
    field_types: FieldTypesLike
    external_entities: frozenset[str]
    errors: list[BundleError] = field(default_factory=list)
    entities: dict[str, _Entity] = field(default_factory=dict)
    unreadable_entities: set[str] = field(default_factory=set)

    def add(self, code: str, doc: Document, parts: Parts, zh: str, en: str,
            severity: Severity = "error") -> None:
        self.errors.append(problem(code, doc.name, parts, doc.line_of(parts), zh, en, severity))

    def name(self, doc: Document, parts: Parts, value: Any, what_zh: str, what_en: str) -> bool:
        """Report ``value`` unless it is an identifier; a non-string is the schema check's to report."""
        if not isinstance(value, str) or is_identifier(value):
            return isinstance(value, str)
        if len(value) > MAX_NAME_LENGTH:
            self.add("bundle.E040", doc, parts, f"{what_zh}名称超过 {MAX_NAME_LENGTH} 个字符",
                     f"the {what_en} name is longer than {MAX_NAME_LENGTH} characters")
        else:
            self.add("bundle.E040", doc, parts,
                     f"{what_zh}名称 {value!r} 无效: 只能包含字母 (任何文字)、数字和 _, 且不能以数字开头",
                     f"the {what_en} name {value!r} is not valid: use letters (any script), digits and _, "
                     "not starting with a digit")
        return False

    # --- the files ------------------------------------------------------------------------------
    def run(self) -> list[BundleError]:
        for doc in self.source.documents:
            if doc.kind == "entity" and not doc.parsed:
                self.unreadable_entities.update(_guess_entity_names(doc.text))
        self.check_app()
        self.check_roles()
        # a second entity of the same name, or one without a valid name, is still checked on its own
        every = [self.register_entity(doc, doc.data) for doc in self.source.documents
                 if doc.kind == "entity" and isinstance(doc.data, dict)]
        for ent in every:
            self.check_entity(ent)
        return self.errors

    def check_app(self) -> None:
        doc = self.source.app_document
        if doc is None or not isinstance(doc.data, dict):
            return
        me = doc.data.get("app")
        self.name(doc, ("app",), me, "应用", "app")
        depends = doc.data.get("depends")
        for i, entry in enumerate(depends if isinstance(depends, list) else []):
            dep, rng, parts, range_parts = split(entry, i)  # {app, version} or "crm>=1.2,<2"
            bad_range = range_problem(rng)
            if bad_range:
                self.add("bundle.E055", doc, range_parts, *bad_range)
            if not self.name(doc, parts, dep, "依赖的应用", "dependency's app"):
                continue
            if dep == me:
                self.add("bundle.E053", doc, parts, f"应用 {me} 不能依赖自己",
                         f"the app {me} cannot depend on itself")

    def check_roles(self) -> None:
        doc = self.source.roles_document
        roles = doc.data.get("roles") if doc and isinstance(doc.data, dict) else None
        if not isinstance(roles, dict):
            return
        for role in roles:
            self.name(doc, ("roles", role), role, "角色", "role")

    def register_entity(self, doc: Document, data: dict[str, Any]) -> _Entity:
        ent = _Entity(doc, data)
        fields = data.get("fields")
        for fd in fields if isinstance(fields, list) else []:
            if isinstance(fd, dict) and isinstance(fd.get("name"), str):
                ent.fields.setdefault(fd["name"], fd)
        name = data.get("entity")
        if self.name(doc, ("entity",), name, "实体", "entity"):
            first = self.entities.get(name)
            if first is None:
                self.entities[name] = ent
            else:
                self.add("bundle.E042", doc, ("entity",), f"实体 {name} 已在 {first.doc.name} 中定义",
                         f"the entity {name} is already defined in {first.doc.name}")
        return ent

    # --- one entity -----------------------------------------------------------------------------
    def check_entity(self, ent: _Entity) -> None:
        self.check_fields(ent.doc, ent.data.get("fields"), ("fields",))
        title = ent.data.get("title")
        if isinstance(title, str):
            try:
                paths = title_paths(title)
            except TitleSyntaxError as e:
                self.add("bundle.E048", ent.doc, ("title",), f"标题模板格式错误: {e}",
                         f"the title template is malformed: {e}")
                paths = []
            for path in paths:
                self.check_path(ent, path, ("title",), "bundle.E046", "bundle.E047", "标题", "title")
        searchable = ent.data.get("searchable")
        for i, path in enumerate(searchable if isinstance(searchable, list) else []):
            if isinstance(path, str):
                self.check_path(ent, [s.strip() for s in path.split(".")], ("searchable", i),
                                "bundle.E051", "bundle.E051", "搜索字段", "searchable")
        indexes = ent.data.get("indexes")
        for i, index in enumerate(indexes if isinstance(indexes, list) else []):
            names = index.get("fields") if isinstance(index, dict) else None
            for j, fname in enumerate(names if isinstance(names, list) else []):
                if isinstance(fname, str) and not self.has_field(ent, fname):
                    parts = ("indexes", i, "fields", j)
                    self.missing_field(ent, parts, "bundle.E050", fname, "索引", "index")
        self.check_layout(ent)

    def check_fields(self, doc: Document, fields: Any, at: Parts) -> None:
        """Names, types and relations of a list of fields; a field holding its own ``fields`` list
        (a sub-table) has its names checked as a separate scope."""
        seen: dict[str, int] = {}
        for i, fd in enumerate(fields if isinstance(fields, list) else []):
            if not isinstance(fd, dict):
                continue
            here: Parts = at + (i,)
            name = fd.get("name")
            if self.name(doc, here + ("name",), name, "字段", "field"):
                if is_reserved_field(name):
                    self.add("bundle.E041", doc, here + ("name",),
                             f"字段名 {name} 是保留名 (系统字段或以 _ 开头)",
                             f"the field name {name} is reserved (a system field, or it starts with _)")
                elif name in seen:
                    first = json_path(at + (seen[name],))
                    self.add("bundle.E043", doc, here + ("name",), f"字段 {name} 重复, 首次定义于 {first}",
                             f"the field {name} is defined twice; first at {first}")
                else:
                    seen[name] = i
            self.check_type(doc, here, fd)
            if isinstance(fd.get("fields"), list):
                self.check_fields(doc, fd["fields"], here + ("fields",))

    def check_type(self, doc: Document, here: Parts, fd: dict[str, Any]) -> None:
        type_name = fd.get("type")
        if not isinstance(type_name, str):
            return
        ftype = self.field_types.get(type_name)
        if ftype is None:
            guess = difflib.get_close_matches(type_name, self.field_types.names(), n=1)
            known = ", ".join(self.field_types.names())
            hint_zh = f"是否应为 {guess[0]}?" if guess else f"可用类型: {known}"
            hint_en = f"did you mean {guess[0]}?" if guess else f"known types: {known}"
            self.add("bundle.E044", doc, here + ("type",), f"未知字段类型 {type_name}, {hint_zh}",
                     f"unknown field type {type_name}; {hint_en}")
            return
        check_definition = getattr(ftype, "check_definition", None)  # optional in FieldTypeLike
        for code, parts, zh, en in check_definition(fd) if check_definition is not None else ():
            self.add(code, doc, here + tuple(parts), zh, en)
        target = ftype.references_entity(fd)
        if not isinstance(target, str) or self.entity_known(target):
            return
        key = next((k for k, v in fd.items() if v == target and k not in ("name", "type")), None)
        guess = difflib.get_close_matches(target, list(self.entities), n=1)
        hint_zh = f", 是否应为 {guess[0]}?" if guess else ""
        hint_en = f"; did you mean {guess[0]}?" if guess else ""
        self.add("bundle.E045", doc, here + ((key,) if key else ()), f"关联的实体 {target} 不存在{hint_zh}",
                 f"the related entity {target} does not exist in this bundle{hint_en}")

    def check_path(self, ent: _Entity, path: list[str], parts: Parts, missing_code: str, hop_code: str,
                   what_zh: str, what_en: str) -> None:
        """A dotted path from ``ent`` through relation fields, as titles and search name them."""
        current: _Entity | None = ent
        for i, seg in enumerate(path):
            if current is None:
                return  # an entity outside this bundle: its fields are not ours to check
            last = i == len(path) - 1
            fd = current.fields.get(seg)
            if fd is None:
                if seg in SYSTEM_FIELDS and (last or seg in SYSTEM_RELATIONS):
                    return  # the kernel's own columns; what lies beyond a user/department is the kernel's
                if seg not in SYSTEM_FIELDS:
                    self.missing_field(current, parts, missing_code, seg, what_zh, what_en, via=ent)
                    return
            if last:
                return
            ftype = self.field_types.get(fd.get("type")) if fd and isinstance(fd.get("type"), str) else None
            target = ftype.references_entity(fd) if ftype else None
            if fd is not None and ftype is None:
                return  # unknown type: reported on the field
            if not isinstance(target, str):
                dotted = ".".join(path)
                self.add(hop_code, ent.doc, parts,
                         f"{what_zh}中的 {dotted}: {seg} 不是关联字段, 不能用 . 取其下的字段",
                         f"{what_en} path {dotted}: {seg} is not a relation field, "
                         "so it has no fields to follow")
                return
            current = self.entities.get(target)

    def check_layout(self, ent: _Entity) -> None:
        layout = ent.data.get("layout")
        if not isinstance(layout, dict):
            return
        placed: dict[str, Parts] = {}
        groups: list[tuple[Parts, Any]] = [(("layout", "sections"), layout.get("sections"))]
        tabs = layout.get("tabs")
        for t, tab in enumerate(tabs if isinstance(tabs, list) else []):
            if isinstance(tab, dict):
                groups.append((("layout", "tabs", t, "sections"), tab.get("sections")))
        for at, sections in groups:
            for s, section in enumerate(sections if isinstance(sections, list) else []):
                names = section.get("fields") if isinstance(section, dict) else None
                for j, fname in enumerate(names if isinstance(names, list) else []):
                    parts = at + (s, "fields", j)
                    if not isinstance(fname, str):
                        continue
                    if not self.has_field(ent, fname):
                        self.missing_field(ent, parts, "bundle.E049", fname, "布局", "layout")
                    elif fname in placed:
                        self.add("bundle.W003", ent.doc, parts, f"字段 {fname} 在布局中出现了两次",
                                 f"the field {fname} is placed twice in the layout", "warning")
                    else:
                        placed[fname] = parts

    # --- lookups --------------------------------------------------------------------------------
    def entity_known(self, name: str) -> bool:
        return name in self.entities or name in self.external_entities or name in self.unreadable_entities

    @staticmethod
    def has_field(ent: _Entity, name: str) -> bool:
        return name in ent.fields or name in SYSTEM_FIELDS

    def missing_field(self, ent: _Entity, parts: Parts, code: str, fname: str, what_zh: str, what_en: str,
                      via: _Entity | None = None) -> None:
        owner = ent.data.get("entity")
        guess = difflib.get_close_matches(fname, list(ent.fields), n=1)
        if guess:
            hint_zh, hint_en = f", 是否应为 {guess[0]}?", f"; did you mean {guess[0]}?"
        else:
            shown = ", ".join(list(ent.fields)[:12])
            hint_zh, hint_en = f" (它的字段: {shown})", f" (its fields: {shown})"
        self.add(code, (via or ent).doc, parts, f"{what_zh}中的字段 {fname} 在实体 {owner} 中不存在{hint_zh}",
                 f"the {what_en} names the field {fname}, which the entity {owner} does not have{hint_en}")


_ENTITY_NAME_GUESS = re.compile(r"""^\s*["']?entity["']?\s*:\s*["']?([^\s"',#}]+)""", re.MULTILINE)


def _guess_entity_names(text: str) -> set[str]:
    """The entity a file that failed to parse probably defines, so relations to it are not reported
    as missing on top of the parse error."""
    return set(_ENTITY_NAME_GUESS.findall(text))


def cross_check(source: BundleSource, field_types: FieldTypesLike,
                external_entities: Iterable[str] = ()) -> list[BundleError]:
    """Every cross-reference problem of a parsed bundle. ``external_entities`` are entities that exist
    outside the bundle (of the kernel or of apps it depends on) and may be related to."""
    return _Checker(source, field_types, frozenset(external_entities)).run()
