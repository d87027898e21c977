"""``jimu export``: an installed app written back as a bundle folder, from what the database stores.

``export_definitions`` writes the app's stored definitions (``jimu_definition``), or the bodies it is
given (a revert builds them from the version history), in the layout ``apps/`` uses: ``app.yaml``,
``roles.yaml``, ``entities/<entity>.yaml`` and ``<folder>/<name>.yaml`` for each engine kind
(engine/kinds.py KindSpec.folder). Print templates live inside their entity, so they come with it.
Every file is in the canonical form of export_yaml.py, so the same stored state always gives the same
bytes, on SQLite or PostgreSQL, and exporting an install of an export gives the export again.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import JimuError, msg
from .export_numbers import restore_numbers, schemas_by_kind
from .export_yaml import dump_yaml

Bodies = Mapping[tuple[str, str], Any]


def stored_bodies(runtime, app: str) -> dict[tuple[str, str], Any]:
    """(kind, name) -> body of every current definition of ``app``; export.E001 when it is not installed."""
    d = runtime.db.core["definition"]
    with runtime.connect() as c:
        rows = c.execute(sa.select(d.c.kind, d.c.name, d.c.body).where(d.c.app == app)).all()
    if not rows:
        raise not_installed(app)
    return {(r.kind, r.name): r.body for r in rows}


def not_installed(app: str) -> JimuError:
    return JimuError("export.E001", msg(f"应用 {app} 未安装", f"the app {app} is not installed"),
                     details=[{"app": app}], status=404)


def definition_files(runtime, bodies: Bodies) -> dict[str, str]:
    """Bundle path -> canonical text of each definition. A kind no engine declares any more keeps its
    definitions in a folder named for the kind (the checker warns and install ignores it: kept, not lost)."""
    from ..kinds import declared_kinds

    kinds = declared_kinds()
    schemas = schemas_by_kind(runtime.field_types, kinds)
    files: dict[str, str] = {}
    for (kind, name), body in bodies.items():
        if body is None:
            continue
        if kind == "app":
            path = "app.yaml"
        elif kind == "roles":
            path = "roles.yaml"
        elif kind == "entity":
            path = f"entities/{name}.yaml"
        else:
            path = f"{kinds[kind].folder if kind in kinds else kind}/{name}.yaml"
        types = runtime.field_types if kind == "entity" else None  # its fields' defaults
        files[path] = dump_yaml(restore_numbers(body, schemas.get(kind), types))
    return dict(sorted(files.items()))


def prepare_out_dir(out_dir: Path) -> None:
    """``out_dir`` must not exist yet or be empty: an export never mixes with other files."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise JimuError("export.E002", msg(f"输出位置 {out_dir} 已存在且不是空文件夹",
                                           f"the output {out_dir} exists and is not an empty folder"),
                        details=[{"output": str(out_dir)}], status=409)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise unwritable(out_dir, e) from None


def unwritable(path: Path, e: OSError) -> JimuError:
    why = e.strerror or str(e)
    return JimuError("export.E003", msg(f"无法写入 {path}: {why}", f"cannot write {path}: {why}"),
                     details=[{"output": str(path)}], status=400)


def write_files(out_dir: Path, files: Mapping[str, str | bytes]) -> list[Path]:
    written = []
    try:
        for rel, content in sorted(files.items()):
            p = out_dir / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                content = content.encode("utf-8")
            p.write_bytes(content)
            written.append(p)
    except OSError as e:
        raise unwritable(out_dir, e) from None
    return written


def export_app(runtime, app: str, out: Path, *, with_data: bool = False, actor_id: int | None = None) -> list[Path]:
    """``jimu export``: the app's definitions, and with ``with_data`` its records (export_data.py), as a
    bundle folder at ``out`` or, when ``out`` ends in .zip, as one deterministic .zip file."""
    out = Path(out)
    files: dict[str, str | bytes] = dict(definition_files(runtime, stored_bodies(runtime, app)))
    if with_data:
        from .export_data import data_files

        files.update(data_files(runtime, app))
    if out.suffix.lower() != ".zip":
        prepare_out_dir(out)
        written = write_files(out, files)
    else:
        written = _write_zip(out, files)
    if with_data:  # records leaving the system: the event log says when, and where to
        from ..identity.event_log import log_event

        with runtime.transaction() as conn:
            log_event(runtime, conn, "export", actor=actor_id, target=app,
                      detail={"app_export": True, "with_data": True, "output": str(out)})
    return written


def _write_zip(out: Path, files: Mapping[str, str | bytes]) -> list[Path]:
    from .export_zip import zip_bytes

    if out.exists():
        raise JimuError("export.E002", msg(f"输出文件 {out} 已存在", f"the output file {out} already exists"),
                        details=[{"output": str(out)}], status=409)
    data = zip_bytes({k: v.encode("utf-8") if isinstance(v, str) else v for k, v in files.items()})
    try:
        out.write_bytes(data)
    except OSError as e:
        raise unwritable(out, e) from None
    return [out]


def export_definitions(runtime, app: str, out_dir: Path, *, bodies: Bodies | None = None) -> list[Path]:
    """Write ``app``'s stored definitions (or ``bodies``: (kind, name) -> body, None for absent) as a
    bundle folder at ``out_dir`` (made when missing; it must be empty). Returns the files written, sorted."""
    if bodies is None:
        bodies = stored_bodies(runtime, app)
    files = definition_files(runtime, bodies)
    out_dir = Path(out_dir)
    prepare_out_dir(out_dir)
    return write_files(out_dir, files)
