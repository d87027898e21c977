"""``plan_bundle(runtime, path) -> Plan``: what installing or upgrading the bundle at ``path`` would change,
item by item, and the schema changes it implies. Nothing is written.

The installed side is what ``jimu_definition`` holds (as the runtime loaded it); the bundle side is the
checked bundle. Items are compared by identity: entities and fields by name (``renamed_from`` makes a
rename, not a removal and an addition), options by value, roles by name and their grants per entity,
print templates by name, and every engine kind's definitions by name (inside them, list items by ``id``).
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

from .diff import changed_keys, changed_paths, match_named, options_diff

# the order of the groups in a plan (engines' kinds follow, by name)
KIND_ORDER = ("app", "entity", "field", "print_template", "role", "grant")


@dataclass
class PlanItem:
    kind: str  # app, entity, field, print_template, role, grant, an engine's kind; table, column (schema)
    name: str  # customer, customer.level, sales_rep.customer, quote.lines.qty
    path: str  # where in the bundle: entities/customer/fields/level
    change: str  # added, removed, changed, renamed
    details: dict[str, Any] = field(default_factory=dict)
    loses_data: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Plan:
    app: str
    action: str  # install, upgrade, unchanged
    from_version: str | None
    to_version: str
    items: list[PlanItem] = field(default_factory=list)
    schema: list[PlanItem] = field(default_factory=list)
    kept_local: list[dict[str, str]] = field(default_factory=list)  # {kind, name}: local changes kept

    @property
    def loses_data(self) -> bool:
        return any(i.loses_data for i in (*self.items, *self.schema))

    def to_dict(self) -> dict[str, Any]:
        return {"app": self.app, "action": self.action, "from_version": self.from_version,
                "to_version": self.to_version, "loses_data": self.loses_data,
                "items": [i.to_dict() for i in self.items], "schema": [i.to_dict() for i in self.schema],
                "kept_local": self.kept_local}


def plan_bundle(runtime, path: str | os.PathLike | bytes, *, overwrite_local: bool = False) -> Plan:
    """Plan installing or upgrading the bundle at ``path`` over what ``runtime``'s database holds.
    A bundle with errors raises ``BundleInvalid`` (every problem, as ``jimu check`` reports them).
    Items of definitions changed locally, which the install keeps (unless ``overwrite_local``), are
    marked ``local_change_kept`` and the schema is planned with them kept (local_changes.py)."""
    from ..bundle.checker import check_bundle
    from ..compiled import compile_app
    from .local_changes import mark_kept_local, plan_source

    src = check_bundle(path, runtime.field_types).raise_for_errors()
    kept_src, kept = plan_source(runtime, src, overwrite_local)  # as the install takes it, local changes kept
    compiled = compile_app(kept_src.app, [d for _, d in kept_src.entities], kept_src.roles, runtime.field_types,
                           kept_src.definitions)
    return mark_kept_local(runtime, plan_checked(runtime, kept_src, compiled), src, kept)


def plan_checked(runtime, src, compiled, conn=None) -> Plan:
    """The plan of a bundle already checked (``src``) and compiled: what an upgrade applies (counted in
    ``conn``, the upgrade's transaction, when given)."""
    from .schema_plan import schema_changes

    new_docs = _as_stored({"app": src.app, "entities": {d["entity"]: d for _, d in src.entities},
                           "roles": src.roles, "definitions": src.definitions})
    name = src.app["app"]
    inst = runtime.apps.get(name)
    old_docs = _as_stored(dict(inst.compiled.documents)) if inst is not None else {}
    items = definition_changes(old_docs, new_docs)
    schema = schema_changes(runtime, inst, compiled, items, conn)
    if inst is None:
        action = "install"
    else:
        action = "upgrade" if items or schema else "unchanged"
    return Plan(name, action, (old_docs.get("app") or {}).get("version"), str(src.app.get("version")),
                items, schema)


def _as_stored(docs: dict) -> dict:
    """The bundle's documents as the database would give them back (a YAML 0.13 is a Decimal until it is
    stored as JSON): otherwise an unchanged bundle would differ from itself."""
    import json

    from ..storage.database import _json_dumps

    return json.loads(_json_dumps(docs))


def definition_changes(old: dict, new: dict) -> list[PlanItem]:
    """Every item that differs between two sets of documents ({} for an app not installed)."""
    items: list[PlanItem] = []
    _manifest(old.get("app"), new["app"], items)
    _entities(old.get("entities") or {}, new.get("entities") or {}, items)
    _roles((old.get("roles") or {}).get("roles") or {}, (new.get("roles") or {}).get("roles") or {}, items)
    _kinds(old.get("definitions") or {}, new.get("definitions") or {}, items)
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    items.sort(key=lambda i: (order.get(i.kind, len(order)), i.kind))  # stable: within a kind, bundle order
    return items


def _manifest(old: dict | None, new: dict, items: list[PlanItem]) -> None:
    name = new["app"]
    if old is None:
        items.append(PlanItem("app", name, "app.yaml", "added", {"version": new.get("version")}))
        return
    keys = changed_keys(old, new)
    if keys:
        details: dict[str, Any] = {"changed": keys}
        if "version" in keys:
            details["version"] = [old.get("version"), new.get("version")]
        items.append(PlanItem("app", name, "app.yaml", "changed", details))


def _entities(old: dict[str, dict], new: dict[str, dict], items: list[PlanItem]) -> None:
    added, removed, pairs = match_named(old, new)
    for name in added:
        items.append(PlanItem("entity", name, f"entities/{name}", "added",
                              {"fields": [f.get("name") for f in new[name].get("fields") or ()]}))
        _fields(name, f"entities/{name}", [], new[name].get("fields") or [], items)
        _templates(name, [], new[name].get("print_templates") or [], items)
    for name in removed:
        items.append(PlanItem("entity", name, f"entities/{name}", "removed"))
    for was, name in pairs:
        a, b = old[was], new[name]
        keys = changed_keys(a, b, frozenset({"entity", "fields", "print_templates", "renamed_from"}))
        if was != name:
            items.append(PlanItem("entity", name, f"entities/{name}", "renamed",
                                  {"renamed_from": was, **({"changed": keys} if keys else {})}))
        elif keys:
            items.append(PlanItem("entity", name, f"entities/{name}", "changed",
                                  {"changed": keys, "from": {k: a.get(k) for k in keys},
                                   "to": {k: b.get(k) for k in keys}}))
        _fields(name, f"entities/{name}", a.get("fields") or [], b.get("fields") or [], items)
        _templates(name, a.get("print_templates") or [], b.get("print_templates") or [], items)


def _fields(owner: str, path: str, old: list, new: list, items: list[PlanItem]) -> None:
    """Fields by name; a sub-table's own fields are compared the same way (``quote.lines.qty``)."""
    a = {f["name"]: f for f in old if isinstance(f, dict)}
    b = {f["name"]: f for f in new if isinstance(f, dict)}
    added, removed, pairs = match_named(a, b)
    for n in added:
        items.append(PlanItem("field", f"{owner}.{n}", f"{path}/fields/{n}", "added",
                              {"type": b[n].get("type"), "required": bool(b[n].get("required"))}))
    for n in removed:
        items.append(PlanItem("field", f"{owner}.{n}", f"{path}/fields/{n}", "removed", {"type": a[n].get("type")}))
    for was, n in pairs:
        x, y = a[was], b[n]
        nested = x.get("type") == y.get("type") == "subtable"
        keys = changed_keys(x, y, frozenset({"name", "renamed_from"} | ({"fields"} if nested else set())))
        details: dict[str, Any] = {}
        if keys:
            details = {"changed": keys, "from": {k: x.get(k) for k in keys if k != "options"},
                       "to": {k: y.get(k) for k in keys if k != "options"}}
            if "options" in keys:
                details["options"] = options_diff(x.get("options"), y.get("options"))
        if was != n:
            items.append(PlanItem("field", f"{owner}.{n}", f"{path}/fields/{n}", "renamed",
                                  {"renamed_from": was, **details}))
        elif keys:
            items.append(PlanItem("field", f"{owner}.{n}", f"{path}/fields/{n}", "changed", details))
        if nested:
            _fields(f"{owner}.{n}", f"{path}/fields/{n}", x.get("fields") or [], y.get("fields") or [], items)


def _templates(entity: str, old: list, new: list, items: list[PlanItem]) -> None:
    a = {t["name"]: t for t in old if isinstance(t, dict)}
    b = {t["name"]: t for t in new if isinstance(t, dict)}
    for n in b:
        where = f"entities/{entity}/print_templates/{n}"
        if n not in a:
            items.append(PlanItem("print_template", f"{entity}.{n}", where, "added"))
        elif a[n] != b[n]:
            items.append(PlanItem("print_template", f"{entity}.{n}", where, "changed",
                                  {"changed": changed_keys(a[n], b[n])}))
    for n in a.keys() - b.keys():
        items.append(PlanItem("print_template", f"{entity}.{n}", f"entities/{entity}/print_templates/{n}",
                              "removed"))


def _roles(old: dict[str, dict], new: dict[str, dict], items: list[PlanItem]) -> None:
    for role in [*new, *(r for r in old if r not in new)]:
        a, b = old.get(role), new.get(role)
        where = f"roles/{role}"
        if a is None or b is None:
            items.append(PlanItem("role", role, where, "added" if a is None else "removed"))
        else:
            keys = changed_keys(a, b, frozenset({"entities"}))
            if keys:
                items.append(PlanItem("role", role, where, "changed", {"changed": keys}))
        ga, gb = (a or {}).get("entities") or {}, (b or {}).get("entities") or {}
        for ent in [*gb, *(e for e in ga if e not in gb)]:
            x, y = ga.get(ent), gb.get(ent)
            name, gwhere = f"{role}.{ent}", f"{where}/entities/{ent}"
            if x is None or y is None:
                items.append(PlanItem("grant", name, gwhere, "added" if x is None else "removed",
                                      {"grant": y if x is None else x}))
            elif x != y:
                keys = changed_keys(x, y)
                items.append(PlanItem("grant", name, gwhere, "changed",
                                      {"changed": keys, "from": {k: x.get(k) for k in keys},
                                       "to": {k: y.get(k) for k in keys}}))


def _kinds(old: dict[str, dict], new: dict[str, dict], items: list[PlanItem]) -> None:
    """Every engine kind's definitions by name; a changed one names the JSON paths that changed."""
    for kind in sorted(old.keys() | new.keys()):
        a, b = old.get(kind) or {}, new.get(kind) or {}
        for name in [*b, *(n for n in a if n not in b)]:
            where = f"{kind}/{name}"
            if name not in a or name not in b:
                items.append(PlanItem(kind, name, where, "added" if name not in a else "removed"))
            elif a[name] != b[name]:
                items.append(PlanItem(kind, name, where, "changed", {"paths": changed_paths(a[name], b[name])}))
