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
import io
import json
import re
import zipfile
from decimal import Decimal
from typing import Any

from ..definition_store import VENDOR_ORIGINS, local_changes
from ..errors import JimuError, msg


def documents_zip(docs: dict[str, Any], seeds: list | tuple = ()) -> bytes:
    """An app's documents ({"app", "roles", "entities", "definitions"}, as CompiledApp.documents holds
    them) as the bytes of a bundle .zip of JSON files, so the bundle checker and the installer read
    them as they read any bundle. ``seeds`` are parsed seed Documents to put beside them."""
    import simplejson  # writes a Decimal as the number it is (the standard library cannot)

    files = {name: body for name, (_kind, _name, body) in _files(docs).items()}
    for doc in seeds:
        files["seed/" + doc.name.split("/", 1)[-1].rsplit(".", 1)[0] + ".json"] = doc.data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in files.items():
            z.writestr(name, simplejson.dumps(body, use_decimal=True, ensure_ascii=False, default=str))
    return out.getvalue()


def _files(docs: dict[str, Any]) -> dict[str, tuple[str, str, Any]]:
    """file name in the bundle -> (kind, name, body)."""
    from ..kinds import declared_kinds

    folders = {k: s.folder for k, s in declared_kinds().items()}
    files = {"app.json": ("app", docs["app"].get("app"), docs["app"])}
    if docs.get("roles") is not None:
        files["roles.json"] = ("roles", "roles", docs["roles"])
    for name, body in (docs.get("entities") or {}).items():
        files[f"entities/{name}.json"] = ("entity", name, body)
    for kind, named in (docs.get("definitions") or {}).items():
        for name, body in named.items():
            files[f"{folders.get(kind, kind)}/{name}.json"] = (kind, name, body)
    return files


def check_documents(docs: dict[str, Any], field_types, seeds: list | tuple = ()):
    """``(CheckResult, zip bytes)``: ``docs`` checked as ``jimu check`` checks a bundle. The database
    keeps a decimal (``0.13`` in YAML) as its text, which is what the runtime compiles; where the schema
    wants a number in its place, the number is put back (in ``docs``) and the documents checked again."""
    from ..bundle.checker import check_bundle

    data = documents_zip(docs, seeds)
    result = check_bundle(data, field_types)
    if _decimals_back(docs, result.errors):
        data = documents_zip(docs, seeds)
        result = check_bundle(data, field_types)
    return result, data


_DECIMAL = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def _decimals_back(docs: dict[str, Any], errors) -> bool:
    """Turn the decimal texts the checker wanted as numbers (bundle.E032 at a string) back into numbers."""
    from ..bundle.errors import json_path

    wanted: dict[str, set[str]] = {}
    for e in errors:
        if e.code == "bundle.E032" and "string" in e.message.get("en", ""):
            wanted.setdefault(e.file, set()).add(e.path)
    fixed = False
    files = _files(docs)

    def walk(node: Any, parts: tuple, paths: set[str]) -> Any:
        nonlocal fixed
        if isinstance(node, dict):
            for k, v in node.items():
                node[k] = walk(v, (*parts, k), paths)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                node[i] = walk(v, (*parts, i), paths)
        elif isinstance(node, str) and _DECIMAL.match(node) and json_path(parts) in paths:
            fixed = True
            return Decimal(node)
        return node

    for file, paths in wanted.items():
        if file in files:
            walk(files[file][2], (), paths)
    return fixed


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
    checked, _zip = check_documents(docs, runtime.field_types, src.seeds)
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
    checked, data = check_documents(docs, runtime.field_types)
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
