"""Dependencies shared by the routers: the runtime and the acting user."""
from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request

from ..errors import JimuError, msg
from ..identity.actor import Actor
from ..identity.permissions import note_bypass
from ..runtime import Runtime
from .input_limits import INT64_MAX

# Integer parameters of routes, bounded where they are declared (issue 11 item 8): an id beyond 64 bits
# or a page past any table would overflow the database's integers
MAX_PAGE = 1_000_000
Id = Annotated[int, Path(ge=1, le=INT64_MAX, description="id")]
OptionalId = Annotated[int | None, Query(ge=1, le=INT64_MAX)]
Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"1..{MAX_PAGE}")]
PageSize = Annotated[int, Query(ge=1, le=1000, description="rows per page")]
Offset = Annotated[int, Query(ge=0, le=INT64_MAX)]
Version = Annotated[int | None, Query(ge=0, le=INT64_MAX, description="the version you read")]


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
