"""The compiled app: immutable runtime objects made once from checked definitions.

Requests never read definition files; they use these. Physical table and column names are decided
here (ASCII names are kept; other names, Chinese ones included, get a stable hashed name) and stored
with the definitions so an upgrade can diff them.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Any, Callable, Mapping

from rules.expr import types as T

from .errors import JimuError, msg
from .fieldtypes import FieldType, FieldTypeRegistry, FieldValueError, text_problem
from .lifecycle.depends import dependencies
from .titles import title_paths

SYSTEM_COLUMNS = ("id", "created_at", "created_by", "updated_at", "updated_by", "owner", "department",
                  "version", "deleted_at")
SYSTEM_FIELD_TYPES = {"id": T.NUMBER, "owner": T.NUMBER, "created_by": T.NUMBER, "updated_by": T.NUMBER,
                      "department": T.NUMBER, "version": T.NUMBER, "created_at": T.DATETIME,
                      "updated_at": T.DATETIME}
_ASCII_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def physical_name(name: str, prefix: str) -> str:
    """A database-safe name: the name itself when it is plain ASCII, else a stable hash of it."""
    if _ASCII_NAME.match(name):
        return name
    return prefix + hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]


def content_hash(doc: Any) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class CompiledField:
    name: str
    type_name: str
    ftype: FieldType = field(repr=False)
    label: Mapping[str, str]
    definition: Mapping[str, Any] = field(repr=False)
    column_name: str
    required: bool = False
    unique: bool = False
    index: bool = False
    readonly: bool = False
    default: Any = None
    relation_to: str | None = None
    entity: str = ""  # the entity holding the field ("quote", or "quote.lines" for a sub-table row)

    def parse(self, value: Any) -> Any:
        if type(value) is str:  # any field, from any source (API, import, form state, seeds)
            bad = text_problem(value)
            if bad is not None:
                raise FieldValueError(bad["zh"], bad["en"])
        return self.ftype.parse(self.definition, value)

    def dump(self, value: Any) -> Any:
        return self.ftype.dump(self.definition, value)

    @property
    def stored(self) -> bool:
        return self.ftype.stored

    @property
    def computed(self) -> bool:
        return self.ftype.computed


@dataclass(frozen=True)
class CompiledEntity:
    app: str
    name: str
    label: Mapping[str, str]
    fields: tuple[CompiledField, ...]
    by_name: Mapping[str, CompiledField] = field(repr=False)
    title: str
    title_paths: tuple[tuple[str, ...], ...]
    searchable: tuple[tuple[str, ...], ...]
    table_name: str
    layout: Mapping[str, Any] = field(repr=False)
    indexes: tuple[Mapping[str, Any], ...] = field(repr=False)
    definition: Mapping[str, Any] = field(repr=False)
    hash: str = ""
    parsers: Mapping[str, Callable[[Any], Any]] = field(repr=False, default_factory=dict)  # name -> parse(value)

    def field(self, name: str) -> CompiledField | None:
        return self.by_name.get(name)


@dataclass(frozen=True)
class CompiledApp:
    name: str
    version: str
    label: Mapping[str, str]
    description: Mapping[str, str]
    depends: tuple[str, ...]
    entities: Mapping[str, CompiledEntity]
    roles: Mapping[str, Mapping[str, Any]]
    documents: Mapping[str, Any] = field(repr=False)  # the source definitions, as stored
    hash: str = ""

    def entity(self, name: str) -> CompiledEntity:
        e = self.entities.get(name)
        if e is None:
            raise JimuError("record.E404", msg(f"没有实体 '{name}'", f"no entity '{name}'"), status=404)
        return e

    def record_type(self, entity: str, _cache: dict | None = None) -> T.RecordType:
        """The expression-language type of a record of ``entity``; relations resolve lazily so that
        recursive shapes (a customer's owner's department...) need no infinite structure."""
        return fields_record_type(self, entity, self.entities[entity].fields, SYSTEM_FIELD_TYPES)


def fields_record_type(app: CompiledApp, name: str, fields_, base: Mapping[str, T.Type]) -> T.RecordType:
    """The expression type of a record made of ``fields_`` (an entity's, or a sub-table row's),
    relations resolved lazily through ``app``."""

    def fields() -> dict[str, T.Type]:
        out: dict[str, T.Type] = dict(base)
        for f in fields_:
            if f.relation_to:
                out[f.name] = app.record_type(f.relation_to)
            elif f.ftype.expr_type_for is not None:
                out[f.name] = f.ftype.expr_type_for(app, f)
            else:
                out[f.name] = f.ftype.expr_type(f.definition)
        return out

    labels: dict[str, str] = {}
    for f in fields_:
        for text in f.label.values():
            labels.setdefault(text, f.name)
    return T.RecordType(name, fields, labels)


def compile_app(app_doc: Mapping[str, Any], entity_docs: list[Mapping[str, Any]],
                roles_doc: Mapping[str, Any] | None, field_types: FieldTypeRegistry,
                definitions: Mapping[str, Mapping[str, Any]] | None = None) -> CompiledApp:
    """Checked definitions in, immutable runtime objects out. The checker has already reported
    problems; what fails here is a programming error, not user input."""
    app_name = app_doc["app"]
    entities: dict[str, CompiledEntity] = {}
    for doc in entity_docs:
        ent = _compile_entity(app_name, doc, field_types)
        entities[ent.name] = ent
    roles = {name: MappingProxyType(dict(r or {})) for name, r in ((roles_doc or {}).get("roles") or {}).items()}
    documents = {"app": app_doc, "entities": {d["entity"]: d for d in entity_docs}, "roles": roles_doc}
    if definitions:  # engines' kinds ({kind: {name: definition}}) count in the hash; absent, hashes stay as before
        documents["definitions"] = {k: dict(v) for k, v in sorted(definitions.items()) if v}
    return CompiledApp(
        name=app_name,
        version=str(app_doc.get("version", "0.0.0")),
        label=MappingProxyType(dict(app_doc.get("label") or {})),
        description=MappingProxyType(dict(app_doc.get("description") or {})),
        depends=tuple(d.app for d in dependencies(app_doc)),
        entities=MappingProxyType(entities),
        roles=MappingProxyType(roles),
        documents=documents,
        hash=content_hash(documents),
    )


def _compile_entity(app: str, doc: Mapping[str, Any], field_types: FieldTypeRegistry) -> CompiledEntity:
    fields = []
    for fd in doc.get("fields") or ():
        ftype = field_types.get(fd["type"])
        if ftype is None:
            raise JimuError("bundle.E044", msg(f"未知字段类型 {fd['type']}", f"unknown field type {fd['type']}"))
        fields.append(CompiledField(
            name=fd["name"],
            type_name=fd["type"],
            ftype=ftype,
            label=MappingProxyType(dict(fd.get("label") or {"zh": fd["name"], "en": fd["name"]})),
            definition=MappingProxyType(dict(fd)),
            column_name=physical_name(fd["name"], "f_"),
            required=bool(fd.get("required", False)),
            unique=bool(fd.get("unique", False)),
            index=bool(fd.get("index", False)),
            readonly=bool(fd.get("readonly", False)),
            default=fd.get("default"),
            relation_to=ftype.references_entity(fd),
            entity=doc["entity"],
        ))
    by_name = MappingProxyType({f.name: f for f in fields})
    title = doc.get("title") or ""
    tpaths = tuple(tuple(p) for p in title_paths(title))  # checked at load: it parses
    if "searchable" in doc:
        searchable = tuple(tuple(s.split(".")) for s in doc["searchable"])
    else:
        searchable = tuple(p for p in tpaths if len(p) == 1 and p[0] in by_name
                           and by_name[p[0]].ftype.text_search)
    return CompiledEntity(
        app=app,
        name=doc["entity"],
        label=MappingProxyType(dict(doc.get("label") or {})),
        fields=tuple(fields),
        by_name=by_name,
        title=title,
        title_paths=tpaths,
        searchable=searchable,
        table_name=physical_name(f"{app}__{doc['entity']}", "t_"),
        layout=MappingProxyType(dict(doc.get("layout") or {})),
        indexes=tuple(doc.get("indexes") or ()),
        definition=MappingProxyType(dict(doc)),
        hash=content_hash(doc),
        parsers=MappingProxyType({f.name: partial(f.ftype.parse, f.definition) for f in fields}),
    )
