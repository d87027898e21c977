"""Signing in and out, who am I, and one's own API tokens: /api/v1/auth/...

Every route here but ``login`` sits behind the gate (``authn``), so they find the user in
``request.state``. Sign-in takes JSON only: a cross-site HTML form cannot send it, which keeps other
sites from signing a browser in to an account of theirs.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from ..errors import JimuError, ValidationFailed, detail, msg
from ..identity.actor import Actor, load_actor
from ..identity.api_tokens import create_token, list_tokens, revoke_token
from ..identity.event_log import log_event
from ..identity.org import LANGUAGES, Org
from ..identity.passwords import MAX_LENGTH as MAX_PASSWORD
from ..identity.sessions import COOKIE_NAME, cookie_kwargs, find_session, revoke_session
from ..identity.signin import TooManyAttempts, sign_in
from ..identity.throttle import MAX_LOGIN
from ..runtime import Runtime
from .authn import AuthContext, AuthSettings
from .deps import Id, get_actor, get_runtime
from .jsonio import JimuJSONResponse, json_body

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], default_response_class=JimuJSONResponse)

_LOGIN_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["login", "password"],
    "properties": {"login": {"type": "string"}, "password": {"type": "string", "format": "password"}}}}}}}
_TOKEN_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["name"],
    "properties": {"name": {"type": "string", "maxLength": 128},
                   "expires_days": {"type": "integer", "minimum": 1, "description": "none: never expires"}}}}}}}
MAX_TOKEN_DAYS = 3660
SELF_EDITABLE = ("language",)


def _settings(request: Request) -> AuthSettings:
    return request.app.state.auth_settings


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _auth(request: Request) -> AuthContext:
    return request.state.auth


def user_json(actor: Actor) -> dict[str, Any]:
    return {"id": actor.user_id, "login": actor.login, "name": actor.name, "language": actor.language,
            "is_admin": actor.is_admin,
            "roles": [{"app": a, "role": r} for a, r in sorted(actor.roles)]}


@router.post("/login", summary="Sign in / 登录", openapi_extra=_LOGIN_BODY)
async def login(request: Request, rt: Runtime = Depends(get_runtime)) -> Any:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise JimuError("request.E415", msg("请以 JSON 提交 (Content-Type: application/json)",
                                            "send JSON (Content-Type: application/json)"), status=415)
    body = await json_body(request)
    problems = []
    for key, longest in (("login", MAX_LOGIN), ("password", MAX_PASSWORD)):
        if not isinstance(body, dict) or not isinstance(body.get(key), str) or not body[key]:
            problems.append(detail(key, "必填", "required"))
        elif len(body[key]) > longest:  # no account has one this long: spare the slow hash
            problems.append(detail(key, f"最多 {longest} 个字符", f"at most {longest} characters"))
    if problems:
        raise ValidationFailed("request.E422", msg("请填写登录名和密码", "give a login and a password"), problems)
    settings = _settings(request)
    old = request.cookies.get(COOKIE_NAME)
    try:
        done = await run_in_threadpool(sign_in, rt, body["login"], body["password"], ip=_ip(request),
                                 sessions=settings.sessions, throttle=settings.throttle)
    except TooManyAttempts as e:
        return JimuJSONResponse(e.to_dict(), status_code=429, headers={"Retry-After": str(e.retry_after)})
    if old:  # a browser signing in again leaves its previous session behind: end it
        await run_in_threadpool(_end_cookie_session, rt, old, settings)
    actor = await run_in_threadpool(load_actor, rt, done.user_id, "session")
    r = JimuJSONResponse({"user": user_json(actor), "csrf_token": done.session.csrf_token})
    r.set_cookie(value=done.session.token,
                 **cookie_kwargs(settings.sessions, request.url.scheme, done.session.expires_at, rt.clock()))
    return r


@router.post("/logout", summary="Sign out / 退出登录")
def logout(request: Request, rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    ctx = _auth(request)
    if ctx.via == "session" and ctx.session_id is not None:
        with rt.transaction() as c:
            if revoke_session(rt, c, ctx.session_id):
                log_event(rt, c, "signout", actor=actor.user_id, target=f"user:{actor.user_id}", ip=_ip(request),
                          detail={"session": ctx.session_id})
    r = JimuJSONResponse({"signed_out": ctx.via == "session"})
    r.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return r


@router.get("/me", summary="The signed-in user / 当前用户")
def me(request: Request, actor: Actor = Depends(get_actor)) -> Any:
    ctx = _auth(request)
    # the cookie is HttpOnly, so a page that reloads learns its CSRF token here
    return JimuJSONResponse({"user": user_json(actor), "via": ctx.via, "csrf_token": ctx.csrf_token})


@router.patch("/me", summary="Change my preferences (language) / 修改我的偏好",
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                  "type": "object", "properties": {"language": {"type": "string", "enum": list(LANGUAGES)}}}}}}})
async def update_me(request: Request, rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ValidationFailed("request.E003", msg("请求体应为对象", "the body must be an object"))
    unknown = sorted(set(body) - set(SELF_EDITABLE))
    if unknown:  # a user changes their own preferences here, never their roles or admin flag
        raise ValidationFailed("auth.E_ME", msg("只能修改自己的语言偏好", "only your language can be changed here"),
                               [detail(k, "不可在此修改", "cannot be changed here") for k in unknown])

    def save():
        with rt.transaction() as c:
            Org(rt, actor.user_id).update_user(c, actor.user_id, **body)
        return load_actor(rt, actor.user_id, actor.via)

    changed = await run_in_threadpool(save)
    return JimuJSONResponse({"user": user_json(changed)})


@router.get("/tokens", summary="My API tokens (never their secret) / 我的 API 令牌")
def my_tokens(rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    return JimuJSONResponse({"items": list_tokens(rt, actor.user_id)})


@router.post("/tokens", status_code=201, summary="Create an API token, shown once / 创建 API 令牌",
             openapi_extra=_TOKEN_BODY)
async def new_token(request: Request, rt: Runtime = Depends(get_runtime), actor: Actor = Depends(get_actor)) -> Any:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ValidationFailed("request.E003", msg("请求体应为对象", "the body must be an object"))
    days = body.get("expires_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_TOKEN_DAYS):
        raise ValidationFailed("auth.E_TOKEN_INVALID", msg("有效天数不正确", "invalid expires_days"),
                               [detail("expires_days", f"应为 1 到 {MAX_TOKEN_DAYS} 的整数",
                                       f"a whole number from 1 to {MAX_TOKEN_DAYS}")])
    name = body.get("name") if isinstance(body.get("name"), str) else ""

    def create():
        expires = rt.clock() + dt.timedelta(days=days) if days else None
        with rt.transaction() as c:
            return create_token(rt, c, actor.user_id, name, expires_at=expires, actor=actor.user_id, ip=_ip(request))

    made = await run_in_threadpool(create)
    return JimuJSONResponse(made.to_dict(), status_code=201)


@router.delete("/tokens/{token_id}", summary="Revoke one of my API tokens / 撤销 API 令牌")
def delete_token(token_id: Id, request: Request, rt: Runtime = Depends(get_runtime),
                 actor: Actor = Depends(get_actor)) -> Any:
    with rt.transaction() as c:
        revoke_token(rt, c, token_id, owner=actor.user_id, actor=actor.user_id, ip=_ip(request))
    return JimuJSONResponse({"id": token_id, "revoked": True})


def _end_cookie_session(rt: Runtime, cookie: str, settings: AuthSettings) -> None:
    s = find_session(rt, cookie, settings.sessions)
    if s is not None:
        with rt.transaction() as c:
            revoke_session(rt, c, s.id)
