"""The vendored front-end libraries are the files the README lists: same bytes (SHA-256), each
package with its licence, and the page loads exactly those."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "designer" / "static"
VENDOR = STATIC / "vendor"


def _listed() -> dict[str, str]:
    text = (VENDOR / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", text, re.M))


def test_every_vendored_file_is_listed_with_its_sha256():
    listed = _listed()
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file() and p.name != "README.md"}
    assert set(listed) == on_disk
    for rel, digest in listed.items():
        assert hashlib.sha256((VENDOR / rel).read_bytes()).hexdigest() == digest, rel


def test_each_package_has_its_licence_and_the_page_loads_only_vendored_scripts():
    packages = [p for p in VENDOR.iterdir() if p.is_dir()]
    assert packages
    for p in packages:
        assert (p / "LICENSE").read_text(encoding="utf-8").startswith(("The MIT License", "MIT License")), p.name
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    for src in sources:
        assert src.startswith("/static/"), src  # nothing from another site
        assert (STATIC / src.removeprefix("/static/")).is_file(), src
