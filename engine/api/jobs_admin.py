"""The job table for platform admins: what is waiting, what failed and why (read only)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from ..errors import NotFound, ValidationFailed, detail, msg
from ..identity.actor import Actor
from ..platform.jobs import list_jobs
from ..platform.jobs_schema import JOB_STATUSES
from ..runtime import Runtime
from .admin import admin
from .deps import Id, Offset, get_runtime
from .jsonio import JimuJSONResponse

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], default_response_class=JimuJSONResponse)


@router.get("/jobs", summary="Jobs / 后台任务")
def jobs(status: str | None = Query(None, description=f"comma-separated: {', '.join(JOB_STATUSES)}"),
         handler: str | None = None, limit: int = Query(100, ge=1, le=1000), offset: Offset = 0,
         rt: Runtime = Depends(get_runtime), _a: Actor = Depends(admin)) -> Any:
    statuses = [s.strip() for s in status.split(",") if s.strip()] if status else None
    bad = sorted(set(statuses or ()) - set(JOB_STATUSES))
    if bad:
        raise ValidationFailed("job.E003", msg("未知的任务状态", "unknown job status"),
                               [detail("status", f"应为 {', '.join(JOB_STATUSES)} 之一: {s}",
                                       f"expected one of {', '.join(JOB_STATUSES)}: {s}") for s in bad])
    items, total = list_jobs(rt, statuses=statuses, handler=handler, limit=limit, offset=offset)
    return JimuJSONResponse({"items": items, "total": total})


@router.get("/jobs/{job_id}", summary="One job / 单个后台任务")
def job(job_id: Id, rt: Runtime = Depends(get_runtime), _a: Actor = Depends(admin)) -> Any:
    items, _total = list_jobs(rt, ids=[job_id])
    if not items:
        raise NotFound("job.E404", msg(f"任务 {job_id} 不存在", f"job {job_id} does not exist"))
    return JimuJSONResponse(items[0])
