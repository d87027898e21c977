"""Dependencies shared by the routers: the runtime and the acting user."""
from __future__ import annotations

from fastapi import Request

from ..runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def get_actor(request: Request) -> int:
    """Until sign-in exists, every request acts as the configured system user."""
    return request.app.state.runtime.db.system_user_id
