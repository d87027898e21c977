"""The engines that join the kernel, by module name.

The kernel never imports an engine (imports point down: engine <- forms <- flows...). Instead each
engine module named here offers any of these hooks, looked up by name when a runtime is built:

    add_field_types(registry)     more field types, before any app compiles
    add_tables(metadata) -> dict  the engine's own platform tables (name -> Table)
    register(runtime)             pipeline handlers, read policies, functions, API routers;
                                  runtime.add_public_path(p) opens one of its own paths without
                                  sign-in (engine/public_paths.py says which may be)
    add_functions(app_doc) -> [FunctionSpec]
                                  expression functions (zh/en description, types, SQL form if any)
                                  for the checker, runtime and /functions; app_doc None = all apps
    add_commands(subparsers) -> {name: handler}
                                  ``jimu`` sub-commands (argparse); handler(args) -> exit code
    field_sources(app, functions, runtime=None) -> identity.derived_hidden.FieldSources
                                  which computed fields read which fields (fields derived from a
                                  hidden field are hidden too); ``runtime`` when there is one
    add_actions(registry)         more actions for flows and rules (engine/actions.py ActionRegistry)
    definition_kinds() -> [kinds.KindSpec]  kinds of definition files (folder, schema, cross-check,
                                  compile step): checked, hashed, versioned; runtime.definitions(app, kind)
    inbox_sources() -> list[platform.inbox.InboxSource]
                                  kinds of inbox items: kind, {zh,en} label, count(), latest()
    grant_sources() -> list[identity.grant_sources.GrantSource]
                                  records granted to a user for a while: ids (SQL), read/write fields
    drop_app_data(runtime, conn, app) -> callable | None
                                  ``jimu uninstall --drop-data``, in its transaction before the app's
                                  platform rows go; the callable runs after commit (files on disk)
    follow_renames(runtime, conn, app, entities, fields) -> {table: rows updated}
                                  an upgrade renamed entities (old -> new) or fields (new entity ->
                                  {old -> new}, "lines.qty" for sub-table columns): rewrite the
                                  engine's own rows keyed by those names, in the upgrade's transaction
    app_data_tables() -> [lifecycle.data_tables.DataTable]
                                  the engine's platform tables holding an app's rows (``app``
                                  column) that ``jimu export --with-data`` carries: which columns name
                                  people, whether ids are kept, the bytes on disk a row stands for

Like a framework's list of installed apps: the composition lives in one place, in data.
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType

ENGINES: tuple[str, ...] = ("forms.engine",)
# more engines by module name, comma-separated (a deployment's own engine, or a test engine that
# exercises the hooks); they come after the listed ones
EXTRA_ENGINES_ENV = "JIMU_EXTRA_ENGINES"


def engine_names() -> tuple[str, ...]:
    extra = tuple(n.strip() for n in os.environ.get(EXTRA_ENGINES_ENV, "").split(",") if n.strip())
    return ENGINES + tuple(n for n in extra if n not in ENGINES)


def engines() -> list[ModuleType]:
    return [_load(name) for name in engine_names()]


def _load(name: str) -> ModuleType:
    """An engine module; one that cannot be imported is named with where it was asked for (a typo in
    JIMU_EXTRA_ENGINES, a package not installed), not left to a traceback."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        if name in ENGINES or (e.name and not name.startswith(e.name)):
            raise  # a listed engine, or a module the engine itself imports: a real bug, with its traceback
        from .errors import JimuError, msg

        raise JimuError("engine.E001", msg(
            f"无法加载 {EXTRA_ENGINES_ENV} 中的引擎 {name}：{e}",
            f"the engine {name} named in {EXTRA_ENGINES_ENV} cannot be loaded: {e}"),
            details=[{"path": EXTRA_ENGINES_ENV, "message": msg(str(e), str(e))}], status=500) from None


def hooks(name: str) -> list:
    """Every engine's hook called ``name``, in engine order (engines without it are left out): the
    one way the kernel reaches a hook, so a new hook is a name in the docstring above and a call
    site, never an import of an engine."""
    return [h for h in (getattr(mod, name, None) for mod in engines()) if h is not None]


def platform_field_types():
    """The kernel's field types plus every engine's: what bundles are checked and compiled with."""
    from .fieldtypes import kernel_field_types

    reg = kernel_field_types()
    for hook in hooks("add_field_types"):
        hook(reg)
    return reg


def field_sources(app, functions, runtime=None):
    """What every engine's computed fields read, for the permission rule on derived fields."""
    from .identity.derived_hidden import FieldSources

    out = FieldSources()
    for hook in hooks("field_sources"):
        out = out + hook(app, functions, runtime)
    return out
