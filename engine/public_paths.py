"""Paths an engine opens without sign-in (inbound webhooks that verify their own signatures).

An engine adds one in ``register(runtime)`` with ``runtime.add_public_path(path)``. The rule keeps an
engine from opening more than its own routes:

- the path lies under ``/api/v1/`` and names at least two segments (``/api/v1/<engine>/<what>``);
- a trailing ``*`` opens a prefix, which must end at a ``/`` after those two segments
  (``/api/v1/hooks/sample/*``), never ``/api/v1/*`` nor ``/api/v1/records*``;
- its first segment is none of the kernel's (records, auth, admin, ...);
- when the web app is built, every route an entry opens must be one an engine added
  (``runtime.routers``): an entry that would open a kernel route stops the start.
"""
from __future__ import annotations

import re

from .errors import JimuError, detail, msg

PREFIX = "/api/v1/"
# the first path segments of the kernel's own routes (engine/api/*): no engine may open them
KERNEL_ROOTS = frozenset({"admin", "apps", "auth", "calendars", "departments", "files", "functions", "health",
                          "inbox", "notifications", "records", "search", "todos", "ui", "users", "views",
                          "versions", "me"})
_SEGMENT = re.compile(r"^[A-Za-z0-9_.~-]+$")


def public_path_problem(path: str) -> dict | None:
    """Why ``path`` may not be public (a detail with a zh/en message), or None when it may."""
    if not isinstance(path, str) or not path.startswith(PREFIX):
        return detail("public_path", f"公开路径须以 {PREFIX} 开头: {path!r}",
                      f"a public path must start with {PREFIX}: {path!r}")
    wildcard = path.endswith("*")
    fixed = path[:-1] if wildcard else path
    if "*" in fixed:
        return detail("public_path", f"'*' 只能放在公开路径末尾: {path}", f"'*' may only end a public path: {path}")
    if wildcard and not fixed.endswith("/"):
        return detail("public_path", f"公开前缀须以 '/' 结束 (如 /api/v1/hooks/mine/*): {path}",
                      f"a public prefix must end with '/' (like /api/v1/hooks/mine/*): {path}")
    segments = fixed[len(PREFIX):].rstrip("/").split("/") if fixed[len(PREFIX):] else []
    if len(segments) < 2 or not all(_SEGMENT.match(s) and s not in (".", "..") for s in segments):
        return detail("public_path", f"公开路径须至少两段且只含字母数字 (如 /api/v1/hooks/mine/ping): {path}",
                      f"a public path needs at least two plain segments (like /api/v1/hooks/mine/ping): {path}")
    if segments[0] in KERNEL_ROOTS:
        return detail("public_path", f"公开路径不能打开平台自身的路由 /api/v1/{segments[0]}/...: {path}",
                      f"a public path cannot open the platform's own routes /api/v1/{segments[0]}/...: {path}")
    return None


def check_public_path(path: str) -> None:
    problem = public_path_problem(path)
    if problem is not None:
        raise JimuError("engine.E_PUBLIC_PATH", msg("引擎声明的公开路径不被允许", "an engine's public path is refused"),
                        [problem])


def opens(entry: str, path: str) -> bool:
    """Whether the public ``entry`` opens ``path`` (exact, or a prefix when it ends with ``*``)."""
    return entry == path or (entry.endswith("*") and path.startswith(entry[:-1]))


def check_routes(entries, engine_paths, all_paths) -> None:
    """Every route a public entry opens must be an engine's: a kernel route behind a public entry is
    refused when the app is built. Paths are route templates (``/api/v1/x/{id}``)."""
    problems = []
    for entry in sorted(entries):
        problem = public_path_problem(entry)
        if problem is not None:
            problems.append(problem)
            continue
        wider = sorted(p for p in all_paths if opens(entry, p) and p not in engine_paths)
        if wider:
            problems.append(detail("public_path", f"公开路径 {entry} 会打开不属于引擎的路由: {', '.join(wider)}",
                                   f"public path {entry} would open routes no engine added: {', '.join(wider)}"))
    if problems:
        raise JimuError("engine.E_PUBLIC_PATH", msg("引擎声明的公开路径不被允许", "an engine's public path is refused"),
                        problems)
