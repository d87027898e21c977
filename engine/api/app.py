"""Wiring only: routers, error handlers, the runtime in app.state."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import JimuError
from ..public_paths import check_routes
from ..runtime import Runtime
from . import admin, auth, calendars, comments, inbox, jobs_admin, meta, my_access, records, search, versions, views
from .apps_lifecycle import router as lifecycle_router
from .authn import install_authentication
from .docs_page import install_docs
from .input_limits import UrlCheckMiddleware
from .jsonio import DecimalsMiddleware, JimuJSONResponse
from .proxies import ForwardedHeaders, TrustedProxies


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="Jimu 积木", version=__version__, default_response_class=JimuJSONResponse,
                  description="A no-code platform engine. 无代码平台引擎。",
                  docs_url=None, redoc_url=None)  # /docs from vendored files (docs_page); ReDoc would need a CDN
    app.state.runtime = runtime
    install_authentication(app, runtime)  # every /api/ request is authenticated before it is routed
    install_docs(app)
    app.add_middleware(DecimalsMiddleware)  # X-Jimu-Decimals: string, ?decimals=string
    app.add_middleware(UrlCheckMiddleware)  # no NUL in the path or the query, before any route reads them
    # added last, so outermost: the gate and sign-in see the client behind a trusted proxy
    app.add_middleware(ForwardedHeaders, proxies=TrustedProxies.from_env())
    for router in runtime.routers:  # engines' routes first: /records/{app}/{entity}/export before /{id}
        app.include_router(router)
    app.include_router(auth.router)
    app.include_router(meta.router)
    app.include_router(records.router)
    app.include_router(admin.router)
    app.include_router(jobs_admin.router)
    app.include_router(versions.router)
    app.include_router(lifecycle_router)  # upload, plan, apply bundles; local edits
    app.include_router(inbox.router)
    app.include_router(calendars.router)
    app.include_router(comments.router)
    app.include_router(my_access.router)
    app.include_router(search.router)
    app.include_router(views.router)
    # a public entry may open only routes an engine added, never a kernel route (engine/public_paths.py)
    check_routes(runtime.public_paths, {r.path for router in runtime.routers for r in router.routes},
                 {r.path for r in app.routes if hasattr(r, "path")})
    try:
        from designer.home import install_web
    except ImportError:  # the web front end is optional for an API-only deployment
        pass
    else:
        install_web(app)

    @app.exception_handler(JimuError)
    async def jimu_error(_req: Request, exc: JimuError):
        return JimuJSONResponse(exc.to_dict(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_req: Request, exc: RequestValidationError):
        details = [{"path": ".".join(str(p) for p in e.get("loc", ())),
                    "message": {"zh": _zh_invalid(e), "en": e.get("msg", "")}} for e in exc.errors()]
        return JimuJSONResponse({"code": "request.E422", "message": {"zh": "请求参数有误", "en": "invalid request"},
                                 "details": details}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_req: Request, exc: StarletteHTTPException):
        zh = {404: "未找到", 405: "不支持的请求方法"}.get(exc.status_code, "请求失败")
        return JimuJSONResponse({"code": f"http.E{exc.status_code}", "message": {"zh": zh, "en": str(exc.detail)},
                                 "details": []}, status_code=exc.status_code)

    return app


def _zh_invalid(e: dict) -> str:
    """A Chinese message for a request parameter the route's declaration refused."""
    ctx = e.get("ctx") or {}
    kind = e.get("type", "")
    if kind == "less_than_equal":
        return f"应不大于 {ctx.get('le')}"
    if kind == "greater_than_equal":
        return f"应不小于 {ctx.get('ge')}"
    if kind.startswith("int_"):
        return "应为整数"
    if kind == "missing":
        return "必填"
    return "无效的值"
