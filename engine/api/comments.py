"""Comments on records and the people they may mention, over REST:

    GET  /api/v1/records/{app}/{entity}/{id}/comments     newest first (404 unless the user reads the record)
    POST /api/v1/records/{app}/{entity}/{id}/comments     {"body": "@李梅 请看一下", "mentions": [3]}
    GET  /api/v1/users/directory?q=                       active users for a mention or member picker
    GET  /api/v1/departments/directory?q=                 active departments for a department picker
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from ..errors import ValidationFailed, msg
from ..identity.actor import Actor
from ..platform import comments, people_directory
from ..runtime import Runtime
from .deps import Id, Page, PageSize, get_actor, get_runtime
from .input_limits import INT64_MAX
from .jsonio import JimuJSONResponse, json_body

router = APIRouter(prefix="/api/v1", tags=["comments"], default_response_class=JimuJSONResponse)
_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["body"],
    "properties": {"body": {"type": "string", "description": "plain text; @name shows a mention"},
                   "mentions": {"type": "array", "items": {"type": "integer"},
                                "description": "ids of the users mentioned: each must be able to read the record"}}}}}}}


def _ids(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        ids = [int(x) for x in text.split(",") if x.strip()]
        if len(ids) > 1000 or any(not 1 <= i <= INT64_MAX for i in ids):
            raise ValueError("out of range")  # ids are positive 64-bit integers, asked for a page at a time
        return ids
    except ValueError:
        raise ValidationFailed("query.E006", msg("ids 应为逗号分隔的整数", "ids must be integers separated by commas"),
                               [{"path": "ids", "message": msg("应为整数", "must be integers")}]) from None


@router.get("/records/{app}/{entity}/{record_id}/comments", summary="Comments on a record / 记录评论")
def list_comments(app: str, entity: str, record_id: Id, page: Page = 1, page_size: PageSize = 50,
                  rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse(comments.list_comments(rt, actor, app, entity, record_id, page=page, page_size=page_size))


@router.post("/records/{app}/{entity}/{record_id}/comments", status_code=201, summary="Comment on a record / 发表评论",
             openapi_extra=_BODY)
async def post_comment(app: str, entity: str, record_id: Id, request: Request, rt: Runtime = Depends(get_runtime),
                       actor: Actor = Depends(get_actor)) -> Any:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ValidationFailed("request.E003", msg("请求体应为对象", "the body must be an object"))
    out = await run_in_threadpool(comments.post_comment, rt, actor, app, entity, record_id, body)
    return JimuJSONResponse(out, status_code=201)


@router.get("/users/directory", summary="Find colleagues (to mention or choose) / 成员目录")
def users_directory(q: str | None = None, ids: str | None = Query(None, description="1,2,3: these users"),
                    limit: int = Query(20, ge=1, le=people_directory.MAX_LIMIT),
                    rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse({"items": people_directory.user_directory(rt, q, _ids(ids), limit)})


@router.get("/departments/directory", summary="Find departments (to choose one) / 部门目录")
def departments_directory(q: str | None = None, ids: str | None = Query(None, description="1,2,3: these departments"),
                          limit: int = Query(20, ge=1, le=people_directory.MAX_LIMIT),
                          rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse({"items": people_directory.department_directory(rt, q, _ids(ids), limit)})
