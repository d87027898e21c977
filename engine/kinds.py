"""Definition kinds that engines declare (flows, rules, reports...): ``definition_kinds()`` hook.

A kind is a folder of definition files in a bundle (``checklists/daily.yaml`` is the ``checklist``
named ``daily``). The kernel reads the folder, checks each file against the kind's JSON Schema and
then the kind's cross-check, hashes it with the app, stores it in ``jimu_definition`` (one row per
file, with its version history) and hands it back compiled by the kind's own step:
``runtime.definitions(app, kind)``. The kernel never knows what a kind means.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The kinds the kernel reads itself: an engine cannot declare these
KERNEL_KINDS = frozenset({"app", "entity", "roles", "seed"})
# Folders that engines still to come will read: accepted quietly until an engine declares them
RESERVED_FOLDERS = frozenset({"flows", "rules", "reports", "dashboards", "print"})


@dataclass(frozen=True)
class KindContext:
    """What a cross-check sees: the bundle's entity definitions by name (as written, so a kind is
    checked even while an entity has mistakes of its own) and the compiled app when it compiled."""

    app_name: str | None
    entities: Mapping[str, Mapping[str, Any]]
    app: Any = None  # engine.compiled.CompiledApp, or None when the bundle has errors elsewhere

    def field_names(self, entity: str) -> set[str] | None:
        """The names of an entity's top-level fields; None when there is no such entity."""
        ent = self.entities.get(entity)
        if ent is None:
            return None
        return {f["name"] for f in ent.get("fields") or () if isinstance(f, dict) and isinstance(f.get("name"), str)}


# (context, file name, definition) -> (JSON path parts, zh, en[, severity])
CrossCheck = Callable[[KindContext, str, Any], Iterable[tuple]]


@dataclass(frozen=True)
class KindSpec:
    """One kind of definition an engine reads.

    ``schema`` is the JSON Schema (a dict, or a path to a .json file the engine publishes);
    ``check`` finds what the schema cannot (names of entities and fields); ``compile`` turns a
    stored definition into what the engine runs (default: the definition as written)."""

    kind: str
    folder: str
    schema: Mapping[str, Any] | str | Path
    check: CrossCheck | None = None
    compile: Callable[[Any, str, Any], Any] | None = None  # (compiled app, name, definition) -> object
    label: Mapping[str, str] = field(default_factory=dict)

    def schema_dict(self) -> dict[str, Any]:
        if isinstance(self.schema, (str, Path)):
            import json

            return json.loads(Path(self.schema).read_text(encoding="utf-8"))
        return dict(self.schema)


def declared_kinds() -> dict[str, KindSpec]:
    """Every engine's kinds by kind name, in engine order. A kind the kernel reads itself, or a kind or
    folder declared twice, is a programming error of the engine: it fails loudly at startup."""
    from .plugins import hooks

    out: dict[str, KindSpec] = {}
    folders: dict[str, str] = {}
    for hook in hooks("definition_kinds"):
        for spec in hook() or ():
            if spec.kind in KERNEL_KINDS or spec.kind in out:
                raise ValueError(f"definition kind {spec.kind!r} is declared twice or is the kernel's")
            if spec.folder in folders or spec.folder in ("entities", "seed") or "/" in spec.folder:
                raise ValueError(f"folder {spec.folder!r} of kind {spec.kind!r} is taken or not a top-level folder")
            out[spec.kind] = spec
            folders[spec.folder] = spec.kind
    return out


def definition_name(file: str) -> str:
    """``checklists/daily.yaml`` -> ``daily``: a definition is named by its file."""
    stem = file.rsplit("/", 1)[-1]
    return stem.rsplit(".", 1)[0]


def compile_definitions(app, definitions: Mapping[str, Mapping[str, Any]],
                        kinds: Mapping[str, KindSpec]) -> dict[str, dict[str, Any]]:
    """Each kind's compile step over its stored definitions (a kind no engine declares any more is
    kept as written: the database still holds it, and it must not be lost)."""
    out: dict[str, dict[str, Any]] = {}
    for kind, named in definitions.items():
        spec = kinds.get(kind)
        step = spec.compile if spec is not None else None
        out[kind] = {name: (step(app, name, body) if step else body) for name, body in named.items()}
    return out
