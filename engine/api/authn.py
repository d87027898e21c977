"""The gate in front of the API: every request under ``/api/`` is authenticated before it is routed,
so an anonymous caller learns nothing — not which paths exist (404), which methods (405), nor what
parameters they take (422) — and gets 401 for all of them.

How a request is decided, in order:

1. Outside ``/api/`` (the start page, /docs, /openapi.json, static files): passed through untouched.
2. Open without signing in: ``POST /api/v1/auth/login``, ``GET``/``HEAD /api/v1/health``, and the
   paths in ``runtime.public_paths`` (exact paths, or a prefix when an entry ends with ``*``; any
   method), which engines add with ``runtime.add_public_path`` under the rule of
   engine/public_paths.py. No user is attached to these requests.
3. ``Authorization: Bearer jimu_...``: a live API token of an active user, or 401. A bearer token
   needs no CSRF token (a cross-site page cannot add that header).
4. Otherwise the ``jimu_session`` cookie: a live session of an active user, or 401 (the dead cookie
   is cleared). With the cookie, any method other than GET, HEAD, OPTIONS and TRACE must send the
   session's CSRF token in ``X-CSRF-Token``, or 403.
5. Nothing else authenticates: 401 with ``WWW-Authenticate: Bearer``.

On success ``request.state.actor`` is the user (an ``Actor`` loaded with their roles, ``via`` session
or token) and ``request.state.auth`` says how they signed in.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import msg
from ..identity.actor import Actor, load_actor
from ..identity.api_tokens import find_token
from ..identity.sessions import COOKIE_NAME, CSRF_HEADER, SessionSettings, find_session
from ..identity.throttle import ThrottleSettings
from ..public_paths import opens, public_path_problem
from .jsonio import JimuJSONResponse

OPEN = {("POST", "/api/v1/auth/login"), ("GET", "/api/v1/health"), ("HEAD", "/api/v1/health")}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass(frozen=True)
class AuthSettings:
    sessions: SessionSettings
    throttle: ThrottleSettings

    @classmethod
    def from_env(cls, env=None) -> AuthSettings:
        return cls(SessionSettings.from_env(env), ThrottleSettings.from_env(env))


@dataclass(frozen=True)
class AuthContext:
    """How the request's user signed in; the auth routes read it (sign out, the CSRF token)."""
    via: str  # session or token
    session_id: int | None = None
    csrf_token: str | None = None
    token_id: int | None = None


@dataclass(frozen=True)
class _Denied:
    status: int
    code: str
    message: dict[str, str]
    clear_cookie: bool = False


_NO_CREDENTIALS = _Denied(401, "auth.E401", msg("请先登录", "sign in first"))
_BAD_TOKEN = _Denied(401, "auth.E401", msg("API 令牌无效、已过期或已撤销",
                                           "the API token is invalid, expired or revoked"))
_BAD_SESSION = _Denied(401, "auth.E401", msg("登录已失效, 请重新登录", "your session has ended; sign in again"),
                       clear_cookie=True)
_NO_CSRF = _Denied(403, "auth.E_CSRF", msg("缺少或错误的 CSRF 令牌 (请求头 X-CSRF-Token)",
                                           "missing or wrong CSRF token (header X-CSRF-Token)"))


def install_authentication(app, runtime, settings: AuthSettings | None = None) -> AuthSettings:
    """Put the gate in front of ``app``; the settings stay in ``app.state.auth_settings`` for the
    sign-in routes."""
    settings = settings or AuthSettings.from_env()
    app.state.auth_settings = settings
    app.add_middleware(AuthenticationMiddleware, runtime=runtime, settings=settings)
    _document(app)
    return settings


def _document(app) -> None:
    """Say in the OpenAPI document how to authenticate, so /docs offers an "Authorize" button."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()  # FastAPI caches it: this runs its body once
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["bearer"] = {"type": "http", "scheme": "bearer",
                             "description": "API token jimu_... (jimu users token / POST /api/v1/auth/tokens)"}
        schemes["session"] = {"type": "apiKey", "in": "cookie", "name": COOKIE_NAME,
                              "description": "set by POST /api/v1/auth/login; writes also need X-CSRF-Token"}
        schema["security"] = [{"bearer": []}, {"session": []}]
        for method, path in OPEN:
            op = schema.get("paths", {}).get(path, {}).get(method.lower())
            if op is not None:
                op["security"] = []
        return schema

    app.openapi = openapi


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp, runtime, settings: AuthSettings) -> None:
        self.app, self.runtime, self.settings = app, runtime, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        if not (path == "/api" or path.startswith("/api/")) or self.is_open(scope["method"], path):
            await self.app(scope, receive, send)
            return
        outcome = await run_in_threadpool(self.authenticate, scope)
        if isinstance(outcome, _Denied):
            await _deny(outcome)(scope, receive, send)
            return
        actor, ctx = outcome
        state = scope.setdefault("state", {})
        state["actor"], state["auth"] = actor, ctx
        await self.app(scope, receive, send)

    def is_open(self, method: str, path: str) -> bool:
        if (method, path) in OPEN:
            return True
        for p in getattr(self.runtime, "public_paths", ()) or ():
            # an entry put in the set by hand is held to the same rule as runtime.add_public_path
            if opens(p, path) and public_path_problem(p) is None:
                return True
        return False

    def authenticate(self, scope: Scope) -> tuple[Actor, AuthContext] | _Denied:
        headers = Headers(scope=scope)
        ip = scope["client"][0] if scope.get("client") else None
        scheme, _, credential = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "bearer":
            use = find_token(self.runtime, credential.strip(), ip)
            actor = self._actor(use.user_id, "token") if use else None
            return (actor, AuthContext(via="token", token_id=use.id)) if actor else _BAD_TOKEN

        cookie = cookie_parser(headers.get("cookie", "")).get(COOKIE_NAME)
        if not cookie:
            return _NO_CREDENTIALS
        session = find_session(self.runtime, cookie, self.settings.sessions)
        actor = self._actor(session.user_id, "session") if session else None
        if actor is None:
            return _BAD_SESSION
        if scope["method"] not in SAFE_METHODS:
            sent = headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode("utf-8"), session.csrf_token.encode("utf-8")):
                return _NO_CSRF
        return actor, AuthContext(via="session", session_id=session.id, csrf_token=session.csrf_token)

    def _actor(self, user_id: int, via: str) -> Actor | None:
        actor = load_actor(self.runtime, user_id, via=via)
        # the platform's own user never signs in, whatever a database edit may have given it
        return None if actor is None or actor.is_system else actor


def route_path(scope: Scope) -> str:
    """The path the router matches (without the mount point when the app is mounted under one)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def _deny(d: _Denied) -> JimuJSONResponse:
    body: dict[str, Any] = {"code": d.code, "message": d.message, "details": []}
    headers = {"WWW-Authenticate": "Bearer"} if d.status == 401 else {}
    r = JimuJSONResponse(body, status_code=d.status, headers=headers)
    if d.clear_cookie:
        r.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return r
