"""Grants from engines: access to single records for a while, beside the roles.

An engine (the process engine: an approver must read the contract their node shows) offers the
``grant_sources()`` hook, a list of ``GrantSource``. For an actor, app and entity a source answers
with ``RecordGrant``s: which records (an SQL subquery of ids, so lists, counts and searches stay in
SQL and a grant that ends — its row closed or deleted — ends at the next query) and which fields of
them the actor may read, and of those which they may write. Records that share one field list are
one ``RecordGrant``; a source answers with as many as it has field lists.

The permission policy (permissions.py) adds each as one more condition of the role union, with a
mask that hides every field the grant does not name: a granted record shows its id, the fields
named (a computed field only if every field it reads is named too), and the title only when every
field of the title is named; the system columns naming people (owner, department, created_by, updated_by) and any
field of a related entity stay hidden. Write: only ``write`` fields that are also read fields,
only on update (never create or delete). A grant only adds: what the roles show stays shown."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

# system columns a grant never shows: who owns, made and changed the record, and its department (id,
# version and the times stay: a reader needs the version to update, lists sort by the times)
GRANT_HIDDEN_SYSTEM = frozenset({"created_by", "updated_by", "owner", "department"})


@dataclass(frozen=True)
class RecordGrant:
    ids: Any  # a SELECT of one column of record ids (or a list of ids): the records granted
    read: frozenset[str]
    write: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GrantSource:
    """``grants(runtime, actor, app, entity) -> Iterable[RecordGrant]`` (app and entity by name);
    asked on every read and write of that entity by an actor without the bypass, so it should cost
    one small query at most (or none, answering with a subquery)."""
    name: str
    grants: Callable[..., Iterable[RecordGrant]]


def grant_sources() -> list[GrantSource]:
    from ..plugins import hooks

    return [s for hook in hooks("grant_sources") for s in (hook() or [])]


def engine_grants(runtime, actor, app, entity) -> list[RecordGrant]:
    """Every source's grants to ``actor`` on ``entity``, with the field lists cut to the entity's
    fields and the computed fields whose sources are not all named taken out."""
    sources = grant_sources()
    if not sources:
        return []
    names = frozenset(f.name for f in entity.fields)
    out = []
    for s in sources:
        for g in s.grants(runtime, actor, app.name, entity.name) or ():
            read = _without_derived(runtime, app, entity.name, frozenset(g.read) & names)
            if read or g.write:
                out.append(RecordGrant(g.ids, read, frozenset(g.write) & read))
    return out


def _without_derived(runtime, app, entity: str, read: frozenset[str]) -> frozenset[str]:
    from .derived_hidden import _is_hidden

    sources = _field_sources(runtime, app)
    hidden = {entity: {f.name for f in app.entity(entity).fields} - set(read)}  # other entities: all hidden
    for (ent, name), reads in sources.computed:  # sources first: one pass is enough
        if ent == entity and name.split(".", 1)[0] in read and any(_is_hidden(hidden, r) for r in reads):
            hidden[entity].add(name)
    return frozenset(n for n in read if n not in hidden[entity])


def _field_sources(runtime, app):
    inst = runtime.apps.get(app.name)
    cached = getattr(inst, "_grant_field_sources", None)
    if cached is None or cached[0] is not app:
        from ..plugins import field_sources

        cached = (app, field_sources(app, runtime.functions, runtime))
        if inst is not None:
            inst._grant_field_sources = cached
    return cached[1]
