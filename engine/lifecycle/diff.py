"""Comparing two versions of a definition by identity: lists of objects that carry an ``id`` (flow
nodes) are matched by it, options by value, fields by name; anything else is compared as JSON."""
from __future__ import annotations

from typing import Any


def changed_keys(old: dict, new: dict, skip: frozenset[str] = frozenset()) -> list[str]:
    """The top-level keys whose values differ (a key present on one side only counts)."""
    return sorted(k for k in (old.keys() | new.keys()) - skip if old.get(k) != new.get(k))


def changed_paths(old: Any, new: Any, path: str = "") -> list[str]:
    """The JSON paths where ``new`` differs from ``old``: ``items[2].label``, ``nodes[id=approve].to``
    (list items carrying an ``id`` are matched by it, so a reordering is not a change of every item)."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for k in sorted(old.keys() | new.keys(), key=str):
            out += changed_paths(old.get(k), new.get(k), f"{path}.{k}" if path else str(k))
        return out
    if isinstance(old, list) and isinstance(new, list):
        if _by_id(old) is not None and _by_id(new) is not None:
            a, b = _by_id(old), _by_id(new)
            out = []
            for i in list(a) + [i for i in b if i not in a]:
                out += changed_paths(a.get(i), b.get(i), f"{path}[id={i}]")
            if not out:  # the same items, in another order
                out.append(f"{path} (order)")
            return out
        if len(old) == len(new):
            out = []
            for i, (x, y) in enumerate(zip(old, new)):
                out += changed_paths(x, y, f"{path}[{i}]")
            return out
    return [path or "$"]


def _by_id(items: list) -> dict | None:
    if not items or not all(isinstance(x, dict) and isinstance(x.get("id"), (str, int)) for x in items):
        return None
    ids = {x["id"]: x for x in items}
    return ids if len(ids) == len(items) else None


def options_diff(old: list | None, new: list | None) -> dict[str, list]:
    """A select's options by value: added, removed, relabelled (label changed), changed (anything else)."""
    a = {o.get("value"): o for o in old or () if isinstance(o, dict)}
    b = {o.get("value"): o for o in new or () if isinstance(o, dict)}
    renamed = option_renames(old, new)
    out = {"added": [v for v in b if v not in a and v not in renamed.values()],
           "removed": [v for v in a if v not in b and v not in renamed],
           "renamed": [f"{was}→{v}" for was, v in renamed.items()],
           "relabelled": [v for v in b if v in a and a[v].get("label") != b[v].get("label")],
           "changed": [v for v in b if v in a and a[v] != b[v] and a[v].get("label") == b[v].get("label")]}
    if not any(out.values()) and [*a] != [*b]:
        out["reordered"] = [*b]
    return {k: v for k, v in out.items() if v}


def option_renames(old: list | None, new: list | None) -> dict[str, str]:
    """{old value: new value} for options declaring ``renamed_from`` an old value the new list lacks:
    rows holding the old value are given the new one by an upgrade."""
    a = {o.get("value") for o in old or () if isinstance(o, dict)}
    b = {o.get("value") for o in new or () if isinstance(o, dict)}
    out: dict[str, str] = {}
    for o in new or ():
        was = o.get("renamed_from") if isinstance(o, dict) else None
        if isinstance(was, str) and was in a and was not in b and was not in out:
            out[was] = o.get("value")
    return out


def match_named(old: dict[str, dict], new: dict[str, dict]) -> tuple[list, list, list]:
    """(added names, removed names, [(old name, new name)] kept or renamed): a new item with
    ``renamed_from`` naming an old one that the new side no longer has is that one, renamed."""
    pairs, added = [], []
    used: set[str] = set()
    for name, body in new.items():
        if name in old:
            pairs.append((name, name))
            used.add(name)
            continue
        was = body.get("renamed_from") if isinstance(body, dict) else None
        if isinstance(was, str) and was in old and was not in new and was not in used:
            pairs.append((was, name))
            used.add(was)
        else:
            added.append(name)
    removed = [n for n in old if n not in used]
    return added, removed, pairs
