"""What is installed, for clients and the designer: apps, entities with their fields, the function
reference of the expression language, and a health check."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ..compiled import CompiledApp, CompiledEntity
from ..runtime import Runtime
from .deps import get_runtime
from .jsonio import JimuJSONResponse

router = APIRouter(prefix="/api/v1", tags=["meta"], default_response_class=JimuJSONResponse)


@router.get("/health", summary="Health / 健康检查")
def health(rt: Runtime = Depends(get_runtime)) -> Any:
    import sqlalchemy as sa

    with rt.connect() as c:
        c.execute(sa.text("SELECT 1"))
    return JimuJSONResponse({"status": "ok", "database": rt.db.engine.dialect.name, "apps": sorted(rt.apps)})


@router.get("/apps", summary="Installed apps / 已安装的应用")
def list_apps(rt: Runtime = Depends(get_runtime)) -> Any:
    return JimuJSONResponse({"items": [_app_summary(rt.apps[n].compiled) for n in sorted(rt.apps)]})


@router.get("/apps/{app}", summary="An app with its entities and fields / 应用详情")
def get_app(app: str, rt: Runtime = Depends(get_runtime)) -> Any:
    a = rt.app(app)
    return JimuJSONResponse({**_app_summary(a), "entities": [_entity(e) for e in a.entities.values()],
                             "roles": {k: dict(v) for k, v in a.roles.items()}})


@router.get("/functions", summary="Function reference of the expression language / 函数参考")
def functions(rt: Runtime = Depends(get_runtime)) -> Any:
    return JimuJSONResponse({"items": rt.functions.reference()})


def _app_summary(a: CompiledApp) -> dict:
    return {"name": a.name, "version": a.version, "label": dict(a.label), "description": dict(a.description),
            "entities": sorted(a.entities)}


def _entity(e: CompiledEntity) -> dict:
    return {
        "name": e.name,
        "label": dict(e.label),
        "title": e.title,
        "fields": [{**{k: v for k, v in f.definition.items()}, "label": dict(f.label)} for f in e.fields],
        "layout": dict(e.layout),
        "searchable": [".".join(p) for p in e.searchable],
    }
