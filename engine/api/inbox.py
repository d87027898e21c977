"""The inbox over REST: what waits for the signed-in user (counts per kind and the latest items), their
notifications, and to-dos. A user sees only their own notifications, and the to-dos assigned to them
or created by them (platform admins: every to-do); anything else is not found."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from ..errors import ValidationFailed, detail, msg
from ..identity.actor import Actor
from ..platform import notifications, todos
from ..platform.inbox import inbox
from ..runtime import Runtime
from .deps import Id, OptionalId, Page, PageSize, get_actor, get_runtime
from .jsonio import JimuJSONResponse, json_body

router = APIRouter(prefix="/api/v1", tags=["inbox"], default_response_class=JimuJSONResponse)
_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}}
MAX_PAGE_SIZE = 100
_STATES = {"open": False, "done": True, "any": None}


def _paging(page: int, page_size: int) -> None:
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationFailed("query.E003", msg("分页参数有误", "invalid paging"),
                               [detail("page_size", f"每页 1 到 {MAX_PAGE_SIZE} 条",
                                       f"page_size must be 1 to {MAX_PAGE_SIZE}")])


async def _object(request: Request) -> dict:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ValidationFailed("request.E003", msg("请求体应为对象", "the body must be an object"))
    return body


@router.get("/inbox", summary="What waits for me / 我的待办中心")
def get_inbox(latest: int = Query(5, ge=1, le=50), rt: Runtime = Depends(get_runtime),
              actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse(inbox(rt, actor, latest))


# --- notifications -------------------------------------------------------------------------------------

@router.get("/notifications", summary="My notifications / 我的通知")
def list_notifications(unread: bool = False, page: Page = 1, page_size: PageSize = 20,
                       rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    _paging(page, page_size)
    return JimuJSONResponse(notifications.list_notifications(rt, actor, unread=unread, page=page,
                                                             page_size=page_size))


@router.get("/notifications/unread-count", summary="How many unread / 未读通知数")
def unread_count(rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse({"unread": notifications.unread_count(rt, actor.user_id)})


@router.post("/notifications/read-all", summary="Mark all read / 全部标为已读")
def read_all(rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    with rt.transaction() as c:
        marked = notifications.mark_all_read(rt, c, actor.user_id)
    return JimuJSONResponse({"marked": marked, "unread": 0})


@router.post("/notifications/{notification_id}/read", summary="Mark read / 标为已读")
def read_one(notification_id: Id, rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    with rt.transaction() as c:
        notifications.mark_read(rt, c, actor.user_id, notification_id)
        left = notifications.unread_count(rt, actor.user_id, c)
    return JimuJSONResponse({"id": notification_id, "unread": left})


# --- to-dos --------------------------------------------------------------------------------------------

@router.get("/todos", summary="To-dos / 待办")
def list_todos(scope: str = Query("assigned", description="assigned (to me), created (by me) or all I may see"),
               state: str = Query("open", description="open, done or any"),
               app: str | None = None, entity: str | None = None, record_id: OptionalId = None,
               page: Page = 1, page_size: PageSize = 20, rt: Runtime = Depends(get_runtime),
               actor: Actor = Depends(get_actor)) -> Any:
    _paging(page, page_size)
    if state not in _STATES:
        raise ValidationFailed("todo.E005", msg("state 参数有误", "invalid state"),
                               [detail("state", "应为 open、done 或 any", "must be open, done or any")])
    record = None
    if app or entity or record_id is not None:
        if not (app and entity and record_id is not None):
            raise ValidationFailed("todo.E004", msg("按记录查询需要 app、entity 和 record_id",
                                                    "listing by record needs app, entity and record_id"))
        record = (app, entity, record_id)
    return JimuJSONResponse(todos.list_todos(rt, actor, scope=scope, done=_STATES[state], record=record,
                                             page=page, page_size=page_size))


@router.post("/todos", status_code=201, summary="New to-do / 新建待办", openapi_extra=_BODY)
async def create_todo(request: Request, rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    body = await _object(request)
    with rt.transaction() as c:
        out = todos.create_todo(rt, c, actor, body)
    return JimuJSONResponse(out, status_code=201)


@router.get("/todos/{todo_id}", summary="One to-do / 待办详情")
def get_todo(todo_id: Id, rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse(todos.get_todo(rt, actor, todo_id))


@router.patch("/todos/{todo_id}", summary="Change a to-do / 修改待办", openapi_extra=_BODY)
async def update_todo(todo_id: Id, request: Request, rt: Runtime = Depends(get_runtime),
                      actor: Actor = Depends(get_actor)) -> Any:
    body = await _object(request)
    with rt.transaction() as c:
        out = todos.update_todo(rt, c, actor, todo_id, body)
    return JimuJSONResponse(out)


@router.post("/todos/{todo_id}/done", summary="Mark done / 完成")
def done(todo_id: Id, rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    with rt.transaction() as c:
        out = todos.complete_todo(rt, c, actor, todo_id)
    return JimuJSONResponse(out)


@router.post("/todos/{todo_id}/undone", summary="Mark not done / 重新打开")
def undone(todo_id: Id, rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    with rt.transaction() as c:
        out = todos.reopen_todo(rt, c, actor, todo_id)
    return JimuJSONResponse(out)
