"""Fields a user may not write, as the record form needs to know them: a role's ``readonly`` and
``hidden`` lists (roles.yaml) refuse a write of the field with a 403, so the form shows those fields
read-only instead of offering an input the server will refuse. ``create`` applies to a new record;
``update`` to records the user may change (the roles admitting a given row decide in the end; the
server still checks every write)."""
from __future__ import annotations

from typing import Any

from engine.identity.permissions import grants_for


def locked_fields(rt, app, ent, actor) -> dict[str, list[str]]:
    names = frozenset(f.name for f in ent.fields)
    if actor.bypass:
        return {"create": [], "update": []}
    grants = grants_for(rt, app.name, ent.name, actor)

    def locked(gs: list[Any]) -> list[str]:
        if not gs:
            return sorted(names)
        return sorted(names - frozenset().union(*(names - g.readonly - g.hidden for g in gs)))

    return {"create": locked([g for g in grants if g.create]),
            "update": locked([g for g in grants if g.update is not None])}
