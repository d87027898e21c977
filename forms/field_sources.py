"""What the form engine's computed fields read, for the permission rule on derived fields
(engine/identity/derived_hidden.py): a formula, lookup or rollup is hidden from a role wherever a
field it reads is hidden from it. The dependency graph of the form model already knows each computed
field's sources (the fields along every path it reads, the rows and fields a rollup sums); this hands
them to the kernel as ``FieldSources``. Defaults are inputs, not derived: they are listed so that
``jimu check`` can say where a default copies a hidden value.
"""
from __future__ import annotations

from engine.identity.derived_hidden import FieldRef, FieldSources

from .computed_kinds import scope_entity
from .model import AppModel, build_model, model_for


def _ref(scope: str, name: str) -> FieldRef:
    entity, _, sub = scope.partition(".")
    return (entity, f"{sub}.{name}" if sub else name)


def _node_ref(node: str) -> FieldRef:
    entity, rest = node.split(".", 1)
    return (entity, rest)


def path_refs(app, scope: str, path: tuple[str, ...]) -> list[FieldRef]:
    """The fields a path read from ``scope`` goes through: ``customer.level`` from an opportunity is
    (opportunity, customer) and (customer, level)."""
    out: list[FieldRef] = []
    cur_scope, cur = scope, scope_entity(app, scope)
    for i, name in enumerate(path):
        f = cur.field(name) if cur is not None else None
        if f is None:
            break  # a system field (owner, id...): never hidden
        out.append(_ref(cur_scope, name))
        if i == len(path) - 1:
            break
        if f.type_name == "subtable":
            cur_scope = f"{cur_scope}.{name}"
            cur = scope_entity(app, cur_scope)
        elif f.relation_to and f.relation_to in app.entities:
            cur_scope, cur = f.relation_to, app.entities[f.relation_to]
        else:
            break
    return out


def sources_of(model: AppModel) -> FieldSources:
    computed = tuple((_node_ref(node), frozenset(_node_ref(p) for p in preds)) for node, preds in model.sources)
    inputs = []
    for name, sm in model.scopes.items():
        for fname, expr in sm.defaults.items():
            reads = frozenset(r for path in expr.reads for r in path_refs(model.app, name, path))
            if reads:
                inputs.append((_ref(name, fname), "default_expr", reads))
    return FieldSources(computed, tuple(inputs))


def field_sources(app, functions, runtime=None) -> FieldSources:
    model = model_for(runtime, app) if runtime is not None else build_model(app, functions)
    return sources_of(model)
