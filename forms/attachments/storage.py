"""Files on disk: where they live, how new ones arrive, how they go.

The folder is ``runtime.settings["files_dir"]``, else the environment's ``JIMU_FILES_DIR``, else
``files`` beside the SQLite database file, else ``./data/files``. A file is stored under its id (a
random token the server made, checked against a strict pattern before it names any path), in a
sub-folder of its first two characters, so no user's file name ever reaches the file system.

New bytes stream into a temporary file in the same folder (hashed and counted as they pass, stopped
as soon as a limit is crossed) and are renamed into place once accepted.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

from .content_types import HEAD_BYTES

ENV_DIR = "JIMU_FILES_DIR"
DEFAULT_DIR = Path("data/files")
_ID = re.compile(r"^[0-9a-f]{40}$")
_INCOMING = ".incoming"


def files_dir(runtime) -> Path:
    configured = runtime.settings.get("files_dir") or os.environ.get(ENV_DIR)
    if configured:
        return Path(configured)
    url = runtime.db.engine.url
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "files"
    return DEFAULT_DIR


def new_file_id() -> str:
    return secrets.token_hex(20)  # 160 random bits: an id nobody can guess, safe as a file name


def is_file_id(value: object) -> bool:
    return isinstance(value, str) and _ID.match(value) is not None


class TooLarge(Exception):
    """More bytes arrived than the limit allows; the partial file is already gone."""


class Incoming:
    """Bytes arriving for one file: written to a temporary file, hashed and counted on the way."""

    def __init__(self, folder: Path, limit: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{secrets.token_hex(16)}.part"
        self.limit = limit
        self.size = 0
        self.head = b""
        self._sha = hashlib.sha256()
        self._file = open(self.path, "xb")  # closed by finish() or discard()

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            self.discard()
            raise TooLarge()
        if len(self.head) < HEAD_BYTES:
            self.head += data[: HEAD_BYTES - len(self.head)]
        self._sha.update(data)
        self._file.write(data)

    def finish(self) -> str:
        self._file.close()
        return self._sha.hexdigest()

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def of(cls, runtime) -> FileStore:
        return cls(files_dir(runtime))

    def path(self, file_id: str) -> Path:
        if not is_file_id(file_id):
            raise ValueError("not a file id")
        return self.root / file_id[:2] / file_id

    @property
    def incoming_dir(self) -> Path:
        return self.root / _INCOMING

    def incoming(self, limit: int) -> Incoming:
        return Incoming(self.incoming_dir, limit)

    def keep(self, incoming: Incoming, file_id: str) -> None:
        """Move accepted bytes into place under their id."""
        target = self.path(file_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(incoming.path, target)

    def remove(self, file_id: str) -> None:
        try:
            self.path(file_id).unlink(missing_ok=True)
        except ValueError:
            pass
