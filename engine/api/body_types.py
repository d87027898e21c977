"""Types of the keys of small JSON bodies (the admin's users, departments, role assignments): checked
before anything reads them, so a list where a name goes or ``"password": null`` is a 422 at its key,
never a 500 from the code or the database below (issue 11 item 8)."""
from __future__ import annotations

from typing import Any

from ..errors import ValidationFailed, msg
from ..fieldtypes import MAX_ID


class Key:
    def __init__(self, kind: str, *, max_length: int = 0, nullable: bool = True) -> None:
        self.kind, self.max_length, self.nullable = kind, max_length, nullable

    def problem(self, v: Any) -> dict[str, str] | None:
        if v is None:
            return None if self.nullable else msg("不能为空", "cannot be null")
        if self.kind == "text":
            if not isinstance(v, str):
                return msg("应为文本", "must be text")
            if len(v) > self.max_length:
                return msg(f"最多 {self.max_length} 个字符", f"at most {self.max_length} characters")
        elif self.kind == "id":
            if type(v) is not int or not 0 < v <= MAX_ID:
                return msg("应为 id (正整数)", "must be an id (a positive integer)")
        elif self.kind == "bool":
            if type(v) is not bool:
                return msg("应为 true 或 false", "must be true or false")
        elif self.kind == "object" and not isinstance(v, dict):
            return msg("应为对象", "must be an object")
        return None


def text(max_length: int, nullable: bool = True) -> Key:
    return Key("text", max_length=max_length, nullable=nullable)


ID, BOOL, OBJECT = Key("id"), Key("bool", nullable=False), Key("object")

USER = {"login": text(128, False), "name": text(128, False), "email": text(254), "phone": text(32),
        "active": BOOL, "language": text(8, False), "time_zone": text(64, False), "department_id": ID,
        "manager_id": ID, "is_admin": BOOL, "profile": OBJECT, "password": text(1024, False)}
DEPARTMENT = {"name": text(128, False), "code": text(64), "parent_id": ID, "head_id": ID, "active": BOOL}
ROLE_ASSIGNMENT = {"app": text(64, False), "role": text(128, False), "user_id": ID, "department_id": ID}
HANDOVER = {"to_user": Key("id", nullable=False), "deactivate": BOOL}


def check_types(body: dict, keys: dict[str, Key]) -> None:
    problems = [{"path": k, "message": p} for k, key in keys.items() if k in body
                for p in [key.problem(body[k])] if p is not None]
    if problems:
        raise ValidationFailed("request.E007", msg("请求中有类型不对的值",
                                                   "the request holds values of the wrong type"), problems)
