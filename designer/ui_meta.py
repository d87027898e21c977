"""An entity as the web app needs it: GET /api/v1/ui/entities/{app}/{entity}.

The definition's fields (without the ones hidden from the user), each with what a page needs to show,
filter and sort it — the type of value it holds (a formula's result, a lookup's source field with
its options), the filter operators it takes, whether it sorts — the default list columns (the form's
layout order), and what the user may do. Every page is built from this: no page knows an entity.
"""
from __future__ import annotations

from typing import Any, Mapping

from fastapi import APIRouter, Depends

from engine.api.deps import get_actor, get_runtime
from engine.api.jsonio import JimuJSONResponse
from engine.api.my_access import entity_access
from engine.identity.actor import Actor
from engine.runtime import Runtime

from .write_locks import locked_fields

router = APIRouter(prefix="/api/v1/ui", tags=["web app"], default_response_class=JimuJSONResponse)

LIST_COLUMNS = 6
# value types a list column shows and sorts well; the others (sub-tables, files, long text) do not
SORTABLE = frozenset({"text", "email", "phone", "url", "number", "money", "percent", "rating", "boolean", "date",
                      "datetime", "time", "select", "cascade", "autonumber", "user", "department", "relation"})
NOT_A_COLUMN = frozenset({"subtable", "attachment", "image", "richtext", "textarea"})


def layout_names(layout: Mapping[str, Any]) -> list[str]:
    """Field names in the order the form shows them: tabs, then sections, then fields."""
    out: list[str] = []
    sections = list(layout.get("sections") or ())
    for tab in layout.get("tabs") or ():
        sections.extend(tab.get("sections") or ())
    for section in sections:
        for item in section.get("fields") or ():
            name = item.get("name") if isinstance(item, Mapping) else item
            if isinstance(name, str) and name not in out:
                out.append(name)
    return out


def field_meta(app, f) -> dict[str, Any]:
    kinds = getattr(f.ftype, "kinds", None)  # computed kinds know the type of value they hold
    value_type, value_def = f.type_name, {}
    if kinds is not None:
        value_type, value_def = kinds.value_type(app, f).name, dict(kinds.value_def(app, f))
    return {
        **dict(f.definition), "label": dict(f.label),
        "value_type": value_type, "value_def": value_def,
        "relation_to": f.relation_to,
        "relation_label": dict(app.entity(f.relation_to).label) if f.relation_to else None,
        "filter_ops": sorted(f.ftype.filter_ops) if f.stored else [],
        "sortable": f.stored and value_type in SORTABLE,
    }


def _without_hidden_columns(meta: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """A sub-table without its columns hidden from the user ("lines.margin": derived from a hidden field)."""
    cols = meta.get("fields")
    if isinstance(cols, list):
        meta["fields"] = [c for c in cols
                          if not (isinstance(c, Mapping) and f"{meta['name']}.{c.get('name')}" in hidden)]
    return meta


def entity_meta(rt: Runtime, app_name: str, entity_name: str, actor: Actor) -> dict[str, Any]:
    app = rt.app(app_name)
    ent = app.entity(entity_name)
    access = entity_access(rt, app, ent, actor)
    hidden = set(access["hidden"])
    fields = [_without_hidden_columns(field_meta(app, f), hidden) for f in ent.fields if f.name not in hidden]
    by_name = {f["name"]: f for f in fields}
    ordered = [n for n in layout_names(ent.layout) if n in by_name]
    ordered += [f["name"] for f in fields if f["name"] not in ordered]
    columns = [n for n in ordered if by_name[n]["value_type"] not in NOT_A_COLUMN][:LIST_COLUMNS]
    return {"app": {"name": app.name, "label": dict(app.label)}, "name": ent.name, "label": dict(ent.label),
            "title": ent.title, "searchable": [".".join(p) for p in ent.searchable], "layout": dict(ent.layout),
            "fields": fields, "field_order": ordered, "list_columns": columns,
            "actions": access["actions"], "hidden": access["hidden"],
            "locked": locked_fields(rt, app, ent, actor)}  # read-only to this user (write_locks)


@router.get("/entities/{app}/{entity}", summary="An entity for the web app's pages / 页面所需的实体定义")
def get_entity(app: str, entity: str, rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse(entity_meta(rt, app, entity, actor))
