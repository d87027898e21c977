"""Local changes: definitions edited in place (``PUT /api/v1/apps/{app}/definitions/{kind}/{name}``)
rather than shipped by the vendor's bundle, and what an install of a bundle does with them.

A definition is changed locally when its content is not that of its vendor base (``base_version``,
engine/definition_store.py); a local edit undone is the vendor's again. Installing a bundle over the
app never overwrites one silently: the install applies the bundle everywhere else and keeps the local
body in place of the bundle's, checked as a whole app first (the same checks as ``jimu check``); if
the app with the local body kept does not check, the install stops and nothing is applied.
``overwrite_local`` (``--overwrite-local``) applies the bundle's version anyway. The base is left
where it was, so a three-way merge (base, local, new vendor version) can come later. A local edit
itself is an install too: the app's stored documents with one replaced, checked and applied through
``install_bundle`` with origin ``local``.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from ..definition_store import VENDOR_ORIGINS, local_changes
from ..errors import JimuError, msg


def documents_zip(runtime, docs: dict[str, Any], seeds: list | tuple = ()) -> bytes:
    """An app's documents ({"app", "roles", "entities", "definitions"}, as CompiledApp.documents holds
    them) as the bytes of a bundle .zip, written as ``jimu export`` writes them (engine/lifecycle/export.py:
    a decimal the database keeps as text is a number again), so the bundle checker and the installer
    read them as they read any bundle. ``seeds`` are parsed seed Documents to put beside them."""
    from .export import definition_files
    from .export_yaml import dump_yaml
    from .export_zip import zip_bytes

    bodies: dict[tuple[str, str], Any] = {("app", docs["app"].get("app")): docs["app"],
                                          ("roles", "roles"): docs.get("roles")}
    bodies.update({("entity", n): b for n, b in (docs.get("entities") or {}).items()})
    bodies.update({(k, n): b for k, named in (docs.get("definitions") or {}).items() for n, b in named.items()})
    files = {name: text.encode("utf-8") for name, text in definition_files(runtime, bodies).items()}
    for doc in seeds:
        files[doc.name] = dump_yaml(doc.data).encode("utf-8")
    return zip_bytes(files)


def check_documents(runtime, docs: dict[str, Any], seeds: list | tuple = ()):
    """``(CheckResult, zip bytes)``: ``docs`` checked as ``jimu check`` checks a bundle."""
    from ..bundle.checker import check_bundle

    data = documents_zip(runtime, docs, seeds)
    return check_bundle(data, runtime.field_types), data


def source_documents(src) -> dict[str, Any]:
    """A checked bundle's documents in the shape CompiledApp.documents has, as the database stores them."""
    from .plan import _as_stored

    return _as_stored({"app": src.app, "entities": {d["entity"]: d for _, d in src.entities},
                       "roles": src.roles, "definitions": src.definitions})


def get_body(docs: dict[str, Any], kind: str, name: str) -> Any:
    if kind == "app":
        return docs.get("app")
    if kind == "roles":
        return docs.get("roles")
    if kind == "entity":
        return (docs.get("entities") or {}).get(name)
    return ((docs.get("definitions") or {}).get(kind) or {}).get(name)


def set_body(docs: dict[str, Any], kind: str, name: str, body: Any) -> None:
    if kind == "app":
        docs["app"] = body
    elif kind == "roles":
        docs["roles"] = body
    elif kind == "entity":
        docs.setdefault("entities", {})[name] = body
    else:
        docs.setdefault("definitions", {}).setdefault(kind, {})[name] = body


def kept_local(runtime, src, *, overwrite_local: bool = False) -> dict[tuple[str, str], Any]:
    """(kind, name) -> local body, for each definition of the installed app that was changed locally
    and that the bundle ``src`` would replace with something else. Empty when the app is not
    installed or ``overwrite_local``."""
    app = (src.app or {}).get("app")
    if overwrite_local or not isinstance(app, str) or app not in runtime.apps:
        return {}
    with runtime.connect() as c:
        local = local_changes(runtime, c, app)
    if not local:
        return {}
    docs = source_documents(src)
    return {key: row["body"] for key, row in local.items() if get_body(docs, *key) != row["body"]}


def keep_local_changes(runtime, src, *, origin: str = "bundle", overwrite_local: bool = False):
    """``(source, kept)``: the bundle ``src`` with the app's local changes kept in place of the bundle's
    bodies, checked as a whole, and the (kind, name) pairs kept. An install of any origin but a vendor
    bundle (a local edit, a revert) or with ``overwrite_local`` gets ``src`` back unchanged. Raises
    install.E010 (409) with every problem when the app with the local bodies kept does not check."""
    if origin not in VENDOR_ORIGINS:
        return src, []
    keep = kept_local(runtime, src, overwrite_local=overwrite_local)
    if not keep:
        return src, []
    from ..bundle.source import BundleSource

    docs = copy.deepcopy({"app": src.app, "entities": {d["entity"]: d for _, d in src.entities},
                          "roles": src.roles, "definitions": src.definitions})
    for (kind, name), body in keep.items():
        body = copy.deepcopy(body)
        if kind == "app":  # the vendor's version number and dependencies move on whatever was edited
            body = {**body, **{k: docs["app"][k] for k in ("version", "depends") if k in docs["app"]}}
        set_body(docs, kind, name, body)
    checked, _zip = check_documents(runtime, docs, src.seeds)
    kept = sorted(keep)
    if checked.errors or checked.source is None:
        names = ", ".join(f"{k} {n}" for k, n in kept)
        raise JimuError("install.E010", msg(
            f"保留本地修改 ({names}) 后应用校验不通过，未做任何更改；可用 --overwrite-local 改用应用包中的版本",
            f"with the local changes kept ({names}) the app does not check; nothing was applied. "
            "--overwrite-local applies the bundle's versions instead"),
            details=[{"kept": [{"kind": k, "name": n} for k, n in kept]}, *(e.to_dict() for e in checked.errors)],
            status=409)
    return BundleSource(src.origin, checked.source.documents, src.problems), kept


def plan_source(runtime, src, overwrite_local: bool = False):
    """For a plan: ``(source, kept)``, the bundle with the app's local changes kept, as the install will
    take it, and the kept (kind, name) pairs. When keeping them does not check, the install will refuse
    (install.E010): the plan is made of the bundle as it is."""
    kept = sorted(kept_local(runtime, src, overwrite_local=overwrite_local))
    if not kept:
        return src, []
    try:
        return keep_local_changes(runtime, src, overwrite_local=overwrite_local)[0], kept
    except JimuError:
        return src, kept


def mark_kept_local(runtime, plan, src, kept: list[tuple[str, str]]):
    """``plan`` (made of the bundle with its local changes kept) with the bundle's own changes to the
    kept definitions among its items, marked ``local_change_kept``: what the vendor changed and the
    install will not apply. The plan's action counts only what it applies."""
    from .plan import KIND_ORDER, _as_stored, definition_changes

    if not kept or plan.action == "install":
        return plan
    new_docs = source_documents(src)
    old_docs = _as_stored(dict(runtime.apps[plan.app].compiled.documents))
    present = {(i.kind, i.name) for i in plan.items}
    marked = []
    for i in definition_changes(old_docs, new_docs):
        if _definition_of(i) in kept and (i.kind, i.name) not in present:
            i.details["local_change_kept"] = True
            marked.append(i)
    order = {k: n for n, k in enumerate(KIND_ORDER)}
    plan.items = sorted([*plan.items, *marked], key=lambda i: (order.get(i.kind, len(order)), i.kind))
    plan.kept_local = [{"kind": k, "name": n} for k, n in kept]
    return plan


def _definition_of(item) -> tuple[str, str]:
    """The stored definition (kind, name) a plan item is part of."""
    if item.kind == "app":
        return "app", item.name
    if item.kind in ("role", "grant"):
        return "roles", "roles"
    if item.kind in ("entity", "field", "print_template"):
        return "entity", item.name.split(".")[0]
    return item.kind, item.name


def edit_definition(runtime, app: str, kind: str, name: str, body: Any, *, actor_id: int | None = None):
    """Replace one definition of an installed app with ``body``: the app's stored documents with it
    replaced are checked as ``jimu check`` checks a bundle (BundleInvalid, 422, with every problem and
    its path) and applied as an install of origin ``local``. Returns the InstallResult."""
    from ..install import install_bundle

    compiled = runtime.app(app)  # 404 for an app that is not installed
    if not isinstance(body, dict):
        from ..errors import ValidationFailed

        raise ValidationFailed("definition.E422", msg("定义应为 JSON 对象", "a definition must be a JSON object"),
                               [{"path": "body", "message": msg("应为对象", "must be an object")}])
    docs = json.loads(json.dumps(compiled.documents, default=str))
    _check_names(app, kind, name, body)
    set_body(docs, kind, name, body)
    checked, data = check_documents(runtime, docs)
    checked.raise_for_errors()
    return install_bundle(runtime, data, upgrade=True, origin="local", actor_id=actor_id)


def _check_names(app: str, kind: str, name: str, body: dict) -> None:
    """The body names the definition the URL names (an entity's ``entity``, the manifest's ``app``):
    a rename is a different operation."""
    from ..errors import ValidationFailed
    from ..kinds import declared_kinds

    key = {"app": "app", "entity": "entity"}.get(kind)
    if kind == "app" and name != app or kind == "roles" and name != "roles":
        raise ValidationFailed("definition.E423", msg(f"{kind} 定义的名称应为 {app if kind == 'app' else 'roles'}",
                                                      f"the {kind} definition is named "
                                                      f"{app if kind == 'app' else 'roles'}"),
                               [{"path": "name", "message": msg("名称不符", "wrong name")}])
    if key and body.get(key) != name:
        raise ValidationFailed("definition.E423", msg(f"{key} 应为 {name!r}", f"{key} must be {name!r}"),
                               [{"path": key, "message": msg("与地址中的名称不同",
                                                                          "differs from the name in the URL")}])
    if kind not in ("app", "roles", "entity") and kind not in declared_kinds():
        raise JimuError("definition.E404", msg(f"没有 {kind} 这种定义", f"there is no definition kind {kind!r}"),
                        status=404)
