"""The organisation: departments (a tree with heads), users (main department, manager, language,
time zone, profile fields), role assignments (to users or to departments), and the handover of a
departing user's records. Every change is written to the event log in the same transaction.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..errors import Conflict, JimuError, NotFound, ValidationFailed, detail, msg
from ..storage.core_tables import SYSTEM_USER_LOGIN
from .event_log import log_event
from .sessions import revoke_user_sessions as end_sessions

USER_FIELDS = ("login", "name", "email", "phone", "active", "language", "time_zone", "department_id",
               "manager_id", "is_admin", "profile", "password_hash")
LANGUAGES = ("zh", "en")
MAX_LOGIN = 128


class Org:
    """Changes to the organisation made by ``actor_id`` (a user id; None for the platform itself)."""

    def __init__(self, runtime, actor_id: int | None) -> None:
        self.rt, self.actor_id = runtime, actor_id
        core = runtime.db.core
        self.users, self.depts, self.assign = core["user"], core["department"], core["role_assignment"]

    # --- departments ------------------------------------------------------------------------------
    def create_department(self, conn, name: str, code: str | None = None, parent_id: int | None = None,
                          head_id: int | None = None) -> int:
        if not name:
            raise ValidationFailed("org.E001", msg("部门名称不能为空", "a department needs a name"),
                                   [detail("name", "不能为空", "required")])
        if parent_id is not None:
            self._must_exist(conn, self.depts, parent_id, "parent_id")
        if code and conn.execute(sa.select(self.depts.c.id).where(self.depts.c.code == code)).first():
            raise Conflict("org.E002", msg(f"部门编码 {code} 已存在", f"department code {code} exists"))
        did = conn.execute(self.depts.insert().values(name=name, code=code, parent_id=parent_id, head_id=head_id,
                                                      active=True)).inserted_primary_key[0]
        log_event(self.rt, conn, "department_changed", actor=self.actor_id, target=f"department:{did}",
                  detail={"created": {"name": name, "code": code, "parent_id": parent_id}})
        return did

    def update_department(self, conn, did: int, **changes: Any) -> None:
        self._must_exist(conn, self.depts, did, "id")
        if changes.get("parent_id") is not None:
            if changes["parent_id"] in self._subtree(conn, did):
                raise ValidationFailed("org.E003", msg("上级部门不能是自己或下级部门",
                                                       "a department cannot sit below itself"),
                                       [detail("parent_id", "会形成循环", "would make a cycle")])
        conn.execute(self.depts.update().where(self.depts.c.id == did).values(**changes))
        log_event(self.rt, conn, "department_changed", actor=self.actor_id, target=f"department:{did}",
                  detail={"changed": changes})

    def _subtree(self, conn, did: int) -> set[int]:
        from .actor import _subtree

        return _subtree(did, dict(conn.execute(sa.select(self.depts.c.id, self.depts.c.parent_id)).all()))

    # --- users ------------------------------------------------------------------------------------
    def create_user(self, conn, login: str, name: str, *, password: str | None = None, **fields: Any) -> int:
        login, name = (login or "").strip(), (name or "").strip()
        problems = []
        if not login or len(login) > MAX_LOGIN or any(c.isspace() for c in login):
            problems.append(detail("login", f"登录名不能为空、不能含空格, 最多 {MAX_LOGIN} 个字符",
                                   f"the login must be non-empty, without spaces, at most {MAX_LOGIN} characters"))
        if not name or len(name) > 128:
            problems.append(detail("name", "请填写姓名 (最多 128 个字符)", "give a name (at most 128 characters)"))
        if fields.get("language", "zh") not in LANGUAGES:
            problems.append(detail("language", "应为 zh 或 en", "must be zh or en"))
        if problems:
            raise ValidationFailed("org.E004", msg("用户信息有误", "invalid user"), problems)
        if login == SYSTEM_USER_LOGIN or conn.execute(sa.select(self.users.c.id)
                                                      .where(self.users.c.login == login)).first():
            raise Conflict("org.E005", msg(f"登录名 '{login}' 已存在", f"the login '{login}' is taken"),
                           [detail("login", "已存在", "already exists")])
        for key in ("department_id", "manager_id"):
            if fields.get(key) is not None:
                self._must_exist(conn, self.depts if key == "department_id" else self.users, fields[key], key)
        values = {k: v for k, v in fields.items() if k in USER_FIELDS}
        values.setdefault("active", True)
        if password is not None:
            from .passwords import hash_password

            values["password_hash"] = hash_password(password)
        uid = conn.execute(self.users.insert().values(login=login, name=name, created_at=self.rt.clock(),
                                                      **values)).inserted_primary_key[0]
        log_event(self.rt, conn, "user_created", actor=self.actor_id, target=f"user:{uid}",
                  detail={"login": login, "is_admin": bool(values.get("is_admin"))})
        return uid

    def update_user(self, conn, uid: int, **changes: Any) -> None:
        self._must_exist(conn, self.users, uid, "id")
        unknown = set(changes) - set(USER_FIELDS) - {"password"}
        if unknown:
            raise ValidationFailed("org.E006", msg("未知的用户字段", "unknown user fields"),
                                   [detail(k, "未知字段", "unknown field") for k in sorted(unknown)])
        if "language" in changes and changes["language"] not in LANGUAGES:
            raise ValidationFailed("org.E004", msg("用户信息有误", "invalid user"),
                                   [detail("language", "应为 zh 或 en", "must be zh or en")])
        values = dict(changes)
        if "password" in values:
            from .passwords import hash_password

            values["password_hash"] = hash_password(values.pop("password"))
        conn.execute(self.users.update().where(self.users.c.id == uid).values(**values))
        shown = {k: v for k, v in changes.items() if k not in ("password", "password_hash")}
        logged: dict[str, Any] = {"changed": shown}
        if "password_hash" in values or values.get("active") is False:
            logged["sessions_ended"] = end_sessions(self.rt, conn, uid)
        secret = {"password", "password_hash"}
        log_event(self.rt, conn, "password_changed" if changes and set(changes) <= secret else "user_changed",
                  actor=self.actor_id, target=f"user:{uid}", detail=logged)

    # --- roles ------------------------------------------------------------------------------------
    def assign_role(self, conn, app: str, role: str, *, user_id: int | None = None,
                    department_id: int | None = None) -> None:
        compiled = self.rt.app(app)
        if role not in compiled.roles:
            raise NotFound("org.E007", msg(f"应用 {app} 没有角色 {role}", f"the app {app} has no role {role}"))
        if (user_id is None) == (department_id is None):
            raise ValidationFailed("org.E008", msg("角色应分配给一个用户或一个部门",
                                                   "assign a role to one user or one department"))
        target = ("user", user_id) if user_id is not None else ("department", department_id)
        self._must_exist(conn, self.users if user_id is not None else self.depts, target[1], f"{target[0]}_id")
        a = self.assign
        same_user = a.c.user_id.is_(None) if user_id is None else a.c.user_id == user_id
        same_dept = a.c.department_id.is_(None) if department_id is None else a.c.department_id == department_id
        exists = conn.execute(sa.select(a.c.id).where(a.c.app == app, a.c.role == role, same_user, same_dept)).first()
        if exists:
            return
        conn.execute(a.insert().values(app=app, role=role, user_id=user_id, department_id=department_id))
        log_event(self.rt, conn, "role_assigned", actor=self.actor_id, target=f"{target[0]}:{target[1]}",
                  detail={"app": app, "role": role})

    def remove_role(self, conn, app: str, role: str, *, user_id: int | None = None,
                    department_id: int | None = None) -> None:
        a = self.assign
        cond = [a.c.app == app, a.c.role == role]
        cond.append(a.c.user_id == user_id if user_id is not None else a.c.department_id == department_id)
        if conn.execute(a.delete().where(*cond)).rowcount:
            target = f"user:{user_id}" if user_id is not None else f"department:{department_id}"
            log_event(self.rt, conn, "role_removed", actor=self.actor_id, target=target,
                      detail={"app": app, "role": role})

    # --- handover ---------------------------------------------------------------------------------
    def handover(self, from_user: int, to_user: int, *, deactivate: bool = True) -> dict[str, int]:
        """Move every record ``from_user`` owns, in every installed app, to ``to_user`` through the
        write pipeline (each record's history shows the transfer), then deactivate ``from_user``. One
        transaction: all of it or none."""
        if from_user == to_user:
            raise ValidationFailed("org.E009", msg("不能交接给自己", "cannot hand over to the same user"))
        moved: dict[str, int] = {}
        with self.rt.transaction() as conn:
            self._must_exist(conn, self.users, from_user, "from_user")
            active = conn.execute(sa.select(self.users.c.active).where(self.users.c.id == to_user)).scalar()
            if not active:
                raise ValidationFailed("org.E010", msg("接收人不存在或已停用",
                                                       "the receiving user is missing or inactive"),
                                       [detail("to_user", "应为在职用户", "must be an active user")])
            from .actor import system_actor

            for app_name in sorted(self.rt.apps):
                for ent in self.rt.app(app_name).entities.values():
                    t = self.rt.table(app_name, ent.name)
                    ids = list(conn.execute(sa.select(t.c.id).where(t.c.owner == from_user)).scalars())
                    if ids:
                        svc = self.rt.records(app_name, ent.name, system_actor(self.rt))
                        svc.reassign(ids, to_user, conn=conn)
                        moved[f"{app_name}.{ent.name}"] = len(ids)
            for step in self.rt.handover_steps:  # what else the leaver holds (open to-dos...), same transaction
                moved.update(step(self.rt, conn, from_user, to_user))
            if deactivate:
                conn.execute(self.users.update().where(self.users.c.id == from_user).values(active=False))
                end_sessions(self.rt, conn, from_user)
            log_event(self.rt, conn, "handover", actor=self.actor_id, target=f"user:{from_user}",
                      detail={"to_user": to_user, "moved": moved, "deactivated": deactivate})
        return moved

    # --- helpers ----------------------------------------------------------------------------------
    @staticmethod
    def _must_exist(conn, table, key: int, path: str) -> None:
        if conn.execute(sa.select(table.c.id).where(table.c.id == key)).first() is None:
            raise NotFound("org.E404", msg(f"{path} {key} 不存在", f"{path} {key} does not exist"),
                           [detail(path, "不存在", "does not exist")])


def require_admin(actor) -> None:
    """The admin API is for platform admins (the explicit bypass)."""
    if not actor.bypass:
        from ..errors import Forbidden

        raise Forbidden("perm.E_ADMIN", msg("需要管理员权限", "administrators only"))


__all__ = ["Org", "require_admin", "JimuError"]
