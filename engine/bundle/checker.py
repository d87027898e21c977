"""``check_bundle``: read, validate and cross-check a bundle, and hand back every problem at once."""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from .cross_check import cross_check
from .errors import BundleError, BundleInvalid
from .safe_zip import ZipLimits
from .schema_check import SchemaSet
from .schemas import FieldTypesLike
from .source import BundleSource, load_source


@dataclass(frozen=True)
class CheckResult:
    errors: tuple[BundleError, ...]
    warnings: tuple[BundleError, ...]
    source: BundleSource | None  # None when nothing could be read (no bundle, or a refused .zip)

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> BundleSource:
        """The source, for the compiler; ``BundleInvalid`` carrying every problem when there are errors."""
        if self.errors or self.source is None:
            raise BundleInvalid([*self.errors, *self.warnings])
        return self.source


def check_bundle(path: str | os.PathLike[str] | bytes, field_types: FieldTypesLike | None = None, *,
                 external_entities: Iterable[str] = (), zip_limits: ZipLimits = ZipLimits()) -> CheckResult:
    """Check the bundle at ``path`` (a folder, a .zip file, or .zip bytes) against the published schemas
    and across its files. ``field_types`` defaults to the platform's registry (kernel and engines)."""
    if field_types is None:
        from ..plugins import platform_field_types
        field_types = platform_field_types()
    from ..kinds import declared_kinds

    kinds = declared_kinds()
    try:
        source = load_source(path, zip_limits=zip_limits, kinds=kinds)
    except BundleInvalid as e:
        return CheckResult(tuple(e.errors), (), None)
    schemas = SchemaSet.for_field_types(field_types, kinds)
    schema_found = [e for doc in source.documents for e in schemas.check(doc)]
    # the schema and the cross-check can fault the same value (a name too long for both): one report
    faulted = {(e.file, e.path) for e in schema_found}
    crossed = cross_check(source, field_types, external_entities)
    found = [*source.problems, *schema_found, *(e for e in crossed if (e.file, e.path) not in faulted)]
    schema_faulted = {e.file for e in schema_found}
    compiles = not any(e.is_error for e in found)
    if not compiles:  # engines' kinds are cross-checked even so (over the entities as written): all at once
        found.extend(_kind_problems(source, kinds, schema_faulted))
    order = {d.name: i for i, d in enumerate(source.documents)}
    found.sort(key=lambda e: (order.get(e.file, -1 if e.file.startswith("app.") else len(order)), e.file,
                              e.line if e.line is not None else 0))
    if compiles:
        # what compiles is checked as compiled, once: the roles' grants, then the engines' findings
        from ..compiled import compile_app
        from .value_check import value_problems

        app = compile_app(source.app, [d for _, d in source.entities], source.roles, field_types,
                          source.definitions)
        found.extend(_grant_problems(source, app, field_types))
        found.extend(value_problems(source, app, field_types))  # defaults and seed data
        found.extend(_relation_filter_problems(source, app, field_types))
        found.extend(_kind_problems(source, kinds, schema_faulted, app))  # with the compiled app at hand
        # the engines judge the compiled entities whatever the grants say: every problem at once
        found.extend(_engine_problems(source, app, field_types))
    errors = tuple(e for e in found if e.is_error)
    return CheckResult(errors, tuple(e for e in found if not e.is_error), source)


def _kind_problems(source: BundleSource, kinds, faulted_files: set[str], app=None) -> list[BundleError]:
    """Each engine kind's cross-check over its files (those that passed their schema), placed at the
    file, JSON path and line the check names (bundle.E080)."""
    from ..kinds import KindContext
    from .errors import problem

    entities = {d["entity"]: d for _, d in source.entities if isinstance(d.get("entity"), str)}
    ctx = KindContext((source.app or {}).get("app"), entities, app)
    out = []
    for doc in source.documents:
        spec = kinds.get(doc.kind)
        if spec is None or spec.check is None or not doc.parsed or doc.name in faulted_files:
            continue
        for parts, zh, en, *severity in spec.check(ctx, doc.name, doc.data) or ():
            level = severity[0] if severity else "error"
            out.append(problem("bundle.E080" if level == "error" else "bundle.W080", doc.name, parts,
                               doc.line_of(parts), zh, en, level))
    return out


def _engine_problems(source: BundleSource, app, field_types) -> list[BundleError]:
    """What the engines find in the compiled app (a formula that does not type-check, fields that
    compute each other in a cycle...): each engine's ``check_app(app, field_types)`` hook returns
    (entity, JSON path parts, zh, en[, severity]) and the problem is placed in that entity's file; a
    severity of "info" tells how the platform will treat a field (recomputed daily...)."""
    from ..plugins import hooks
    from .errors import problem

    files = {d.get("entity"): name for name, d in source.entities}
    out = []
    for hook in hooks("check_app"):
        for entity, parts, zh, en, *severity in hook(app, field_types):
            doc = source.document(files.get(entity, ""))
            if doc is None:
                continue
            level = severity[0] if severity else "error"
            out.append(problem("bundle.E060" if level == "error" else "bundle.I060", doc.name, parts,
                               doc.line_of(parts), zh, en, level))
    return out


def _grant_problems(source: BundleSource, app, field_types) -> list[BundleError]:
    """What roles.yaml grants, checked against the compiled entities: entities and fields exist,
    scope expressions type-check (CURRENT_USER() included) and can become a database condition."""
    from ..expressions import app_registry
    from ..identity.derived_hidden import unhonoured_hidden
    from ..identity.permissions import compile_grants
    from ..plugins import field_sources
    from .errors import problem

    doc = source.roles_document
    if doc is None or not isinstance(doc.data, dict):
        return []
    functions = app_registry(source.app, field_types)
    sources = field_sources(app, functions)
    grants, problems = compile_grants(app, functions, sources)
    out = [problem("bundle.E054", doc.name, parts, doc.line_of(parts), zh, en) for parts, zh, en in problems]
    if not problems:  # a hidden value a default copies where the role sees it: said, not refused
        for role, zh, en in unhonoured_hidden(grants, sources):
            parts = ("roles", role)
            out.append(problem("bundle.W004", doc.name, parts, doc.line_of(parts), zh, en, "warning"))
    return out


def _relation_filter_problems(source: BundleSource, app, field_types) -> list[BundleError]:
    """A relation's ``filter`` type-checks over its target's fields and can become a database condition."""
    from ..expressions import app_registry
    from ..records.relation_filters import filter_problems
    from .errors import problem

    files = {d.get("entity"): name for name, d in source.entities}
    out = []
    for entity, parts, zh, en in filter_problems(app, app_registry(source.app, field_types)):
        doc = source.document(files.get(entity, ""))
        if doc is not None:
            out.append(problem("bundle.E062", doc.name, parts, doc.line_of(parts), zh, en))
    return out
