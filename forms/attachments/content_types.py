"""What a file really is: its type from its first bytes where they tell it, else from its extension.

The client's Content-Type is never trusted. A name that claims an image or a PDF must hold one (a
``.png`` that is really HTML is refused); bytes that are a web page (HTML, SVG, XML) with no
type in their name keep the markup type, and the download never shows markup inline.
"""
from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

HEAD_BYTES = 512  # enough for every signature below

PNG, JPEG, GIF, WEBP = "image/png", "image/jpeg", "image/gif", "image/webp"
PDF, ZIP = "application/pdf", "application/zip"
HTML, SVG, XML = "text/html", "image/svg+xml", "application/xml"

RASTER_IMAGES = frozenset({PNG, JPEG, GIF, WEBP})
# types a browser may show inline: they cannot run script in the page
INLINE_SAFE = RASTER_IMAGES | {PDF}
# types that must hold what their name says: the bytes are checked against the extension
VERIFIED = RASTER_IMAGES | {PDF}

_BY_EXTENSION = {
    ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG, ".jpe": JPEG, ".gif": GIF, ".webp": WEBP,
    ".pdf": PDF, ".zip": ZIP, ".svg": SVG, ".svgz": SVG, ".html": HTML, ".htm": HTML, ".xhtml": "application/xhtml+xml",
    ".xml": XML, ".txt": "text/plain", ".csv": "text/csv", ".md": "text/markdown", ".json": "application/json",
    ".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff", ".heic": "image/heic",
    ".mp4": "video/mp4", ".mp3": "audio/mpeg", ".rar": "application/vnd.rar", ".7z": "application/x-7z-compressed",
    ".ofd": "application/ofd",  # China's e-invoice format
}

# WHATWG MIME sniffing: a document starting (after white space) with one of these is a web page
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div", b"<font",
                b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p", b"<!--")


def extension(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def by_extension(name: str) -> str | None:
    ext = extension(name)
    if not ext:
        return None
    return _BY_EXTENSION.get(ext) or mimetypes.guess_type("x" + ext, strict=False)[0]


def sniff(head: bytes) -> str | None:
    """The type the first bytes prove, or None when they say nothing we rely on."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return ZIP
    return _markup(head)


def _markup(head: bytes) -> str | None:
    text = head
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if text.startswith(bom):
            text = text[len(bom):]
            break
    if text[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in text[:64]:
        text = text.replace(b"\x00", b"")  # UTF-16 markup reads as markup to a browser too
    text = text.lstrip(b" \t\r\n\x0c").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return SVG
    for start in _HTML_STARTS:
        if text.startswith(start) and text[len(start): len(start) + 1] in (b" ", b">", b""):
            return HTML
    if text.startswith(b"<?xml"):
        return XML
    return None


def classify(name: str, head: bytes) -> tuple[str, dict[str, str] | None]:
    """(content type, problem): the type kept for the file, and a bilingual message when the bytes
    are not what the name claims."""
    claimed = by_extension(name)
    found = sniff(head)
    if claimed in VERIFIED:
        ok = found in RASTER_IMAGES if claimed in RASTER_IMAGES else found == claimed
        if not ok:
            return claimed, {"zh": f"文件 {name} 的内容不是它的扩展名所说的类型",
                             "en": f"the content of {name} is not what its extension says"}
        return found, None  # a .jpg that is really a PNG is kept as the PNG it is
    if claimed is None:
        return found or "application/octet-stream", None
    # any other claim is kept: it is served under that type with nosniff, so markup inside a .txt
    # stays text, and a name claiming markup (.html, .svg) is only ever downloaded, never shown
    return claimed, None


def accepts(accept: tuple[str, ...], name: str, content_type: str) -> bool:
    """``accept`` as an HTML file input reads it: extensions (".pdf"), types ("application/pdf")
    and families ("image/*")."""
    ext, ctype = extension(name), content_type.lower()
    for a in accept:
        a = a.lower()
        if a.startswith("."):
            if ext == a:
                return True
        elif a.endswith("/*"):
            if ctype.startswith(a[:-1]):
                return True
        elif ctype == a:
            return True
    return False
