"""What the signed-in user may do, per app and entity: GET /api/v1/auth/me/access.

The web app builds its menus and buttons from it (an entity they may not read has no menu entry, no
export button without the export grant...). It only says what the server will allow anyway: every
request is still checked on its own.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ..identity.actor import Actor
from ..identity.permissions import ACTIONS, grants_for
from ..records.read_path import RecordReader
from ..runtime import Runtime
from .deps import get_actor, get_runtime
from .jsonio import JimuJSONResponse

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], default_response_class=JimuJSONResponse)


def entity_access(rt: Runtime, app, ent, actor: Actor) -> dict[str, Any]:
    if actor.bypass:
        actions = dict.fromkeys(ACTIONS, True)
    else:
        grants = grants_for(rt, app.name, ent.name, actor)
        actions = {
            "create": any(g.create for g in grants),
            "read": any(g.read is not None for g in grants),
            "update": any(g.update is not None for g in grants),
            "delete": any(g.delete is not None for g in grants),
            "export": any(g.export for g in grants),
            "import": any(g.import_ for g in grants) and any(g.create for g in grants),  # as forms.io_grants
            "print": any(g.print for g in grants),
        }
    hidden = sorted(RecordReader(rt, app, ent, actor).scope.hidden) if actions["read"] else []
    return {"name": ent.name, "label": dict(ent.label), "actions": actions, "hidden": hidden}


@router.get("/me/access", summary="What I may do, per app and entity / 我的权限")
def my_access(rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    apps = []
    for name in sorted(rt.apps):
        app = rt.app(name)
        apps.append({"name": app.name, "label": dict(app.label),
                     "entities": [entity_access(rt, app, e, actor) for e in app.entities.values()]})
    return JimuJSONResponse({"apps": apps})
