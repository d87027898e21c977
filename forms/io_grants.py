"""Who may export and import: the ``export`` and ``import`` grants of roles.yaml (the platform admin
bypasses them, as everywhere), and which fields an import may fill."""
from __future__ import annotations

from engine.errors import Forbidden, msg
from engine.identity.permissions import grants_for


def require_export(rt, app: str, entity: str, actor) -> None:
    if actor.bypass or any(g.export for g in grants_for(rt, app, entity, actor)):
        return
    label = rt.app(app).entity(entity).label
    raise Forbidden("export.E403", msg(f"没有导出{label.get('zh', entity)}的权限",
                                       f"you may not export {label.get('en', entity)} records"))


def require_import(rt, app: str, entity: str, actor) -> None:
    """Importing needs the ``import`` grant and the right to create records."""
    if actor.bypass:
        return
    grants = grants_for(rt, app, entity, actor)
    label = rt.app(app).entity(entity).label
    if not any(g.import_ for g in grants):
        raise Forbidden("import.E403", msg(f"没有导入{label.get('zh', entity)}的权限",
                                           f"you may not import {label.get('en', entity)} records"))
    if not any(g.create for g in grants):
        raise Forbidden("perm.E403", msg(f"没有新建{label.get('zh', entity)}的权限",
                                         f"you may not create a {label.get('en', entity)}"))


def writable_on_create(rt, app: str, entity: str, actor) -> frozenset[str] | None:
    """The fields the actor may fill in a new record (None: every field), as the write check sees it."""
    if actor.bypass:
        return None
    ent = rt.app(app).entity(entity)
    all_fields = frozenset(f.name for f in ent.fields)
    creators = [g for g in grants_for(rt, app, entity, actor) if g.create]
    return frozenset().union(*(all_fields - g.readonly - g.hidden for g in creators))
