"""The form state: a record's current (possibly unsaved) values in, and back the computed values,
each field's visible/required/readonly flags, the options it may take now, and every validation
message — exactly as a save would judge them, because it is the save's own pipeline run without
saving (RecordService.trial). The web form calls it as the user types: one source of truth.

    POST /api/v1/records/{app}/{entity}/form-state   {"id": 12?, "values": {...}}
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from engine.api.deps import Id, get_actor, get_runtime
from engine.api.jsonio import JimuJSONResponse, json_body
from engine.errors import ValidationFailed, msg
from engine.identity.actor import Actor
from engine.records.read_path import RecordReader, readable_titles
from engine.runtime import Runtime

from .states import allowed_moves, state_fields, state_history

router = APIRouter(prefix="/api/v1/records", tags=["forms"], default_response_class=JimuJSONResponse)


def api_values(reader: RecordReader, values: dict[str, Any], conn) -> dict[str, Any]:
    """Stored values of one (unsaved) record in API form, as the reader would see them."""
    out: dict[str, Any] = {}
    ent = reader.entity
    for f in ent.fields:
        if f.name in reader.scope.hidden or f.name not in values:
            continue
        v = values[f.name]
        if f.ftype.api_values is not None:
            out[f.name] = f.ftype.api_values(reader, f, {0: v}, conn).get(0)
        elif f.relation_to:
            title = readable_titles(reader.runtime, reader.app, reader.app.entity(f.relation_to), [v], reader.actor,
                                    conn).get(v) if v is not None else None
            out[f.name] = None if v is None else {"id": v, "title": title}
        else:
            out[f.name] = f.dump(v)
    return out


def _hidden_path(path: str, hidden: frozenset[str]) -> bool:
    """``lines[2].margin`` is hidden when ``lines`` or ``lines.margin`` is."""
    head, _, rest = path.partition("[")
    head = head.split(".")[0]
    column = rest.partition("].")[2].split(".")[0] if rest else ""
    return head in hidden or (bool(column) and f"{head}.{column}" in hidden)


def form_state(rt: Runtime, app: str, entity: str, actor: Actor, body: dict) -> dict:
    values = body.get("values", {})
    values = {} if values is None else values
    if not isinstance(values, dict):
        raise ValidationFailed("form.E001", msg("values 应为对象", "values must be an object"),
                               [{"path": "values", "message": msg("应为对象", "must be an object")}])
    record_id = body.get("id")
    if record_id is not None and (isinstance(record_id, bool) or not isinstance(record_id, int)):
        raise ValidationFailed("form.E001", msg("id 应为整数", "id must be an integer"),
                               [{"path": "id", "message": msg("应为整数", "must be an integer")}])
    service = rt.records(app, entity, actor)
    w, _batch = service.trial(values, record_id)
    reader = service.reader()
    hidden = reader.scope.hidden
    with rt.connect() as c:
        shown = api_values(reader, w.values, c)
    flags = {k: v for k, v in (w.notes.get("flags") or {}).items() if k not in hidden}
    for f in state_fields(service.entity):  # a state field offers only the moves it may make
        if f.name in flags:
            current = w.old.get(f.name) if w.old is not None else None
            moves = allowed_moves(f, current)
            flags[f.name]["options"] = [v for v in flags[f.name].get("options", moves) if v in moves]
    # a sub-table column derived from a hidden field is hidden too ("lines.margin")
    rows = {k: [{c: fl for c, fl in rf.items() if f"{k}.{c}" not in hidden} for rf in v]
            for k, v in (w.notes.get("row_flags") or {}).items() if k not in hidden}
    errors = [e for e in w.errors if not _hidden_path(e["path"], hidden)]
    return {"values": shown, "fields": flags, "rows": rows, "errors": errors, "valid": not errors}


@router.post("/{app}/{entity}/form-state", summary="Form state: computed values, linkage, validation / 表单状态")
async def post_form_state(app: str, entity: str, request: Request, rt: Runtime = Depends(get_runtime),
                          actor: Actor = Depends(get_actor)) -> Any:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ValidationFailed("request.E003", msg("请求体应为对象", "the body must be an object"))
    return JimuJSONResponse(await run_in_threadpool(form_state, rt, app, entity, actor, body))


@router.get("/{app}/{entity}/{record_id}/states", summary="When the record entered each state / 阶段停留")
def get_states(app: str, entity: str, record_id: Id, rt: Runtime = Depends(get_runtime),
               actor: Actor = Depends(get_actor)) -> Any:
    a = rt.app(app)
    RecordReader(rt, a, a.entity(entity), actor).get(record_id)  # 404 unless the user may read it
    return JimuJSONResponse({"items": state_history(rt, app, entity, record_id)})


def register(runtime) -> None:
    runtime.routers.append(router)
