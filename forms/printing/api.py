"""Printing over REST, joining the API as the form engine's router:

    GET /api/v1/records/{app}/{entity}/print-templates?lang=    the templates, for a print menu
    GET /api/v1/records/{app}/{entity}/{id}/print/{template}?lang=zh|en    the record as a PDF

Both need the ``print`` grant (the platform admin bypasses it). The record is read through
``RecordReader``: one the user may not read is 404, a field hidden from them prints blank.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response

from engine.api.deps import Id, get_actor, get_runtime
from engine.api.jsonio import JimuJSONResponse
from engine.errors import Forbidden, NotFound, ValidationFailed, detail, msg
from engine.identity.event_log import log_event
from engine.identity.permissions import grants_for
from engine.records.read_path import RecordReader

from .context import label_in, print_context
from .pdf import LayoutError, PageSetup, html_to_pdf
from .templates import PrintTemplate, render_html, templates_of

router = APIRouter(prefix="/api/v1/records", tags=["records"], default_response_class=JimuJSONResponse)
LANGS = ("zh", "en")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


def require_print(rt, app: str, entity: str, actor) -> None:
    ent = rt.app(app).entity(entity)
    if actor.bypass or any(g.print for g in grants_for(rt, app, entity, actor)):
        return
    raise Forbidden("print.E403", msg(f"没有打印{ent.label.get('zh', entity)}的权限",
                                      f"you may not print {ent.label.get('en', entity)} records"))


def _lang(lang: str | None, actor) -> str:
    lang = lang or (actor.language if actor.language in LANGS else "zh")
    if lang not in LANGS:
        raise ValidationFailed("print.E007", msg("lang 应为 zh 或 en", "lang must be zh or en"),
                               [detail("lang", "zh 或 en", "zh or en")])
    return lang


def _template(entity, name: str) -> PrintTemplate:
    for t in templates_of(entity):
        if t.name == name:
            return t
    raise NotFound("print.E404", msg(f"{entity.label.get('zh', entity.name)}没有打印模板 {name}",
                                     f"{entity.label.get('en', entity.name)} has no print template {name}"))


@router.get("/{app}/{entity}/print-templates", summary="Print templates of an entity / 打印模板列表")
def list_templates(app: str, entity: str, rt=Depends(get_runtime), actor=Depends(get_actor)) -> Any:
    require_print(rt, app, entity, actor)
    ent = rt.app(app).entity(entity)
    return JimuJSONResponse({"items": [{"name": t.name, "label": dict(t.label)} for t in templates_of(ent)]})


@router.get("/{app}/{entity}/{record_id}/print/{template}", summary="Print a record to PDF / 打印记录",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def print_record(app: str, entity: str, record_id: Id, template: str,
                 lang: str | None = Query(None, description="zh or en (default: the user's language)"),
                 rt=Depends(get_runtime), actor=Depends(get_actor)) -> Any:
    require_print(rt, app, entity, actor)
    a = rt.app(app)
    ent = a.entity(entity)
    tpl = _template(ent, template)
    lang = _lang(lang, actor)
    reader = RecordReader(rt, a, ent, actor)
    with rt.connect() as c:
        record = reader.get(record_id, conn=c)
        context = print_context(rt, a, ent, record, lang=lang, actor=actor, conn=c)
    where = f"{entity}.{template}"
    html = render_html(tpl, context, where=where)
    title = str(record.get("title") or f"{label_in(ent.label, lang, entity)} {record_id}")
    try:
        pdf = html_to_pdf(html, PageSetup.of(tpl.page), title=title, lang=lang)
    except LayoutError as e:
        raise ValidationFailed("print.E005", msg(f"打印模板 {where} 的 HTML 无法排版: {e}",
                                                 f"print template {where}: the HTML cannot be laid out: {e}"),
                               [detail(f"print_templates.{template}", str(e), str(e))]) from None
    with rt.transaction() as c:  # who printed which record, like exports: a document left the system
        log_event(rt, c, "print", actor=actor.user_id, target=f"record:{app}.{entity}.{record_id}",
                  detail={"app": app, "entity": entity, "record": record_id, "template": template, "lang": lang})
    name = _UNSAFE_NAME.sub("_", f"{tpl.label_in(lang)}-{title}").strip() + ".pdf"
    disposition = f"inline; filename=\"{entity}-{record_id}.pdf\"; filename*=UTF-8''{quote(name)}"
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})
