"""The end-user web app, served by ``jimu serve``: ``/`` is the page (static/index.html) and
``/static/`` its files — the app's own ES modules (static/app/) and the vendored front-end libraries
(static/vendor/, pinned versions with their licences). There is no build step: what is in static/ is
what the browser gets.

The page holds no data: it is readable before signing in, and everything it shows comes from the API
as the signed-in user. Vendored files are named by version, so browsers may keep them; the app's own
files are revalidated on every load, so a new version is picked up at once.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"
_REVALIDATE = "no-cache"
_FOREVER = "public, max-age=31536000, immutable"
# the page must not be framed by another site (clickjacking), nor a file taken for another type
_PAGE_HEADERS = {"Cache-Control": _REVALIDATE, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
                 "Referrer-Policy": "same-origin"}


class _StaticFiles(StaticFiles):
    def file_response(self, full_path, stat_result, scope, status_code=200):
        r = super().file_response(full_path, stat_result, scope, status_code)
        vendored = "/vendor/" in Path(full_path).as_posix()
        r.headers["Cache-Control"] = _FOREVER if vendored else _REVALIDATE
        r.headers["X-Content-Type-Options"] = "nosniff"
        return r


def install_web(app: FastAPI) -> None:
    """Serve the web app on ``app``: the page at ``/``, its files under ``/static``."""
    from .ui_meta import router as ui_router

    app.include_router(ui_router)
    app.mount("/static", _StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)
