"""Sample part: a public path. ``POST /api/v1/hooks/sample/ping`` answers without sign-in, as an
inbound webhook would (a real one verifies its own signature)."""
from __future__ import annotations

PATH = "/api/v1/hooks/sample/ping"


def register(runtime) -> None:
    from fastapi import APIRouter

    router = APIRouter()

    @router.post(PATH)
    def ping() -> dict:
        return {"pong": True}

    runtime.routers.append(router)
    runtime.add_public_path(PATH)
