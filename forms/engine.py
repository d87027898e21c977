"""The form engine joining the kernel (see engine/plugins.py for the hooks).

Each capability lives in its own module and offers the same hooks; this module only lists them, so
adding a capability is one line here and a file of its own.
"""
from __future__ import annotations

import importlib

# the form engine's parts, each a module offering any of add_field_types / add_tables / register
PARTS: tuple[str, ...] = (
    "forms.fieldtypes",  # the extra field types (text kinds, choices, people...) and their checks
    "forms.subtable",  # before recalc: rows are merged before they are computed
    "forms.computed_kinds",
    "forms.attachments",  # before recalc: file ids become {id, name, size, content_type} first
    "forms.recalc",
    "forms.linkage",  # after recalc: rules judge the computed values
    "forms.dated",  # the midnight job that keeps values of TODAY() current
    "forms.states",
    "forms.form_state",
    "forms.autonumber",
    "forms.io_api",  # import and export of records (xlsx, csv)
    "forms.printing",  # print templates: a record to PDF (sandboxed Jinja2, fpdf2, bundled CJK font)
    "forms.old_values",  # OLD(field): the value before this write
)


def _parts():
    return [importlib.import_module(name) for name in PARTS]


def add_field_types(registry) -> None:
    for part in _parts():
        hook = getattr(part, "add_field_types", None)
        if hook is not None:
            hook(registry)


def add_tables(metadata) -> dict:
    tables: dict = {}
    for part in _parts():
        hook = getattr(part, "add_tables", None)
        if hook is not None:
            tables.update(hook(metadata))
    return tables


def add_functions(app_doc=None) -> list:
    """Expression functions of the form engine (engine/plugins.py hook)."""
    out = []
    for part in _parts():
        hook = getattr(part, "add_functions", None)
        if hook is not None:
            out.extend(hook(app_doc))
    return out


def check_app(app, field_types) -> list:
    """Problems of the compiled app the form engine finds (bundle checker hook)."""
    out = []
    for part in _parts():
        hook = getattr(part, "check_app", None)
        if hook is not None:
            out.extend(hook(app, field_types))
    return out


def field_sources(app, functions, runtime=None):
    """What the computed fields read (engine/plugins.py hook): fields derived from hidden fields are hidden."""
    from .field_sources import field_sources as sources

    return sources(app, functions, runtime)


def drop_app_data(runtime, conn, app):
    """Each part's clean-up of an app's data (engine/plugins.py hook): the after-commit steps."""
    steps = []
    for part in _parts():
        hook = getattr(part, "drop_app_data", None)
        step = hook(runtime, conn, app) if hook is not None else None
        if step is not None:
            steps.append(step)
    return (lambda: [step() for step in steps]) if steps else None


def follow_renames(runtime, conn, app, entities, fields) -> dict:
    """An upgrade's renames through the form engine's tables (engine/plugins.py hook): forms/renames.py."""
    from .renames import follow_renames as follow

    return follow(runtime, conn, app, entities, fields)


def app_data_tables() -> list:
    """Each part's platform tables holding an app's data, for ``jimu export --with-data``."""
    out: list = []
    for part in _parts():
        hook = getattr(part, "app_data_tables", None)
        if hook is not None:
            out.extend(hook())
    return out


def register(runtime) -> None:
    for part in _parts():
        hook = getattr(part, "register", None)
        if hook is not None:
            hook(runtime)
