"""The app lifecycle over REST, for the designer and the web app (platform admins only): installed apps,
uploading a bundle .zip, its plan (as ``jimu plan --json``), applying it (the install path of
``jimu install --show-plan``, with its refusals), and editing one definition in place (a local change,
engine/lifecycle/local_changes.py). Definition versions are in versions.py. Every step, refusals
included, goes to the event log.

An upload is the raw .zip as the request body (``Content-Type: application/zip``), streamed to a
temporary folder under a size cap and checked there (engine/lifecycle/uploads.py)."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from ..definition_store import local_changes
from ..errors import JimuError, ValidationFailed, msg
from ..identity.actor import Actor
from ..identity.event_log import log_event
from ..lifecycle import uploads
from ..runtime import Runtime
from .admin import admin
from .deps import get_runtime
from .jsonio import JimuJSONResponse, json_body

router = APIRouter(tags=["admin"], default_response_class=JimuJSONResponse)
_ZIP = {"requestBody": {"required": True, "content": {"application/zip": {"schema": {"type": "string",
                                                                                     "format": "binary"}}}}}
_OBJECT = {"requestBody": {"required": False, "content": {"application/json": {"schema": {"type": "object"}}}}}
APPLY_FLAGS = ("demo", "overwrite_local", "allow_data_loss")  # true/false
APPLY_LISTS = ("fill", "map_option")  # lists of text, as `jimu install --fill/--map-option` take them


def _log(rt: Runtime, request: Request, kind: str, actor: Actor, target: str | None, detail: dict) -> None:
    with rt.transaction() as c:
        log_event(rt, c, kind, actor=actor.user_id, target=target, detail=detail,
                  ip=request.client.host if request.client else None)


def _refused(rt: Runtime, request: Request, actor: Actor, target: str | None, stage: str, e: JimuError) -> None:
    _log(rt, request, "bundle_refused", actor, target, {"stage": stage, "code": e.code, "message": e.message})


@router.get("/api/v1/admin/apps", summary="Installed apps, their versions and local changes / 已安装的应用")
def installed_apps(rt: Runtime = Depends(get_runtime), _a: Actor = Depends(admin)) -> Any:
    a = rt.db.core["app"]
    with rt.connect() as c:
        items = [dict(r) for r in c.execute(sa.select(a).order_by(a.c.name)).mappings()]
        for item in items:
            local = local_changes(rt, c, item["name"])
            item["local_changes"] = [{"kind": k, "name": n, "version": r["current_version"],
                                      "base_version": r["base_version"]} for (k, n), r in sorted(local.items())]
    return JimuJSONResponse({"items": items, "total": len(items)})


@router.post("/api/v1/admin/bundles", status_code=201, summary="Upload a bundle .zip / 上传应用包",
             openapi_extra=_ZIP)
async def upload(request: Request, rt: Runtime = Depends(get_runtime), a: Actor = Depends(admin)) -> Any:
    from ..bundle.checker import check_bundle
    from ..bundle.errors import BundleInvalid
    from ..lifecycle.plan import plan_bundle

    try:
        uid, path = await uploads.receive(request.stream(), request.headers.get("content-length"))
    except JimuError as e:
        await run_in_threadpool(_refused, rt, request, a, None, "upload", e)
        raise
    checked = await run_in_threadpool(check_bundle, path, rt.field_types)
    if checked.errors or checked.source is None:
        uploads.discard(uid)
        # a problem of the archive as a whole names the upload, not the server's temporary file
        e = BundleInvalid([replace(x, file="bundle.zip") if x.file == str(path) else x
                           for x in (*checked.errors, *checked.warnings)])
        await run_in_threadpool(_refused, rt, request, a, None, "upload", e)
        raise e
    try:
        plan = await run_in_threadpool(plan_bundle, rt, path)
    except JimuError as e:
        uploads.discard(uid)
        await run_in_threadpool(_refused, rt, request, a, None, "upload", e)
        raise
    uploads.remember(uid, {"app": plan.app, "version": plan.to_version, "uploaded_by": a.user_id})
    await run_in_threadpool(_log, rt, request, "bundle_uploaded", a, plan.app,
                            {"upload": uid, "version": plan.to_version, "action": plan.action})
    return JimuJSONResponse({"id": uid, "app": plan.app, "version": plan.to_version, "plan": plan.to_dict(),
                             "warnings": [w.to_dict() for w in checked.warnings]}, status_code=201)


@router.get("/api/v1/admin/bundles/{upload_id}/plan", summary="What applying an uploaded bundle would change / 计划")
def plan(upload_id: str, request: Request, overwrite_local: bool = False, rt: Runtime = Depends(get_runtime),
         a: Actor = Depends(admin)) -> Any:
    from ..lifecycle.plan import plan_bundle

    path, meta = uploads.find(upload_id)
    p = plan_bundle(rt, path, overwrite_local=overwrite_local)
    _log(rt, request, "bundle_planned", a, p.app, {"upload": upload_id, "action": p.action,
                                                    "loses_data": p.loses_data})
    return JimuJSONResponse(p.to_dict())


@router.post("/api/v1/admin/bundles/{upload_id}/apply", summary="Apply an uploaded bundle / 应用上传的应用包",
             openapi_extra=_OBJECT)
async def apply(upload_id: str, request: Request, rt: Runtime = Depends(get_runtime), a: Actor = Depends(admin)) -> Any:
    from ..lifecycle.apply import apply_bundle

    flags = await _flags(request)
    path, meta = uploads.find(upload_id)
    try:
        p, result = await run_in_threadpool(lambda: apply_bundle(rt, path, origin="upload", actor_id=a.user_id,
                                                                 **flags))
    except JimuError as e:
        await run_in_threadpool(_refused, rt, request, a, meta.get("app"), "apply", e)
        raise
    out = {"app": result.app.name, "version": result.app.version, "status": result.status,
           "versions": [{"kind": k, "name": n, "version": v} for k, n, v in result.versions],
           "kept_local": [{"kind": k, "name": n} for k, n in result.kept_local],
           "seeded": result.seeded, "summary": result.summary(), "plan": p.to_dict()}
    await run_in_threadpool(_log, rt, request, "bundle_applied", a, result.app.name,
                            {"upload": upload_id, "status": result.status, "versions": out["versions"],
                             "kept_local": out["kept_local"], "flags": flags})
    return JimuJSONResponse(out)


async def _flags(request: Request) -> dict[str, Any]:
    """The apply options: an empty body, or an object of the known flags (true/false) and lists
    (``fill``: ["entity.field=value"], ``map_option``: ["entity.field:old=new"])."""
    if not await request.body():
        return {}
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ValidationFailed("request.E003", msg("请求体应为对象", "the body must be an object"))
    return _checked_flags(body)


def _checked_flags(body: dict) -> dict[str, Any]:
    bad = [k for k, v in body.items()
           if not (k in APPLY_FLAGS and isinstance(v, bool)
                   or k in APPLY_LISTS and isinstance(v, list) and all(isinstance(x, str) for x in v))]
    if bad:
        names = f"{', '.join(APPLY_FLAGS)} (true/false), {', '.join(APPLY_LISTS)} ([text])"
        raise ValidationFailed("request.E004", msg("未知的选项或类型不对", "unknown option, or the wrong type"),
                               [{"path": k, "message": msg(f"可用选项: {names}", f"options: {names}")} for k in bad])
    return body


@router.put("/api/v1/apps/{app}/definitions/{kind}/{name}", summary="Edit a definition in place / 修改定义 (本地修改)",
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": {"type": "object"}}}}})
async def edit(app: str, kind: str, name: str, request: Request, rt: Runtime = Depends(get_runtime),
               a: Actor = Depends(admin)) -> Any:
    from ..lifecycle.local_changes import edit_definition

    body = await json_body(request)
    target = f"{app}:{kind}/{name}"
    try:
        result = await run_in_threadpool(edit_definition, rt, app, kind, name, body, actor_id=a.user_id)
    except JimuError as e:
        await run_in_threadpool(_refused, rt, request, a, target, "edit", e)
        raise
    d = rt.db.core["definition"]
    with rt.connect() as c:
        version = c.execute(sa.select(d.c.current_version).where(d.c.app == app, d.c.kind == kind,
                                                                 d.c.name == name)).scalar()
    await run_in_threadpool(_log, rt, request, "definition_edited", a, target,
                            {"status": result.status, "version": version})
    return JimuJSONResponse({"app": app, "kind": kind, "name": name, "version": version, "origin": "local",
                             "status": result.status})


@router.post("/api/v1/apps/{app}/revert", summary="Put an app's definitions back as at a version / 回退到某版本",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                 "type": "object", "properties": {
                     "version": {"type": "string"}, "dry_run": {"type": "boolean"},
                     "allow_data_loss": {"type": "boolean"}, "fill": {"type": "array", "items": {"type": "string"}},
                     "map_option": {"type": "array", "items": {"type": "string"}}},
                 "required": ["version"]}}}}})
async def revert(app: str, request: Request, rt: Runtime = Depends(get_runtime), a: Actor = Depends(admin)) -> Any:
    """``jimu revert APP VERSION`` (engine/lifecycle/revert.py): new versions of origin ``revert`` through
    the ordinary upgrade path, local changes included; ``dry_run`` answers the plan only."""
    from ..lifecycle.apply import options_of
    from ..lifecycle.revert import revert_app

    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("version"), str):
        raise ValidationFailed("request.E004", msg("应为 {version: 文本, ...}", "expected {version: text, ...}"),
                               [{"path": "version", "message": msg("必填，文本", "required, text")}])
    flags = {k: v for k, v in body.items() if k != "version"}
    dry_run = flags.pop("dry_run", False)
    if not isinstance(dry_run, bool) or set(flags) - {"allow_data_loss", *APPLY_LISTS}:
        raise ValidationFailed("request.E004", msg("未知的选项或类型不对", "unknown option, or the wrong type"),
                               [{"path": k, "message": msg("可用: version, dry_run, allow_data_loss, fill, map_option",
                                                           "options: version, dry_run, allow_data_loss, fill, "
                                                           "map_option")}
                                for k in sorted(set(flags) - {"allow_data_loss", *APPLY_LISTS}) or ["dry_run"]])
    checked = _checked_flags(flags)
    options = options_of(checked.get("allow_data_loss", False), checked.get("fill", ()), checked.get("map_option", ()))
    try:
        done = await run_in_threadpool(lambda: revert_app(rt, app, body["version"], dry_run=dry_run,
                                                          actor_id=a.user_id, options=options))
    except JimuError as e:
        await run_in_threadpool(_refused, rt, request, a, app, "revert", e)
        raise
    result = done.install
    return JimuJSONResponse({"app": app, "to": body["version"], "plan": done.plan.to_dict(),
                             "status": result.status if result is not None else "planned",
                             "versions": [{"kind": k, "name": n, "version": v} for k, n, v in
                                          (result.versions if result is not None else ())],
                             "summary": done.summary()})
