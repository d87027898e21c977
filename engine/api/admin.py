"""Administration over REST (platform admins only): users, departments, role assignments, handover,
organisation import, and the event log."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, UploadFile

from ..errors import ValidationFailed, msg
from ..identity.actor import Actor
from ..identity.event_log import query_events
from ..identity.org import Org, require_admin
from ..runtime import Runtime
from .body_types import DEPARTMENT, HANDOVER, ROLE_ASSIGNMENT, USER, check_types
from .deps import Id, Offset, OptionalId, get_actor, get_runtime
from .jsonio import JimuJSONResponse, json_body

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], default_response_class=JimuJSONResponse)
_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}}
_USER_WRITABLE = ("name", "email", "phone", "active", "language", "time_zone", "department_id", "manager_id",
                  "is_admin", "profile", "password")
_USER_OUT = ("id", "login", "name", "email", "phone", "active", "language", "time_zone", "department_id",
             "manager_id", "is_admin", "profile")


def admin(actor: Actor = Depends(get_actor)) -> Actor:
    require_admin(actor)
    return actor


async def _object(request: Request) -> dict:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ValidationFailed("request.E003", msg("请求体应为对象", "the body must be an object"))
    return body


@router.get("/users", summary="Users / 用户")
def list_users(rt: Runtime = Depends(get_runtime), _a: Actor = Depends(admin)) -> Any:
    u, ra = rt.db.core["user"], rt.db.core["role_assignment"]
    with rt.connect() as c:
        roles: dict[int, list[str]] = {}
        for uid, app, role in c.execute(sa.select(ra.c.user_id, ra.c.app, ra.c.role).where(ra.c.user_id.is_not(None))):
            roles.setdefault(uid, []).append(f"{app}.{role}")
        items = [{**{k: r[k] for k in _USER_OUT}, "roles": sorted(roles.get(r["id"], []))}
                 for r in c.execute(sa.select(u).order_by(u.c.id)).mappings()]
    return JimuJSONResponse({"items": items, "total": len(items)})


@router.post("/users", status_code=201, summary="Create a user / 新建用户", openapi_extra=_BODY)
async def create_user(request: Request, rt: Runtime = Depends(get_runtime), a: Actor = Depends(admin)) -> Any:
    body = await _object(request)
    check_types(body, USER)
    fields = {k: body[k] for k in _USER_WRITABLE if k in body and k not in ("password", "name")}
    if body.get("password") is not None:
        from ..identity.passwords import check_policy, hash_password

        check_policy(body["password"])
        fields["password_hash"] = hash_password(body["password"])
    with rt.transaction() as c:
        uid = Org(rt, a.user_id).create_user(c, body.get("login") or "", body.get("name") or "", **fields)
    return JimuJSONResponse({"id": uid}, status_code=201)


@router.patch("/users/{user_id}", summary="Change a user / 修改用户", openapi_extra=_BODY)
async def update_user(user_id: Id, request: Request, rt: Runtime = Depends(get_runtime),
                      a: Actor = Depends(admin)) -> Any:
    body = await _object(request)
    check_types(body, USER)
    unknown = sorted(set(body) - set(_USER_WRITABLE))
    if unknown:
        raise ValidationFailed("org.E006", msg("不可修改的字段", "fields that cannot be changed"),
                               [{"path": k, "message": msg("不可修改", "cannot be changed")} for k in unknown])
    if body.get("password") is not None:
        from ..identity.passwords import check_policy

        check_policy(body["password"])
    with rt.transaction() as c:
        Org(rt, a.user_id).update_user(c, user_id, **body)
    return JimuJSONResponse({"id": user_id})


@router.post("/users/{user_id}/handover", summary="Hand a leaver's records over / 离职交接", openapi_extra=_BODY)
async def handover(user_id: Id, request: Request, rt: Runtime = Depends(get_runtime),
                   a: Actor = Depends(admin)) -> Any:
    body = await _object(request)
    check_types(body, HANDOVER)
    to_user = body.get("to_user")
    if not isinstance(to_user, int) or isinstance(to_user, bool):
        raise ValidationFailed("org.E011", msg("请指定接收人", "name the receiving user"),
                               [{"path": "to_user", "message": msg("应为用户 id", "must be a user id")}])
    moved = Org(rt, a.user_id).handover(user_id, to_user, deactivate=body.get("deactivate", True) is not False)
    return JimuJSONResponse({"moved": moved, "deactivated": body.get("deactivate", True) is not False})


@router.get("/departments", summary="Departments / 部门")
def list_departments(rt: Runtime = Depends(get_runtime), _a: Actor = Depends(admin)) -> Any:
    d = rt.db.core["department"]
    with rt.connect() as c:
        items = [dict(r) for r in c.execute(sa.select(d).order_by(d.c.id)).mappings()]
    return JimuJSONResponse({"items": items, "total": len(items)})


@router.post("/departments", status_code=201, summary="Create a department / 新建部门", openapi_extra=_BODY)
async def create_department(request: Request, rt: Runtime = Depends(get_runtime), a: Actor = Depends(admin)) -> Any:
    body = await _object(request)
    check_types(body, DEPARTMENT)
    with rt.transaction() as c:
        did = Org(rt, a.user_id).create_department(c, body.get("name") or "", body.get("code"), body.get("parent_id"),
                                           body.get("head_id"))
    return JimuJSONResponse({"id": did}, status_code=201)


@router.patch("/departments/{department_id}", summary="Change a department / 修改部门", openapi_extra=_BODY)
async def update_department(department_id: Id, request: Request, rt: Runtime = Depends(get_runtime),
                            a: Actor = Depends(admin)) -> Any:
    body = await _object(request)
    check_types(body, DEPARTMENT)
    allowed = {k: body[k] for k in ("name", "code", "parent_id", "head_id", "active") if k in body}
    with rt.transaction() as c:
        Org(rt, a.user_id).update_department(c, department_id, **allowed)
    return JimuJSONResponse({"id": department_id})


@router.post("/role-assignments", status_code=201, summary="Assign a role / 分配角色", openapi_extra=_BODY)
async def assign_role(request: Request, rt: Runtime = Depends(get_runtime), a: Actor = Depends(admin)) -> Any:
    body = await _object(request)
    check_types(body, ROLE_ASSIGNMENT)
    with rt.transaction() as c:
        Org(rt, a.user_id).assign_role(c, str(body.get("app")), str(body.get("role")), user_id=body.get("user_id"),
                               department_id=body.get("department_id"))
    return JimuJSONResponse({"assigned": True}, status_code=201)


@router.delete("/role-assignments", summary="Remove a role / 移除角色")
def remove_role(app: str, role: str, user_id: OptionalId = None, department_id: OptionalId = None,
                rt: Runtime = Depends(get_runtime), a: Actor = Depends(admin)) -> Any:
    with rt.transaction() as c:
        Org(rt, a.user_id).remove_role(c, app, role, user_id=user_id, department_id=department_id)
    return JimuJSONResponse({"removed": True})


@router.post("/org/import", summary="Import departments and users from xlsx / 从 Excel 导入组织架构")
async def import_org_file(file: UploadFile, app: str | None = Query(None, description="app of plain role names"),
                          rt: Runtime = Depends(get_runtime), a: Actor = Depends(admin)) -> Any:
    from ..identity.org_import import import_org

    return JimuJSONResponse(import_org(rt, a, await file.read(), app))


@router.get("/events", summary="The event log (sign-ins, role changes, handovers...) / 操作日志")
def events(kind: str | None = None, actor: OptionalId = None, target: str | None = None,
           since: dt.datetime | None = None, until: dt.datetime | None = None, limit: int = 100, offset: Offset = 0,
           rt: Runtime = Depends(get_runtime), _a: Actor = Depends(admin)) -> Any:
    if not 1 <= limit <= 1000:
        raise ValidationFailed("query.E003", msg("limit 应在 1 到 1000 之间", "limit must be 1 to 1000"))
    return JimuJSONResponse(query_events(rt, kind=kind, actor=actor, target=target, since=_utc(since),
                                         until=_utc(until), limit=limit, offset=offset))


def _utc(t: dt.datetime | None) -> dt.datetime | None:
    """Stored times are naive UTC; a time given with an offset is converted."""
    return t.astimezone(dt.timezone.utc).replace(tzinfo=None) if t and t.tzinfo else t
