"""Fields derived from hidden fields are hidden too.

A computed field (formula, lookup, rollup — a value an engine derives from other fields) is hidden
from a role wherever some field it reads is hidden from that role: transitively (a formula of a
formula), through relations (a lookup of ``customer.credit_limit`` is hidden from a role to which the
customer's ``credit_limit`` is hidden, or which reads no customer at all) and from other records (a
rollup of a field hidden on the records it sums). Worked out once per role when grants compile, and
added to the role's ``hidden`` list, so every read path hides the derived field exactly as it hides
the field itself: per role and per row (a field shows on a row if some role admitting the row shows
it), in titles, filters, sorts, search, history, exports, prints and the form state.

The kernel does not know which fields are computed from which: engines say so through the
``field_sources(app, functions, runtime)`` hook (engine/plugins.py), as ``FieldSources``. A field is
named ``(entity, name)``; a sub-table column as ``(entity, "lines.column")``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

FieldRef = tuple[str, str]  # (entity, field) or (entity, "subtable.column")


@dataclass(frozen=True)
class FieldSources:
    # each computed field with the fields it reads directly, in dependency order (sources first)
    computed: tuple[tuple[FieldRef, frozenset[FieldRef]], ...] = ()
    # inputs computed from other fields (a default expression): (field, what, fields it reads); their
    # values are the user's to keep, so a hidden field they read cannot be hidden: `jimu check` says so
    inputs: tuple[tuple[FieldRef, str, frozenset[FieldRef]], ...] = ()

    def __add__(self, other: "FieldSources") -> "FieldSources":
        return FieldSources(self.computed + other.computed, self.inputs + other.inputs)


def _hidden_by_role(grants: Mapping[str, Mapping[str, object]]) -> dict[str, dict[str, set[str]]]:
    """role -> entity it reads -> the names hidden from it there."""
    out: dict[str, dict[str, set[str]]] = {}
    for entity, by_role in grants.items():
        for role, g in by_role.items():
            if g.read is not None:
                out.setdefault(role, {})[entity] = set(g.hidden)
    return out


def _is_hidden(hidden: Mapping[str, set[str]], ref: FieldRef) -> bool:
    entity, name = ref
    names = hidden.get(entity)
    if names is None:
        return True  # the role reads no record of that entity: nothing of it is theirs to see
    return name in names or name.split(".", 1)[0] in names  # a hidden sub-table hides its columns


def derive_hidden(grants: dict[str, dict[str, object]], sources: FieldSources) -> None:
    """Add to each role's grants (in place) the computed fields that read a field hidden from it."""
    for role, hidden in _hidden_by_role(grants).items():
        derived: dict[str, set[str]] = {}
        for (entity, name), reads in sources.computed:  # in dependency order: one pass is enough
            if entity in hidden and not _is_hidden(hidden, (entity, name)) and any(
                    _is_hidden(hidden, r) for r in reads):
                hidden[entity].add(name)
                derived.setdefault(entity, set()).add(name)
        for entity, names in derived.items():
            g = grants[entity][role]
            grants[entity][role] = replace(g, hidden=g.hidden | names, derived=frozenset(names))


def unhonoured_hidden(grants: Mapping[str, Mapping[str, object]], sources: FieldSources) -> list[tuple[str, str, str]]:
    """(role, zh, en) for each input computed from a field hidden from a role that sees the input:
    the hidden value is copied where the role sees it."""
    out = []
    for role, hidden in sorted(_hidden_by_role(grants).items()):
        for (entity, name), what, reads in sources.inputs:
            if entity not in hidden or _is_hidden(hidden, (entity, name)):
                continue
            leaked = sorted(".".join(r) for r in reads if _is_hidden(hidden, r) and r[0] in hidden)
            if leaked:
                src = ", ".join(leaked)
                out.append((role, f"{entity}.{name} 的 {what} 读取了对角色 {role} 隐藏的字段 {src}: "
                                  "复制出的值对该角色可见",
                            f"the {what} of {entity}.{name} reads {src}, hidden from role {role}: the value it copies "
                            "shows to that role"))
    return out
