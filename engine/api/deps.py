"""Dependencies shared by the routers: the runtime and the acting user."""
from __future__ import annotations

from fastapi import Request

from ..errors import JimuError, msg
from ..identity.actor import Actor
from ..identity.permissions import note_bypass
from ..runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def get_actor(request: Request) -> Actor:
    """The user the authentication middleware found for this request; never a silent default."""
    actor = getattr(request.state, "actor", None)
    if actor is None:
        raise JimuError("auth.E401", msg("请先登录", "sign in first"), status=401)
    if actor.is_admin and not actor.is_system:
        note_bypass(request.app.state.runtime, actor, "/".join(request.url.path.split("/")[:5]))
    return actor
