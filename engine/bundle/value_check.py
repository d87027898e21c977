"""Constant values of a bundle, checked the way install and the first save will read them: every
field's ``default`` parsed by its own field type, and the seed files (seed/*.yaml) — the organisation's
references, each record's fields against its entity, each value parsed by its field type, ``@key``
references to earlier records of the right entity, logins and department codes that the seed
organisation defines. A non-demo file may not lean on a demo file: install without ``--demo`` skips it.
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import networkx as nx

from ..compiled import SYSTEM_COLUMNS, CompiledApp
from ..fieldtypes import FieldValueError
from ..seed import Parts, SeedRow, at, is_demo, is_ref, load_order, seed_rows
from .documents import Document
from .errors import BundleError
from .schemas import FieldTypesLike
from .source import BundleSource


def value_problems(source: BundleSource, app: CompiledApp, field_types: FieldTypesLike) -> list[BundleError]:
    out = _default_problems(source, field_types)
    out += _Seeds(app, field_types, [d for d in source.seeds if isinstance(d.data, dict)]).run()
    return out


# --- defaults ----------------------------------------------------------------------------------------
def _default_problems(source: BundleSource, field_types) -> list[BundleError]:
    out = []
    for doc in source.documents:
        if doc.kind == "entity" and isinstance(doc.data, dict):
            out += _defaults(doc, field_types, doc.data.get("fields") or (), ("fields",))
    return out


def _defaults(doc: Document, field_types, field_defs, at_parts: Parts) -> list[BundleError]:
    out = []
    for i, fd in enumerate(field_defs):
        ftype = field_types.get(fd.get("type"))
        if ftype is None:
            continue
        if fd.get("default") is not None:
            why = _refusal(ftype, fd, fd["default"])
            if why is not None:
                out.append(at(doc, at_parts + (i, "default"), "bundle.E061", f"默认值 {fd['default']!r} 无效: {why[0]}",
                              f"the default {fd['default']!r} is not valid: {why[1]}"))
        if isinstance(fd.get("fields"), list):
            out += _defaults(doc, field_types, fd["fields"], at_parts + (i, "fields"))
    return out


def _refusal(ftype, fd: Mapping[str, Any], value: Any) -> tuple[str, str] | None:
    """Why the field type refuses ``value`` (zh, en), or None when it parses."""
    if ftype.computed:
        return "这个字段由系统计算，不可填写", "this field is computed and cannot be written"
    try:
        ftype.parse(fd, value)
    except FieldValueError as e:
        return e.message["zh"], e.message["en"]
    except (TypeError, ValueError, AttributeError, KeyError):  # a shape the type's parser does not expect
        return f"{ftype.name} 字段不接受这个值", f"a {ftype.name} field does not take this value"
    return None


# --- seed files ----------------------------------------------------------------------------------------
class _Seeds:
    def __init__(self, app: CompiledApp, field_types, docs: list[Document]) -> None:
        self.app, self.field_types, self.docs = app, field_types, docs
        self.found: list[BundleError] = []
        self.depts: dict[str, bool] = {}  # code -> defined in a demo file
        self.users: dict[str, bool] = {}  # login -> defined in a demo file
        self.keys: dict[str, tuple[str, bool]] = {}  # _key -> (entity, in a demo file)

    def add(self, doc: Document, parts: Parts, code: str, zh: str, en: str) -> None:
        self.found.append(at(doc, parts, code, zh, en))

    def run(self) -> list[BundleError]:
        self.org()
        self.records()
        return self.found

    # --- the organisation: loaded file by file, departments then users, heads at the end -------------
    def org(self) -> None:
        for doc in self.docs:
            demo = is_demo(doc)
            for i, dep in _items(doc, "departments"):
                self.department(doc, ("departments", i, "parent"), dep.get("parent"), demo)
                if isinstance(dep.get("code"), str):
                    self.depts.setdefault(dep["code"], demo)
            for _i, user in _items(doc, "users"):
                if isinstance(user.get("login"), str):
                    self.users.setdefault(user["login"], demo)
            for i, user in _items(doc, "users"):
                self.department(doc, ("users", i, "department"), user.get("department"), demo)
                self.user(doc, ("users", i, "manager"), user.get("manager"), demo)
                for j, role in enumerate(user.get("roles") or () if isinstance(user.get("roles"), list) else ()):
                    if isinstance(role, str) and role not in self.app.roles:
                        self.add(doc, ("users", i, "roles", j), "bundle.E075", f"roles.yaml 中没有角色 {role}",
                                 f"roles.yaml has no role {role}")
        for doc in self.docs:
            for i, dep in _items(doc, "departments"):
                self.user(doc, ("departments", i, "head"), dep.get("head"), is_demo(doc))

    def department(self, doc: Document, parts: Parts, code: Any, demo: bool) -> None:
        self.person(doc, parts, self.depts, code, demo, f"编码为 {code} 的部门", f"department with the code {code}")

    def user(self, doc: Document, parts: Parts, login: Any, demo: bool) -> None:
        self.person(doc, parts, self.users, login, demo, f"登录名为 {login} 的用户", f"user with the login {login}")

    def person(self, doc: Document, parts: Parts, known: dict[str, bool], key: Any, demo: bool, zh: str,
               en: str) -> None:
        if not isinstance(key, str) or _visible(known, key.strip(), demo):
            return
        if key.strip() in known:  # only a demo file has it: install without --demo would not find it
            self.add(doc, parts, "bundle.E075", f"{zh}只在演示数据文件中, 不带 --demo 安装时不存在",
                     f"the {en} is only in a demo file, so it is missing when installing without --demo")
        else:
            self.add(doc, parts, "bundle.E075", f"种子数据中 (在此之前) 没有{zh}",
                     f"no {en} in the seed data (before this point)")

    # --- records -----------------------------------------------------------------------------------------
    def records(self) -> None:
        rows, unknown = seed_rows(self.app, self.docs)
        for doc, entity in unknown:
            guess = difflib.get_close_matches(entity, list(self.app.entities), n=1)
            self.add(doc, ("records", entity), "bundle.E071", f"没有实体 {entity}{_hint(guess)[0]}",
                     f"there is no entity {entity}{_hint(guess)[1]}")
        for entity, items in rows.items():
            for r in items:
                key = r.data.get("_key")
                if key is None:
                    continue
                if not isinstance(key, str) or not key.strip():
                    self.add(r.doc, r.parts + ("_key",), "bundle.E074", "_key 应为非空文本", "_key must be text")
                elif key in self.keys:
                    self.add(r.doc, r.parts + ("_key",), "bundle.E074", f"_key {key} 重复",
                             f"the _key {key} is used twice")
                else:
                    self.keys[key] = (entity, r.demo)
        try:
            load_order(self.app, rows)
        except nx.NetworkXUnfeasible:
            first = next(iter(rows.values()))[0]
            self.add(first.doc, ("records",), "bundle.E074", "种子记录的 @引用 形成循环: 先加载的记录不能引用后加载的",
                     "the @key references of the seed records go round in a cycle: a record can only refer to "
                     "one loaded before it")
        for entity, items in rows.items():
            fields = self.app.entities[entity].definition.get("fields") or ()
            for r in items:
                self.record(r, entity, fields, r.data, (), top=True)

    def record(self, r: SeedRow, entity: str, field_defs, data: Mapping[str, Any], parts: Parts, top: bool) -> None:
        by_name = {fd.get("name"): fd for fd in field_defs}
        for fd in field_defs:  # required, and nothing else would fill it: a save refuses the record
            if (fd.get("required") is True and data.get(fd.get("name")) is None and not fd.get("visible_if")
                    and fd.get("default") is None and not fd.get("default_expr")
                    and not getattr(self.field_types.get(fd.get("type")), "computed", True)):
                label = fd.get("label") or {}
                self.add(r.doc, r.parts + parts, "bundle.E073", f"缺少必填字段 {fd['name']} ({label.get('zh', '')})",
                         f"the required field {fd['name']} ({label.get('en', '')}) is missing")
        for key, value in data.items():
            here = r.parts + parts + (key,)
            fd = by_name.get(key)
            if top and key == "_key":
                continue
            if top and key == "owner":
                if isinstance(value, str):
                    self.user(r.doc, here, value, r.demo)
                elif isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                    self.add(r.doc, here, "bundle.E073", "owner 应为用户的登录名", "owner must be a user's login")
                continue
            if fd is None:
                if key in SYSTEM_COLUMNS:
                    self.add(r.doc, here, "bundle.E072", f"系统字段 {key} 不可写",
                             f"the system field {key} cannot be written")
                else:
                    guess = difflib.get_close_matches(str(key), [n for n in by_name if isinstance(n, str)], n=1)
                    self.add(r.doc, here, "bundle.E072", f"实体 {entity} 没有字段 {key}{_hint(guess)[0]}",
                             f"the entity {entity} has no field {key}{_hint(guess)[1]}")
                continue
            self.value(r, entity, fd, value, parts + (key,))

    def value(self, r: SeedRow, entity: str, fd: Mapping[str, Any], value: Any, parts: Parts) -> None:
        here = r.parts + parts
        ftype = self.field_types.get(fd.get("type"))
        if ftype is None or value is None:
            return
        if isinstance(fd.get("fields"), list) and not ftype.computed:  # a sub-table: a list of rows
            if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
                self.add(r.doc, here, "bundle.E073", "子表应为行的列表", "a sub-table must be a list of rows")
                return
            for j, row in enumerate(value):
                self.record(r, entity, fd["fields"], row, parts + (j,), top=False)
            return
        if fd.get("type") == "relation" and is_ref(value):
            self.reference(r, entity, fd, value, here)
            return
        if ftype.references_core == "user" and isinstance(value, str):
            self.user(r.doc, here, value, r.demo)
            return
        if ftype.references_core == "department" and isinstance(value, str):
            self.department(r.doc, here, value, r.demo)
            return
        why = _refusal(ftype, fd, value)
        if why is not None:
            self.add(r.doc, here, "bundle.E073", f"值 {value!r} 无效: {why[0]}",
                     f"the value {value!r} is not valid: {why[1]}")

    def reference(self, r: SeedRow, entity: str, fd: Mapping[str, Any], ref: str, here: Parts) -> None:
        key, target = ref[1:], fd.get("to")
        hit = self.keys.get(key)
        if hit is None:
            guess = difflib.get_close_matches(key, [k for k, v in self.keys.items() if v[0] == target], n=1)
            self.add(r.doc, here, "bundle.E074", f"没有 _key 为 {key} 的记录{_hint(guess, '@')[0]}",
                     f"no record has the _key {key}{_hint(guess, '@')[1]}")
        elif hit[0] != target:
            self.add(r.doc, here, "bundle.E074", f"{ref} 是 {hit[0]} 记录, 而这个字段关联 {target}",
                     f"{ref} is a record of {hit[0]}, but this field links to {target}")
        elif target == entity:
            self.add(r.doc, here, "bundle.E074", f"种子数据中的 {entity} 记录一起加载, 不能用 @ 引用同一实体的记录",
                     f"the seed records of {entity} load together: one cannot refer to another with @")
        elif hit[1] and not r.demo:
            self.add(r.doc, here, "bundle.E074", f"{ref} 在演示数据文件中, 不带 --demo 安装时不存在",
                     f"{ref} is in a demo file, so it is missing when installing without --demo")


def _items(doc: Document, key: str):
    items = doc.data.get(key)
    return [(i, x) for i, x in enumerate(items if isinstance(items, list) else ()) if isinstance(x, dict)]


def _visible(known: dict[str, bool], key: str, demo: bool) -> bool:
    """Defined, and loaded whenever the referring file is (a demo file's items only with --demo)."""
    return key in known and (demo or not known[key])


def _hint(guess: list[str], prefix: str = "") -> tuple[str, str]:
    if not guess:
        return "", ""
    return f", 是否应为 {prefix}{guess[0]}?", f"; did you mean {prefix}{guess[0]}?"
