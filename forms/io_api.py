"""Import and export over REST, joining the API as the form engine's router:

    GET  /api/v1/records/{app}/{entity}/export?format=xlsx|csv&filter=JSON&sort=&q=&lang=zh|en
    POST /api/v1/records/{app}/{entity}/import   multipart: file, dry_run (true by default),
         match (optional: id or a unique field; a row naming a record the user may read updates it)

A dry run answers 200 with the report of every problem; an import answers 201, or 422 with the
same report and nothing imported.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from engine.api.deps import get_actor, get_runtime
from engine.api.jsonio import JimuJSONResponse
from engine.api.records import parse_filter
from engine.errors import ValidationFailed, msg

from .exports import export_records
from .import_files import DEFAULT_MAX_BYTES, too_large
from .imports import import_file
from .io_grants import require_export, require_import

router = APIRouter(prefix="/api/v1/records", tags=["records"], default_response_class=JimuJSONResponse)
LANGS = ("zh", "en")
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def register(runtime) -> None:
    runtime.routers.append(router)


@router.get("/{app}/{entity}/export", summary="Export records to xlsx or csv / 导出记录",
            response_class=Response,
            responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                                         "text/csv": {}}}})
def export(
    app: str, entity: str,
    format: str = Query("xlsx", description="xlsx or csv"),
    filter: str | None = Query(None, description="as the list endpoint: a JSON object"),
    sort: str | None = Query(None, description="comma separated paths, '-' for descending"),
    q: str | None = Query(None, description="keyword search over the title fields"),
    lang: str | None = Query(None, description="zh or en: headers and option labels (default: the user's)"),
    rt=Depends(get_runtime), actor=Depends(get_actor),
) -> Any:
    require_export(rt, app, entity, actor)
    lang = lang or (actor.language if actor.language in LANGS else "zh")
    if lang not in LANGS:
        raise ValidationFailed("export.E003", msg("lang 应为 zh 或 en", "lang must be zh or en"),
                               [{"path": "lang", "message": msg("zh 或 en", "zh or en")}])
    out = export_records(rt, actor, app, entity, fmt=format, filters=parse_filter(filter),
                         sort=[s for s in (sort or "").split(",") if s.strip()], q=q, lang=lang, filter_text=filter)
    ascii_name = f"{app}-{entity}.{format}"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(out.filename)}"
    return Response(out.content, media_type=out.media_type,
                    headers={"Content-Disposition": disposition, "X-Record-Count": str(out.rows)})


def _flag(value: Any, default: bool = True) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    s = str(value).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValidationFailed("import.E007", msg("dry_run 应为 true 或 false", "dry_run must be true or false"),
                           [{"path": "dry_run", "message": msg("true 或 false", "true or false")}])


def _no_file() -> ValidationFailed:
    return ValidationFailed("import.E001", msg("请以 multipart/form-data 上传文件 (字段 file)",
                                               "upload the file as multipart/form-data (field 'file')"),
                            [{"path": "file", "message": msg("缺少文件", "no file")}])


@router.post("/{app}/{entity}/import", summary="Import records from xlsx or csv / 导入记录",
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["file"],
                 "properties": {"file": {"type": "string", "format": "binary"},
                                "dry_run": {"type": "boolean", "default": True},
                                "match": {"type": "string", "description": "id or a unique field"}}}}}}})
async def import_(app: str, entity: str, request: Request,
                  dry_run: str | None = Query(None, description="true (default): report only, write nothing"),
                  match: str | None = Query(None, description="id or a unique field: rows naming an existing "
                                                              "record update it (default: every row creates)"),
                  rt=Depends(get_runtime), actor=Depends(get_actor)) -> Any:
    require_import(rt, app, entity, actor)  # before reading the body
    limit = int(rt.settings.get("import_max_bytes", DEFAULT_MAX_BYTES))
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + 64 * 1024:  # the file plus the multipart framing
        raise too_large(limit)
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception:  # noqa: BLE001 - a body that is not multipart, or broken framing
        raise _no_file() from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise _no_file()
        content = await upload.read(limit + 1)
        if len(content) > limit:
            raise too_large(limit)
        dry = _flag(form.get("dry_run") if form.get("dry_run") is not None else dry_run)
        chosen = form.get("match") if form.get("match") is not None else match
        report = await run_in_threadpool(import_file, rt, actor, app, entity, content, upload.filename, dry,
                                         chosen if isinstance(chosen, str) else None)
    finally:
        await form.close()
    return JimuJSONResponse(report, status_code=200 if dry else 201)
