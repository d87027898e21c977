"""The API documentation page (``/docs``): Swagger UI from files vendored in the project
(``static/swagger-ui-dist@VERSION/``, listed with their hashes in ``static/README.md``), so the page
works offline and where a CDN is slow or blocked; FastAPI's default page loads them from a CDN."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"
SWAGGER_UI = "swagger-ui-dist@5.35.0"
PREFIX = "/docs/static"


def install_docs(app: FastAPI) -> None:
    """``/docs`` (create the app with ``docs_url=None``) and its files under ``/docs/static``."""
    app.mount(PREFIX, StaticFiles(directory=STATIC), name="docs-static")
    base = f"{PREFIX}/{SWAGGER_UI}"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — API",
            swagger_js_url=f"{base}/swagger-ui-bundle.js", swagger_css_url=f"{base}/swagger-ui.css",
            swagger_favicon_url=f"{base}/favicon-32x32.png")
