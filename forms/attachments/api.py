"""Files over REST.

``POST /api/v1/files`` (multipart/form-data: ``app``, ``entity``, ``field``, then ``file``) stores
one file for a field the user may write and returns ``{id, name, size, content_type}``; a record
write then lists the id in the field. ``app``/``entity``/``field`` may also come in the query string.
The body is read as a stream: the file goes to disk chunk by chunk, hashed on the way, and reading
stops as soon as the field's size limit is crossed (when the field is named before the file part; a
file part first is held to ``settings["max_upload_mb"]`` until the field is known).

``GET /api/v1/records/{app}/{entity}/{id}/files/{file_id}`` serves a file of a record the user may
read, from a field they may see, that the record's value holds; anything else is 404, so nobody
learns that a file exists. Only raster images and PDFs are ever shown inline.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from engine.api.deps import Id, get_actor, get_runtime
from engine.api.jsonio import JimuJSONResponse
from engine.errors import Forbidden, NotFound, ValidationFailed, detail, msg
from engine.identity.actor import Actor
from engine.identity.permissions import grants_for
from engine.records.read_path import RecordReader
from engine.runtime import Runtime

from .content_types import INLINE_SAFE, PDF, classify
from .kinds import KEYS, KINDS, Limits, file_problem, limits, show_mb
from .storage import FileStore, Incoming, TooLarge, is_file_id, new_file_id

router = APIRouter(tags=["files"], default_response_class=JimuJSONResponse)

DEFAULT_MAX_UPLOAD_MB = 100  # a file part sent before the field is named is held to this
MAX_NAME = 255
_MAX_TEXT_PART = 1024
_MAX_PARTS = 16
_TARGET_KEYS = ("app", "entity", "field")

_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["app", "entity", "field", "file"],
    "properties": {"app": {"type": "string"}, "entity": {"type": "string"},
                   "field": {"type": "string", "description": "an attachment or image field"},
                   "file": {"type": "string", "format": "binary"}}}}}}}


def _refused(code: str, message: dict[str, str], path: str = "file") -> ValidationFailed:
    return ValidationFailed(code, message, [{"path": path, "message": message, "code": code}])


# --- where a file goes, and who may put it there -----------------------------------------------------
@dataclass(frozen=True)
class Target:
    app: str
    entity: str
    field: str
    limits: Limits


def resolve_target(rt: Runtime, actor: Actor, values: dict[str, str]) -> Target:
    missing = [k for k in _TARGET_KEYS if not values.get(k)]
    if missing:
        raise ValidationFailed("file.E009", msg("请说明文件属于哪个字段 (app, entity, field)",
                                                "say which field the file is for (app, entity, field)"),
                               [detail(k, "不能为空", "is required", code="file.E009") for k in missing])
    app = rt.app(values["app"])  # 404s name the unknown app or entity
    ent = app.entity(values["entity"])
    f = ent.field(values["field"])
    if f is None or f.type_name not in KINDS:
        raise _refused("file.E007", msg(f"{ent.label.get('zh', ent.name)}没有附件或图片字段 {values['field']}",
                                        f"{ent.label.get('en', ent.name)} has no attachment or image field "
                                        f"{values['field']}"), path="field")
    if not _may_write(rt, actor, app.name, ent.name, f):
        raise Forbidden("file.E403", msg(f"没有在「{f.label.get('zh', f.name)}」上传文件的权限",
                                         f"you may not upload files to {f.label.get('en', f.name)}"),
                        [{"path": "field", "message": msg("没有权限", "not allowed"), "code": "file.E403"}])
    return Target(app.name, ent.name, f.name, limits(f.type_name, f.definition))


def _may_write(rt: Runtime, actor: Actor, app: str, entity: str, f) -> bool:
    """Some role of the user creates or updates records of the entity and may write the field."""
    if f.readonly:
        return False
    if actor.bypass:
        return True
    return any((g.create or g.update is not None) and f.name not in g.hidden and f.name not in g.readonly
               for g in grants_for(rt, app, entity, actor))


def clean_name(raw: bytes) -> str:
    """The user's file name, kept for display and download only: no folders, no control or
    direction characters, at most 255 characters with the extension kept."""
    name = unicodedata.normalize("NFC", raw.decode("utf-8", errors="replace"))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in ("", ".", ".."):
        return "file"
    if len(name) > MAX_NAME:
        ext = PurePosixPath(name).suffix[:16]
        name = name[: MAX_NAME - len(ext)] + ext
    return name


# --- reading the multipart stream ---------------------------------------------------------------------
class UploadReader:
    """python-multipart's callbacks: text parts name the field, the ``file`` part streams to disk."""

    def __init__(self, rt: Runtime, actor: Actor, given: dict[str, str]) -> None:
        self.rt, self.actor = rt, actor
        self.values = {k: v for k, v in given.items() if k in _TARGET_KEYS and v}
        self.store = FileStore.of(rt)
        self.target: Target | None = None
        self.incoming: Incoming | None = None
        self.name = "file"
        self._parts = 0
        self._part: str | None = None  # "file", or a text part's name
        self._headers: dict[bytes, bytes] = {}
        self._hname = self._hvalue = b""
        self._text = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {"on_part_begin": self._begin, "on_part_data": self._data, "on_part_end": self._end,
                "on_header_field": self._header_field, "on_header_value": self._header_value,
                "on_header_end": self._header_end, "on_headers_finished": self._headers_finished}

    async def read(self, request: Request) -> None:
        ctype, params = parse_options_header(request.headers.get("content-type"))
        if ctype != b"multipart/form-data" or not params.get(b"boundary"):
            raise _refused("file.E008", msg("请以 multipart/form-data 上传", "upload as multipart/form-data"))
        parser = MultipartParser(params[b"boundary"], self.callbacks())
        try:
            async for chunk in request.stream():
                if chunk:  # parsing and disk writes off the event loop
                    await run_in_threadpool(parser.write, chunk)
            parser.finalize()
        except TooLarge:
            raise self._too_large() from None
        except FormParserError:
            raise _refused("file.E008", msg("上传的内容不是完整的 multipart/form-data",
                                            "the upload is not complete multipart/form-data")) from None

    def _begin(self) -> None:
        self._headers, self._part, self._text = {}, None, bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._hname += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._hname.lower()] = self._hvalue
        self._hname = self._hvalue = b""

    def _headers_finished(self) -> None:
        self._parts += 1
        if self._parts > _MAX_PARTS:
            raise _refused("file.E008", msg("表单部分过多", "too many form parts"))
        _, opts = parse_options_header(self._headers.get(b"content-disposition"))
        part = opts.get(b"name", b"").decode("utf-8", errors="replace")
        if b"filename" not in opts or not opts[b"filename"]:  # a text part, or a form sent with no file chosen
            self._part = part if b"filename" not in opts else None
            return
        if part != "file" or self.incoming is not None:
            raise _refused("file.E008", msg("每次上传一个文件，放在名为 file 的部分",
                                            "upload one file at a time, in the part named file"))
        self.name = clean_name(opts[b"filename"])
        if all(self.values.get(k) for k in _TARGET_KEYS):
            self.target = resolve_target(self.rt, self.actor, self.values)  # refused before a byte is kept
            limit = self.target.limits.max_bytes
        else:
            limit = int(self.rt.settings.get("max_upload_mb", DEFAULT_MAX_UPLOAD_MB)) * 1024 * 1024
        self.incoming = self.store.incoming(limit)
        self._part = "file"

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._part == "file":
            assert self.incoming is not None
            self.incoming.write(data[start:end])
            return
        self._text += data[start:end]
        if len(self._text) > _MAX_TEXT_PART:
            raise _refused("file.E008", msg(f"表单字段 {self._part} 过长", f"form field {self._part} is too long"),
                           path=self._part or "")

    def _end(self) -> None:
        if self._part in _TARGET_KEYS:
            self.values.setdefault(self._part, self._text.decode("utf-8", errors="replace").strip())

    def _too_large(self) -> ValidationFailed:
        if self.target is not None:
            mb = self.target.limits.max_size_mb
        else:
            mb = self.rt.settings.get("max_upload_mb", DEFAULT_MAX_UPLOAD_MB)
        limit = show_mb(Decimal(str(mb)))
        return _refused("file.E002", msg(f"文件 {self.name} 超过上限 {limit}",
                                         f"{self.name} is over the limit of {limit}"))

    def save(self) -> dict[str, Any]:
        """Check what arrived against the field, keep it under a new id, and record it."""
        inc = self.incoming
        if inc is None:
            raise _refused("file.E001", msg("请选择要上传的文件 (表单部分 file)",
                                            "choose a file to upload (the part file)"))
        if self.target is None:
            self.target = resolve_target(self.rt, self.actor, self.values)
        lim = self.target.limits
        if inc.size > lim.max_bytes:
            inc.discard()
            raise self._too_large()
        if inc.size == 0:
            raise _refused("file.E001", msg(f"文件 {self.name} 是空的", f"{self.name} is empty"))
        content_type, problem = classify(self.name, inc.head)
        if problem:
            raise _refused("file.E004", problem)
        refused = file_problem(lim, self.name, inc.size, content_type)
        if refused:
            raise _refused(*refused)
        sha256 = inc.finish()
        fid = new_file_id()
        self.store.keep(inc, fid)
        row = {"id": fid, "name": self.name, "size": inc.size, "content_type": content_type, "sha256": sha256,
               "uploaded_by": self.actor.user_id, "uploaded_at": self.rt.clock(), "app": self.target.app,
               "entity": self.target.entity, "field": self.target.field, "record_id": None}
        try:
            with self.rt.transaction() as c:
                c.execute(self.rt.db.core["file"].insert().values(**row))
        except BaseException:
            self.store.remove(fid)
            raise
        return {k: row[k] for k in KEYS}

    def discard(self) -> None:
        if self.incoming is not None:
            self.incoming.discard()


@router.post("/api/v1/files", status_code=201, summary="Upload a file for a field / 上传文件",
             openapi_extra=_UPLOAD_BODY)
async def upload_file(request: Request, rt: Runtime = Depends(get_runtime),
                      actor: Actor = Depends(get_actor)) -> Any:
    reader = UploadReader(rt, actor, dict(request.query_params))
    try:
        await reader.read(request)
        saved = await run_in_threadpool(reader.save)
    finally:
        reader.discard()  # whatever was not kept
    return JimuJSONResponse(saved, status_code=201)


# --- download --------------------------------------------------------------------------------------------
def _not_found() -> NotFound:
    return NotFound("file.E404", msg("文件不存在", "file not found"))


def content_disposition(kind: str, name: str) -> str:
    """RFC 6266 with RFC 5987's ``filename*`` for names beyond ASCII (Chinese ones), and a plain
    ASCII ``filename`` for the clients that know no better."""
    fallback = re.sub(r"[^\x20-\x7e]+", "_", name).replace('"', "_").replace("\\", "_").strip() or "file"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get("/api/v1/records/{app}/{entity}/{record_id}/files/{file_id}",
            summary="Download a file of a record / 下载记录的附件", response_class=FileResponse)
def download_file(app: str, entity: str, record_id: Id, file_id: str,
                  download: bool = Query(False, description="always as a download, never shown inline"),
                  rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    if not is_file_id(file_id):
        raise _not_found()
    compiled = rt.app(app)
    ent = compiled.entity(entity)
    try:
        # the one read path: row scope, and the fields hidden from this user on this row left out
        record = RecordReader(rt, compiled, ent, actor).get(record_id)
    except NotFound:
        raise _not_found() from None
    holder = next((f.name for f in ent.fields if f.type_name in KINDS
                   and any(item.get("id") == file_id for item in record.get(f.name) or ())), None)
    if holder is None:
        raise _not_found()
    t = rt.db.core["file"]
    with rt.connect() as c:
        row = c.execute(sa.select(t).where(t.c.id == file_id, t.c.app == compiled.name, t.c.entity == ent.name,
                                           t.c.field == holder, t.c.record_id == record_id)).first()
    path = FileStore.of(rt).path(file_id)
    if row is None or not path.is_file():
        raise _not_found()
    inline = row.content_type in INLINE_SAFE and not download
    headers = {"Content-Disposition": content_disposition("inline" if inline else "attachment", row.name),
               "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-cache",
               "Cross-Origin-Resource-Policy": "same-origin"}
    if row.content_type != PDF:  # a browser's PDF viewer does not run in a sandbox
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return FileResponse(path, media_type=row.content_type, headers=headers)
