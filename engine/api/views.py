"""Saved list views over REST: /api/v1/views[/{id}]. Each user sees and changes only their own; another
user's view is not found (404), whoever asks."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from ..errors import ValidationFailed, msg
from ..identity.actor import Actor
from ..platform import saved_views
from ..runtime import Runtime
from .deps import Id, get_actor, get_runtime
from .jsonio import JimuJSONResponse, json_body

router = APIRouter(prefix="/api/v1/views", tags=["views"], default_response_class=JimuJSONResponse)
_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object",
    "properties": {"app": {"type": "string"}, "entity": {"type": "string"}, "name": {"type": "string"},
                   "filters": {"type": "object", "description": "as the list endpoint's filter"},
                   "sort": {"type": "array", "items": {"type": "string"}},
                   "columns": {"type": "array", "items": {"type": "string"}}}}}}}}


async def _object(request: Request) -> dict:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ValidationFailed("request.E003", msg("请求体应为对象", "the body must be an object"))
    return body


@router.get("", summary="My saved views / 我的视图")
def list_views(app: str | None = None, entity: str | None = None, rt: Runtime = Depends(get_runtime),
               actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse({"items": saved_views.list_views(rt, actor, app, entity)})


@router.post("", status_code=201, summary="Save a view / 保存视图", openapi_extra=_BODY)
async def create_view(request: Request, rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    body = await _object(request)
    return JimuJSONResponse(await run_in_threadpool(saved_views.create_view, rt, actor, body), status_code=201)


@router.get("/{view_id}", summary="One of my views / 视图详情")
def get_view(view_id: Id, rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse(saved_views.get_view(rt, actor, view_id))


@router.patch("/{view_id}", summary="Change a view / 修改视图", openapi_extra=_BODY)
async def update_view(view_id: Id, request: Request, rt: Runtime = Depends(get_runtime),
                      actor: Actor = Depends(get_actor)) -> Any:
    body = await _object(request)
    return JimuJSONResponse(await run_in_threadpool(saved_views.update_view, rt, actor, view_id, body))


@router.delete("/{view_id}", summary="Delete a view / 删除视图")
def delete_view(view_id: Id, rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    saved_views.delete_view(rt, actor, view_id)
    return JimuJSONResponse({"id": view_id, "deleted": True})
