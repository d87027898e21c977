"""Working calendars over REST: everyone signed in may read them (forms and flows count working days
with them); platform admins set them."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from ..errors import ValidationFailed, msg
from ..identity.actor import Actor
from ..identity.event_log import log_event
from ..identity.org import require_admin
from ..platform.calendars import WorkingCalendar, list_calendars, load_calendar, save_calendar
from ..runtime import Runtime
from .deps import get_actor, get_runtime
from .jsonio import JimuJSONResponse, json_body

router = APIRouter(prefix="/api/v1", tags=["calendars"], default_response_class=JimuJSONResponse)
_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "properties": {
        "label": {"type": "object", "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}},
        "weekends": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}},
        "holidays": {"type": "array", "items": {"type": "string", "format": "date"}},
        "workdays": {"type": "array", "items": {"type": "string", "format": "date"}}}}}}}}


@router.get("/calendars", summary="Working calendars / 工作日历")
def get_calendars(rt: Runtime = Depends(get_runtime), _actor: Actor = Depends(get_actor)) -> Any:
    items = [c.to_dict() for c in list_calendars(rt)]
    return JimuJSONResponse({"items": items, "total": len(items)})


@router.get("/calendars/{name}", summary="One working calendar / 工作日历详情")
def get_calendar(name: str, rt: Runtime = Depends(get_runtime), _actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse(load_calendar(rt, name).to_dict())


@router.put("/admin/calendars/{name}", summary="Set a working calendar / 设置工作日历", openapi_extra=_BODY)
async def put_calendar(name: str, request: Request, rt: Runtime = Depends(get_runtime),
                       actor: Actor = Depends(get_actor)) -> Any:
    """The whole calendar: weekends (0 Monday .. 6 Sunday; default Saturday and Sunday), holidays and
    make-up working days (调休) as YYYY-MM-DD lists. Creates the calendar or replaces it."""
    require_admin(actor)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ValidationFailed("request.E003", msg("请求体应为对象", "the body must be an object"))
    cal = WorkingCalendar.from_dict(name, body)
    with rt.transaction() as c:
        save_calendar(rt, c, cal)
        log_event(rt, c, "calendar_changed", actor=actor.user_id, target=f"calendar:{name}", detail=cal.to_dict())
    return JimuJSONResponse(cal.to_dict())
