"""An app's definition versions (engine/definition_store.py), for platform admins (read only):
what each install stored, and one version's content — what a running job started on."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ..definition_store import list_versions, read_version
from ..identity.actor import Actor
from ..runtime import Runtime
from .admin import admin
from .deps import Id, get_runtime
from .jsonio import JimuJSONResponse

router = APIRouter(prefix="/api/v1/apps", tags=["admin"], default_response_class=JimuJSONResponse)


@router.get("/{app}/versions", summary="Definition versions / 定义的版本")
def versions(app: str, rt: Runtime = Depends(get_runtime), _a: Actor = Depends(admin)) -> Any:
    rt.app(app)  # 404 for an app that is not installed
    items = list_versions(rt, app)
    return JimuJSONResponse({"items": items, "total": len(items)})


@router.get("/{app}/versions/{kind}/{name}/{version}", summary="One definition version / 某个定义版本")
def version(app: str, kind: str, name: str, version: Id, rt: Runtime = Depends(get_runtime),
            _a: Actor = Depends(admin)) -> Any:
    rt.app(app)
    return JimuJSONResponse(read_version(rt, app, kind, name, version))
