"""Issue 11 item 10: ``/docs`` shows Swagger UI from files vendored in the project (listed with their
SHA-256 in engine/api/static/README.md), so the API documentation works offline; nothing is loaded
from another site."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "engine" / "api" / "static"


def _listed() -> dict[str, str]:
    text = (STATIC / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", text, re.M))


def test_item10_every_vendored_swagger_file_is_listed_with_its_sha256_and_licence():
    listed = _listed()
    on_disk = {p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*") if p.is_file() and p.name != "README.md"}
    assert listed and set(listed) == on_disk
    for rel, digest in listed.items():
        assert hashlib.sha256((STATIC / rel).read_bytes()).hexdigest() == digest, rel
    for package in (p for p in STATIC.iterdir() if p.is_dir()):
        assert "Apache License" in (package / "LICENSE").read_text(encoding="utf-8")
        assert (package / "NOTICE").is_file()


def test_item10_docs_page_loads_only_local_files_and_they_are_served(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""", page.text)
    urls = [a or b for a, b in urls]
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls) and any(u.endswith(".css") for u in urls)
    assert not re.search(r"https?://", page.text), "the docs page must not load anything from another site"
    for u in urls:
        assert u.startswith("/"), u
        r = client.get(u)
        assert r.status_code == 200, u
        assert len(r.content) > 0
    assert client.get("/openapi.json").json()["info"]["title"]
