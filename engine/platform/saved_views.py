"""Saved list views: a user's named filter, sort and columns for one entity's list.

A view belongs to one user; to everyone else it does not exist (404), platform admins included — it
is a preference, not a record. A view is checked when saved the way the list will use it: its filter
and sort go through the read path as that user (unknown or hidden fields and bad operators are 422),
and its columns must be fields the user can see. Applying a view is an ordinary list request, so
whatever it filters on, the user's permissions still decide which rows come back.
"""
from __future__ import annotations

from typing import Any, Mapping

import simplejson
import sqlalchemy as sa

from ..errors import Conflict, JimuError, NotFound, ValidationFailed, detail, msg
from ..records.read_path import SYSTEM_OUT, ListQuery

NAME_MAX = 64
FILTER_MAX = 20_000  # characters of JSON
MAX_PER_LIST = 100  # views of one user on one entity
_KEYS = {"app", "entity", "name", "filters", "sort", "columns"}


def dumps(filters: Any) -> str:
    return simplejson.dumps(filters, use_decimal=True, ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> Any:
    return simplejson.loads(text, use_decimal=True)


def _not_found(view_id: Any) -> NotFound:
    return NotFound("view.E404", msg(f"视图 {view_id} 不存在", f"view {view_id} not found"))


def _checked(runtime, actor, app: str, entity: str, data: Mapping[str, Any], creating: bool) -> dict[str, Any]:
    """The columns to store, every problem of the input reported at once (422)."""
    problems: list[dict] = []
    fixed = {"app", "entity"} if not creating else set()
    for k in sorted(set(data) - (_KEYS - fixed)):
        problems.append(detail(k, "未知或不可修改的字段", "unknown field, or one that cannot be changed"))
    out: dict[str, Any] = {}
    if creating or "name" in data:
        name = data.get("name")
        name = name.strip() if isinstance(name, str) else ""
        if not name or len(name) > NAME_MAX:
            problems.append(detail("name", f"请填写名称（最多 {NAME_MAX} 个字符）",
                                   f"give a name (at most {NAME_MAX} characters)"))
        out["name"] = name
    if creating or "filters" in data:
        filters = {} if data.get("filters") is None else data["filters"]
        if not isinstance(filters, dict) or len(dumps(filters)) > FILTER_MAX:
            problems.append(detail("filters", "应为对象（如列表接口的 filter）",
                                   "must be an object (the list endpoint's filter)"))
            filters = {}
        out["filters"] = filters
    if creating or "sort" in data:
        sort = [] if data.get("sort") is None else data["sort"]
        if not isinstance(sort, list) or not all(isinstance(s, str) and s.strip() for s in sort):
            problems.append(detail("sort", "应为字段路径列表，如 [\"-amount\"]",
                                   "must be a list of paths like [\"-amount\"]"))
            sort = []
        out["sort"] = sort
    if creating or "columns" in data:
        cols = [] if data.get("columns") is None else data["columns"]
        if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols):
            problems.append(detail("columns", "应为字段名列表", "must be a list of field names"))
            cols = []
        out["columns"] = cols
    if problems:
        raise ValidationFailed("view.E001", msg("视图设置有误", "invalid view"), problems)
    reader = runtime.records(app, entity, actor).reader()
    if "filters" in out or "sort" in out:
        try:  # the list request the view stands for, as this user: same checks, same messages
            reader.list(ListQuery(filters=out.get("filters", {}), sort=out.get("sort", []), page_size=1))
        except ValidationFailed as e:
            raise ValidationFailed("view.E002", msg("视图的筛选或排序有误", "the view's filter or sort is invalid"),
                                   e.details) from None
    if out.get("columns"):
        shown = {f.name for f in reader.entity.fields if f.name not in reader.scope.hidden} | set(SYSTEM_OUT) | {"id"}
        bad = [detail(f"columns[{i}]", f"未知字段 '{c}'", f"unknown field '{c}'")
               for i, c in enumerate(out["columns"]) if c not in shown]
        if bad:
            raise ValidationFailed("view.E003", msg("视图的列有误", "the view's columns are invalid"), bad)
    return out


def _dump(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "app": row["app"], "entity": row["entity"], "name": row["name"],
            "filters": loads(row["filters"]), "sort": list(row["sort"]), "columns": list(row["columns"]),
            "created_at": row["created_at"], "updated_at": row["updated_at"]}


def _name_taken(e: sa.exc.IntegrityError) -> Conflict:
    return Conflict("view.E409", msg("已有同名视图", "a view with this name exists"),
                    [detail("name", "名称重复", "the name is taken")])


def list_views(runtime, actor, app: str | None = None, entity: str | None = None) -> list[dict[str, Any]]:
    v = runtime.db.core["saved_view"]
    conds = [v.c.user_id == actor.user_id]
    if app is not None:
        conds.append(v.c.app == app)
    if entity is not None:
        conds.append(v.c.entity == entity)
    with runtime.connect() as c:
        rows = c.execute(sa.select(v).where(*conds).order_by(v.c.app, v.c.entity, v.c.name, v.c.id)).mappings()
        return [_dump(r) for r in rows]


def _load_own(conn, runtime, actor, view_id: int) -> Mapping[str, Any]:
    v = runtime.db.core["saved_view"]
    row = conn.execute(sa.select(v).where(v.c.id == view_id, v.c.user_id == actor.user_id)).mappings().first()
    if row is None:
        raise _not_found(view_id)
    return row


def get_view(runtime, actor, view_id: int) -> dict[str, Any]:
    with runtime.connect() as c:
        return _dump(_load_own(c, runtime, actor, view_id))


def create_view(runtime, actor, data: Mapping[str, Any]) -> dict[str, Any]:
    app, entity = data.get("app"), data.get("entity")
    if not isinstance(app, str) or not isinstance(entity, str):
        raise ValidationFailed("view.E001", msg("视图设置有误", "invalid view"),
                               [detail(k, "必填", "required") for k in ("app", "entity")
                                if not isinstance(data.get(k), str)])
    try:
        runtime.app(app).entity(entity)
    except JimuError as e:  # an unknown app or entity is a problem of the input here, not a missing page
        raise ValidationFailed("view.E001", msg("视图设置有误", "invalid view"),
                               [{"path": "entity", "message": e.message}]) from None
    values = _checked(runtime, actor, app, entity, data, creating=True)
    v = runtime.db.core["saved_view"]
    now = runtime.clock()
    try:
        with runtime.transaction() as c:
            n = c.execute(sa.select(sa.func.count()).select_from(v).where(
                v.c.user_id == actor.user_id, v.c.app == app, v.c.entity == entity)).scalar_one()
            if n >= MAX_PER_LIST:
                raise ValidationFailed("view.E004", msg(f"每个列表最多保存 {MAX_PER_LIST} 个视图",
                                                        f"at most {MAX_PER_LIST} views per list"))
            vid = c.execute(v.insert().values(
                user_id=actor.user_id, app=app, entity=entity, name=values["name"], filters=dumps(values["filters"]),
                sort=values["sort"], columns=values["columns"], created_at=now, updated_at=now)).inserted_primary_key[0]
            return _dump(_load_own(c, runtime, actor, vid))
    except sa.exc.IntegrityError as e:
        raise _name_taken(e) from None


def update_view(runtime, actor, view_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    with runtime.connect() as c:
        row = _load_own(c, runtime, actor, view_id)
    values = _checked(runtime, actor, row["app"], row["entity"], data, creating=False)
    if "filters" in values:
        values["filters"] = dumps(values["filters"])
    v = runtime.db.core["saved_view"]
    try:
        with runtime.transaction() as c:
            _load_own(c, runtime, actor, view_id)  # still there, still theirs
            c.execute(v.update().where(v.c.id == view_id).values(updated_at=runtime.clock(), **values))
            return _dump(_load_own(c, runtime, actor, view_id))
    except sa.exc.IntegrityError as e:
        raise _name_taken(e) from None


def delete_view(runtime, actor, view_id: int) -> None:
    v = runtime.db.core["saved_view"]
    with runtime.transaction() as c:
        _load_own(c, runtime, actor, view_id)
        c.execute(v.delete().where(v.c.id == view_id))
