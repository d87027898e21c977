"""Records over REST: /api/v1/records/{app}/{entity}[/{id}[/history|/restore]]."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from ..errors import ValidationFailed, msg
from ..identity.actor import Actor
from ..records.read_path import ListQuery, RecordReader
from ..runtime import Runtime
from .deps import Id, Page, PageSize, Version, get_actor, get_runtime
from .jsonio import JimuJSONResponse, json_body, query_json

router = APIRouter(prefix="/api/v1/records", tags=["records"], default_response_class=JimuJSONResponse)

_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}}


def _reader(rt: Runtime, app: str, entity: str, actor: Actor) -> RecordReader:
    a = rt.app(app)
    return RecordReader(rt, a, a.entity(entity), actor)


def parse_filter(text: str | None) -> dict:
    """A ``filter`` query parameter: a JSON object, numbers as exact decimals."""
    if not text:
        return {}
    try:
        filters = query_json(text, "filter")
    except ValueError as e:
        raise ValidationFailed("query.E005", msg("filter 不是合法的 JSON", "filter is not valid JSON"),
                               [{"path": "filter", "message": msg(str(e), str(e))}]) from None
    if not isinstance(filters, dict):
        raise ValidationFailed("query.E005", msg("filter 应为对象", "filter must be an object"),
                               [{"path": "filter", "message": msg("应为对象", "must be an object")}])
    return filters


@router.get("/{app}/{entity}", summary="List records / 记录列表")
def list_records(
    app: str, entity: str,
    filter: str | None = Query(None, description='JSON: {"amount": {"gte": 100}, "customer.name": {"contains": "华"}}'),
    sort: str | None = Query(None, description="comma separated paths, '-' for descending: -amount,name"),
    page: Page = 1, page_size: PageSize = 20,
    q: str | None = Query(None, description="keyword search over the title fields"),
    deleted: bool = Query(False, description="list deleted records instead (to restore them)"),
    rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor),
) -> Any:
    query = ListQuery(filters=parse_filter(filter), sort=[s for s in (sort or "").split(",") if s.strip()],
                      page=page, page_size=page_size, q=q, deleted=deleted)
    return JimuJSONResponse(_reader(rt, app, entity, actor).list(query))


@router.get("/{app}/{entity}/picker", summary="Choose a record: ids and titles / 关联记录选择")
def picker(app: str, entity: str, q: str | None = None, page: Page = 1, page_size: PageSize = 20,
           filter: str | None = Query(None, description="JSON, as the list takes it: the form state's filter "
                                                         "of a relation field ({\"customer\": 12})"),
           field: str | None = Query(None, description="the relation field being filled, entity.field or "
                                                       "entity.subtable.field: only targets passing its filter"),
           rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    """What a relation field's picker lists: the records the user may read, searched by keyword."""
    from ..records.relation_filters import picker_condition

    where = ()
    if field:
        cond = picker_condition(rt, rt.app(app), field, entity, actor)
        where = (cond,) if cond is not None else ()
    listed = _reader(rt, app, entity, actor).list(ListQuery(q=q, page=page, page_size=page_size, where=where,
                                                            filters=parse_filter(filter), sort=["-updated_at"]))
    return JimuJSONResponse({"items": [{"id": i["id"], "title": i["title"]} for i in listed["items"]],
                             "total": listed["total"]})


@router.post("/{app}/{entity}", status_code=201, summary="Create a record / 新建记录", openapi_extra=_BODY)
async def create_record(app: str, entity: str, request: Request, rt: Runtime = Depends(get_runtime),
                        actor: Actor = Depends(get_actor)) -> Any:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ValidationFailed("request.E003", msg("请求体应为对象", "the body must be an object"))
    # the database work is blocking: off the event loop, like the sync endpoints
    created = await run_in_threadpool(rt.records(app, entity, actor).create, body)
    return JimuJSONResponse(created, status_code=201)


@router.post("/{app}/{entity}/bulk", status_code=201, summary="Create many records, all or none / 批量新建",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "array", "items": {"type": "object"}}}}}})
async def bulk_create(app: str, entity: str, request: Request, rt: Runtime = Depends(get_runtime),
                      actor: Actor = Depends(get_actor)) -> Any:
    body = await json_body(request)
    if not isinstance(body, list):
        raise ValidationFailed("request.E003", msg("请求体应为数组", "the body must be an array"))
    ids = await run_in_threadpool(rt.records(app, entity, actor).create_many, body)
    return JimuJSONResponse({"ids": ids, "count": len(ids)}, status_code=201)


@router.get("/{app}/{entity}/{record_id}", summary="Read a record / 读取记录")
def get_record(app: str, entity: str, record_id: Id, rt: Runtime = Depends(get_runtime),
               actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse(_reader(rt, app, entity, actor).get(record_id))


@router.patch("/{app}/{entity}/{record_id}", summary="Update fields (send the version you read) / 修改记录",
              openapi_extra=_BODY)
async def update_record(app: str, entity: str, record_id: Id, request: Request,
                        rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ValidationFailed("request.E003", msg("请求体应为对象", "the body must be an object"))
    return JimuJSONResponse(await run_in_threadpool(rt.records(app, entity, actor).update, record_id, body))


@router.delete("/{app}/{entity}/{record_id}", summary="Delete (restorable) / 删除 (可恢复)")
def delete_record(app: str, entity: str, record_id: Id, version: Version = None,
                  rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse(rt.records(app, entity, actor).delete(record_id, expected_version=version))


@router.post("/{app}/{entity}/{record_id}/restore", summary="Restore a deleted record / 恢复记录")
def restore_record(app: str, entity: str, record_id: Id, rt: Runtime = Depends(get_runtime),
                   actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse(rt.records(app, entity, actor).restore(record_id))


@router.get("/{app}/{entity}/{record_id}/history", summary="Change history / 变更历史")
def record_history(app: str, entity: str, record_id: Id, rt: Runtime = Depends(get_runtime),
                   actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse({"items": rt.records(app, entity, actor).history(record_id)})
