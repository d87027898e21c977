"""A bundle as a .zip that is the same bytes for the same files: entries sorted by name, one fixed
timestamp (1980-01-01, the earliest a zip can say), fixed permissions (0644), deflate at a fixed level,
no extra fields or comment."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the permissions below are read as such
            info.external_attr = (0o100644 & 0xFFFF) << 16
            z.writestr(info, files[name], compresslevel=6)
    return buf.getvalue()
