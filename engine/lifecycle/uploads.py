"""Bundles uploaded through the lifecycle API, kept by an id between plan and apply.

Each upload is streamed to ``<root>/<id>/bundle.zip`` under a size cap (the request is never read
into memory whole: a 500 MB body is cut off at the cap and its file removed), then checked with the
safe zip reader (engine/bundle/safe_zip.py: traversal, absolute paths, symlinks, bombs...), which
reads members in memory: nothing is ever extracted, so nothing can land outside the folder. A
refused archive is removed at once; a kept one expires after ``TTL`` seconds (swept on each upload).
Ids are random and checked against their pattern before they touch the file system.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from ..bundle.safe_zip import ZipLimits
from ..errors import JimuError, msg

TTL = 3600  # seconds an uploaded bundle stays for plan -> apply
_LIMITS = ZipLimits()
# the largest archive the safe reader would open at all (its own size check): more is refused unread
MAX_UPLOAD = _LIMITS.max_total_size + _LIMITS.max_files * 1024 + 64 * 1024
_ID = re.compile(r"^[0-9a-f]{32}$")


def upload_root() -> Path:
    return Path(os.environ.get("JIMU_UPLOAD_DIR") or Path(tempfile.gettempdir()) / "jimu-bundles")


async def receive(chunks: AsyncIterator[bytes], declared: str | None, *, cap: int | None = None) -> tuple[str, Path]:
    """Stream an upload to a new folder; ``(id, path of the zip)``. 413 past the cap, 422 when empty."""
    cap = MAX_UPLOAD if cap is None else cap
    if declared and declared.strip().isdigit() and int(declared) > cap:
        raise _too_large(cap)
    root = upload_root()
    root.mkdir(parents=True, exist_ok=True)
    sweep(root)
    uid = secrets.token_hex(16)
    folder = root / uid
    folder.mkdir(mode=0o700)
    path = folder / "bundle.zip"
    size = 0
    try:
        with open(path, "wb") as f:
            async for chunk in chunks:
                size += len(chunk)
                if size > cap:
                    raise _too_large(cap)
                f.write(chunk)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise JimuError("bundle.E029", msg("上传的应用包为空", "the uploaded bundle is empty"),
                        [{"path": "body", "message": msg("应为 .zip 文件", "expected a .zip file")}], status=422)
    return uid, path


def remember(uid: str, meta: dict) -> None:
    (upload_root() / uid / "meta.json").write_text(json.dumps(meta, default=str), encoding="utf-8")


def find(uid: str) -> tuple[Path, dict]:
    """The kept zip of upload ``uid`` and what was noted about it; 404 when unknown or expired."""
    folder = upload_root() / uid if _ID.match(uid) else None
    if folder is None or not (folder / "meta.json").is_file() or _expired(folder):
        raise JimuError("bundle.E404", msg("没有这个上传的应用包 (或已过期，请重新上传)",
                                           "no such uploaded bundle (or it expired: upload it again)"), status=404)
    return folder / "bundle.zip", json.loads((folder / "meta.json").read_text(encoding="utf-8"))


def discard(uid: str) -> None:
    if _ID.match(uid):
        shutil.rmtree(upload_root() / uid, ignore_errors=True)


def sweep(root: Path) -> None:
    """Remove expired uploads (and ones a crash left half written)."""
    for folder in root.iterdir():
        if folder.is_dir() and _ID.match(folder.name) and _expired(folder):
            shutil.rmtree(folder, ignore_errors=True)


def _expired(folder: Path) -> bool:
    try:
        return time.time() - folder.stat().st_mtime > TTL
    except OSError:
        return True


def _too_large(cap: int) -> JimuError:
    return JimuError("bundle.E030", msg(f"上传的应用包超过 {cap} 字节的上限",
                                        f"the upload is over the limit of {cap} bytes"),
                     [{"path": "body", "message": msg("文件太大", "too large")}], status=413)
