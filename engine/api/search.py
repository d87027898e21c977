"""Global search over REST: GET /api/v1/search?q=华为 — hits per entity, as the user may read them."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from ..identity.actor import Actor
from ..records.global_search import search_everywhere
from ..runtime import Runtime
from .deps import get_actor, get_runtime
from .jsonio import JimuJSONResponse

router = APIRouter(prefix="/api/v1", tags=["search"], default_response_class=JimuJSONResponse)


@router.get("/search", summary="Search every entity / 全局搜索")
def search(q: str = Query("", description="keyword, matched against each entity's searchable fields"),
           per_entity: int = Query(5, description="hits per entity (1..20); each entity also gives its total"),
           rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse(search_everywhere(rt, actor, q, per_entity))
