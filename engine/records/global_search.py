"""Global search: one keyword over every entity of every installed app, each through the read path
(``RecordReader.list`` with ``q``), so a user finds exactly what the entity's list would show them —
never a record out of their scope, never by a field hidden from them."""
from __future__ import annotations

from typing import Any

from ..errors import ValidationFailed, detail, msg
from .read_path import ListQuery, RecordReader

Q_MAX = 100
PER_ENTITY_MAX = 20


def search_everywhere(runtime, actor, q: str, per_entity: int = 5) -> dict[str, Any]:
    """The first ``per_entity`` hits of each entity (newest change first) with the entity's total;
    entities without a hit are left out. Apps by name, entities in their definition order."""
    q = (q or "").strip()
    problems = []
    if not q or len(q) > Q_MAX:
        problems.append(detail("q", f"请输入 1 到 {Q_MAX} 个字符", f"give 1 to {Q_MAX} characters"))
    if not 1 <= per_entity <= PER_ENTITY_MAX:
        problems.append(detail("per_entity", f"应为 1 到 {PER_ENTITY_MAX}", f"must be 1 to {PER_ENTITY_MAX}"))
    if problems:
        raise ValidationFailed("search.E001", msg("搜索参数有误", "invalid search"), problems)
    groups = []
    with runtime.connect() as c:
        for app_name in sorted(runtime.apps):
            app = runtime.app(app_name)
            for ent in app.entities.values():
                if not ent.searchable:
                    continue
                found = RecordReader(runtime, app, ent, actor).list(
                    ListQuery(q=q, page_size=per_entity, sort=["-updated_at"]), conn=c)
                if not found["total"]:
                    continue
                groups.append({"app": app.name, "app_label": dict(app.label), "entity": ent.name,
                               "label": dict(ent.label), "total": found["total"],
                               "hits": [{"id": i["id"], "title": i["title"]} for i in found["items"]]})
    return {"q": q, "items": groups, "total": sum(g["total"] for g in groups)}
