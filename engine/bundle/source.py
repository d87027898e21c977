"""A bundle's files, found and parsed: ``load_source(path)`` for a folder, a .zip file or .zip bytes.

Every definition file in its place is loaded without a list in a manifest (so a stray bad file is
reported, not silently skipped): ``app.yaml``, ``roles.yaml``, ``entities/*`` and the seed data
``seed/*``, and the folder of every kind an engine declares (``definition_kinds`` hook, engine/kinds.py);
each may be YAML (.yaml/.yml) or JSON. Folders that engines still to come will read (flows/, rules/,
reports/, dashboards/, print/) are accepted and left alone until one declares them; anything else is
reported as a warning. Read and parse problems are
collected in ``problems``; only a path that is no bundle at all, or a refused .zip, raises.
"""
from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..kinds import RESERVED_FOLDERS, KindSpec, declared_kinds, definition_name
from .documents import Document, Kind, parse_document
from .errors import BundleError, BundleInvalid, PathPart, problem
from .safe_zip import ZipLimits, read_zip

DEFINITION_SUFFIXES = (".yaml", ".yml", ".json")
FUTURE_FOLDERS = RESERVED_FOLDERS | {"seed", "data"}  # kept for callers; data/: `jimu export --with-data`
_SKIPPED = RESERVED_FOLDERS | {"data"}  # not walked: data/ holds records and files, which install reads itself
_SINGLE_FILES: dict[Kind, tuple[str, ...]] = {
    "app": tuple("app" + s for s in DEFINITION_SUFFIXES),
    "roles": tuple("roles" + s for s in DEFINITION_SUFFIXES),
}


@dataclass(frozen=True)
class BundleSource:
    """The parsed files of one bundle. ``documents`` holds the app file, the roles file and the entity
    files in that order (entity files sorted by name), including those that failed to parse."""

    origin: str  # the folder or archive it was read from
    documents: tuple[Document, ...]
    problems: tuple[BundleError, ...]  # read/parse errors and layout warnings

    def _first(self, kind: Kind) -> Document | None:
        return next((d for d in self.documents if d.kind == kind), None)

    @property
    def app_document(self) -> Document | None:
        return self._first("app")

    @property
    def roles_document(self) -> Document | None:
        return self._first("roles")

    @property
    def app(self) -> dict[str, Any] | None:
        doc = self.app_document
        return doc.data if doc and isinstance(doc.data, dict) else None

    @property
    def roles(self) -> dict[str, Any] | None:
        doc = self.roles_document
        return doc.data if doc and isinstance(doc.data, dict) else None

    @property
    def entities(self) -> list[tuple[str, dict[str, Any]]]:
        """``(file, definition)`` for every entity file that parsed to a mapping."""
        return [(d.name, d.data) for d in self.documents if d.kind == "entity" and isinstance(d.data, dict)]

    @property
    def seeds(self) -> list[Document]:
        """The seed files (seed/*.yaml) that parsed, in name order: the order install loads them."""
        return [d for d in self.documents if d.kind == "seed" and d.parsed]

    @property
    def definitions(self) -> dict[str, dict[str, Any]]:
        """The engines' kinds: ``{kind: {name: definition}}`` for every file that parsed to a mapping."""
        out: dict[str, dict[str, Any]] = {}
        for d in self.documents:
            if d.kind not in ("app", "roles", "entity", "seed") and isinstance(d.data, dict):
                out.setdefault(d.kind, {}).setdefault(definition_name(d.name), d.data)
        return out

    def document(self, name: str) -> Document | None:
        return next((d for d in self.documents if d.name == name), None)

    def line(self, file: str, parts: Sequence[PathPart]) -> int | None:
        doc = self.document(file)
        return doc.line_of(parts) if doc else None


def load_source(path: str | os.PathLike[str] | bytes, *, zip_limits: ZipLimits = ZipLimits(),
                kinds: dict[str, KindSpec] | None = None) -> BundleSource:
    """Read a bundle folder, a .zip file, or the bytes of a .zip. Raises ``BundleInvalid`` only when
    there is nothing to read (no such path, not a folder or zip, or a refused archive). ``kinds``
    defaults to what the engines declare."""
    kinds = declared_kinds() if kinds is None else kinds
    if isinstance(path, (bytes, bytearray)):
        return _from_zip(read_zip(path, limits=zip_limits), "bundle.zip", kinds)
    origin = os.fspath(path)
    p = Path(origin)
    if p.is_dir():
        names = _folder_names(p, {s.folder for s in kinds.values()})
        return parse_files(origin, names, lambda n: (p / n).read_bytes(), kinds)
    if p.is_file() and (p.suffix.lower() == ".zip" or zipfile.is_zipfile(p)):
        return _from_zip(read_zip(p, limits=zip_limits), origin, kinds)
    if p.exists():
        raise BundleInvalid([problem("bundle.E001", origin, "$", None, "应用包应为文件夹或 .zip 文件",
                                     "a bundle must be a folder or a .zip file")])
    raise BundleInvalid([problem("bundle.E001", origin, "$", None, "找不到应用包", "no bundle at this path")])


def _from_zip(members: dict[str, bytes], origin: str, kinds: dict[str, KindSpec]) -> BundleSource:
    names = [n for n in members if not _ignored(n)]
    if not any(n in _SINGLE_FILES["app"] for n in names):
        # bundle.zip/sales_erp/app.yaml: the usual result of zipping a folder
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) == 1 and all("/" in n for n in names):
            top = tops.pop() + "/"
            return parse_files(origin, [n[len(top):] for n in names], lambda n: members[top + n], kinds)
    return parse_files(origin, names, members.__getitem__, kinds)


def _ignored(name: str) -> bool:
    """Hidden files (.git, .DS_Store) and the resource forks macOS adds to archives."""
    parts = name.split("/")
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts)


def _folder_names(root: Path, declared: set[str]) -> list[str]:
    names: list[str] = []
    for dirpath, dirs, files in os.walk(root):
        rel = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        # folders of engines still to come are not read (a declared one is); hidden folders are nobody's
        dirs[:] = sorted(d for d in dirs
                         if not d.startswith(".") and not (prefix == "" and d in _SKIPPED - declared))
        names.extend(prefix + f for f in sorted(files) if not f.startswith("."))
    return names


def parse_files(origin: str, names: Sequence[str], read: Callable[[str], bytes],
                kinds: dict[str, KindSpec] | None = None) -> BundleSource:
    """Classify file names into the bundle layout, then read and parse the definition files."""
    kinds = declared_kinds() if kinds is None else kinds
    by_folder = {s.folder: s.kind for s in kinds.values()}
    named: dict[tuple[str, str], str] = {}  # (kind, definition name) -> the file that has it
    problems: list[BundleError] = []
    chosen: list[tuple[str, Kind]] = []
    warned_folders: set[str] = set()
    for kind, candidates in _SINGLE_FILES.items():
        present = [c for c in candidates if c in names]
        if present:
            chosen.append((present[0], kind))
        for extra in present[1:]:
            problems.append(problem("bundle.E009", extra, "$", None, f"已有 {present[0]}, 不能再有 {extra}",
                                    f"{present[0]} already exists; remove {extra}"))
    if not any(kind == "app" for _, kind in chosen):
        problems.append(problem("bundle.E008", "app.yaml", "$", None, "缺少应用清单 app.yaml",
                                "the app manifest app.yaml is missing"))
    for name in sorted(names):
        parts = name.split("/")
        top = parts[0]
        if len(parts) == 1:
            if not any(name in c for c in _SINGLE_FILES.values()):
                problems.append(problem("bundle.W001", name, "$", None, "未知文件, 已忽略",
                                        "unknown file, ignored", "warning"))
        elif top == "entities":
            if len(parts) == 2 and name.lower().endswith(DEFINITION_SUFFIXES):
                chosen.append((name, "entity"))
            else:
                problems.append(problem("bundle.W002", name, "$", None,
                                        "entities/ 下只读取 .yaml/.yml/.json 文件, 此文件已忽略",
                                        "only .yaml/.yml/.json files directly in entities/ are read; ignored",
                                        "warning"))
        elif top == "seed":
            # seed/*.yaml are checked against the entities; other files there are not read by install either
            if len(parts) == 2 and name.lower().endswith(DEFINITION_SUFFIXES):
                chosen.append((name, "seed"))
        elif top in by_folder:
            kind = by_folder[top]
            if len(parts) != 2 or not name.lower().endswith(DEFINITION_SUFFIXES):
                problems.append(problem("bundle.W002", name, "$", None,
                                        f"{top}/ 下只读取 .yaml/.yml/.json 文件, 此文件已忽略",
                                        f"only .yaml/.yml/.json files directly in {top}/ are read; ignored",
                                        "warning"))
            elif (kind, definition_name(name)) in named:
                first = named[(kind, definition_name(name))]
                problems.append(problem("bundle.E009", name, "$", None, f"已有 {first}, 不能再有 {name}",
                                        f"{first} already exists; remove {name}"))
            else:
                named[(kind, definition_name(name))] = name
                chosen.append((name, kind))
        elif top not in FUTURE_FOLDERS and top not in warned_folders:
            warned_folders.add(top)
            problems.append(problem("bundle.W001", top + "/", "$", None, "未知文件夹, 已忽略",
                                    "unknown folder, ignored", "warning"))
    documents: list[Document] = []
    for name, kind in chosen:
        try:
            raw = read(name)
        except OSError as e:
            problems.append(problem("bundle.E011", name, "$", None, f"无法读取文件: {e.strerror or e}",
                                    f"cannot read the file: {e.strerror or e}"))
            continue
        doc, found = parse_document(name, kind, raw)
        if kind == "seed" and [p.code for p in found] == ["bundle.E010"]:
            continue  # an empty seed file loads nothing, as install reads it
        documents.append(doc)
        problems.extend(found)
    return BundleSource(origin, tuple(documents), tuple(problems))
