"""A revert undoes renames: the old version's definitions never said ``renamed_from`` the names an
upgrade gave later, so, read as they were stored, a renamed entity, field or option would plan as
one removed (its data with it) and another added. Before a revert is planned, each name the
installed definitions took with ``renamed_from`` is turned back the same way: the old body gets
``renamed_from: <installed name>``, and the ordinary plan then renames, keeping every row.
"""
from __future__ import annotations

import copy
from typing import Any


def undo_renames(current: dict[tuple[str, str], Any], target: dict[tuple[str, str], Any]) -> dict:
    """``target`` (the bodies to revert to) with ``renamed_from`` set wherever ``current`` (the installed
    bodies) renamed an entity, field or option that ``target`` still has under its old name."""
    out = dict(target)
    now = {n: b for (k, n), b in current.items() if k == "entity" and isinstance(b, dict)}
    then = {n: b for (k, n), b in target.items() if k == "entity" and isinstance(b, dict)}
    for name, body in now.items():
        was = body.get("renamed_from")
        old_name = was if was in then and name not in then else name
        if old_name not in then:
            continue
        old = copy.deepcopy(then[old_name])
        if old_name != name:
            old["renamed_from"] = name
        _fields(body.get("fields") or [], old.get("fields") or [])
        out[("entity", old_name)] = old
    return out


def _fields(now: list, then: list) -> None:
    """Fields (and a sub-table's columns, nested ``fields``) and options, in place in ``then``."""
    by_name = {f.get("name"): f for f in then if isinstance(f, dict)}
    for f in now:
        if not isinstance(f, dict):
            continue
        name, was = f.get("name"), f.get("renamed_from")
        target = by_name.get(name)
        if target is None and was in by_name and name not in by_name:
            target = by_name[was]
            target["renamed_from"] = name
        if target is None:
            continue
        _options(f.get("options") or [], target.get("options") or [])
        _fields(f.get("fields") or [], target.get("fields") or [])


def _options(now: list, then: list) -> None:
    values = {o.get("value"): o for o in then if isinstance(o, dict)}
    for o in now:
        if not isinstance(o, dict):
            continue
        value, was = o.get("value"), o.get("renamed_from")
        if value not in values and was in values:
            values[was]["renamed_from"] = value
