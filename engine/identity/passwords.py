"""Passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106's low-memory profile) and the policy a
new password must meet.

Only the hash is ever stored. ``verify_password`` answers False for a wrong password, a missing hash
or a hash it cannot read, so a caller has one case to handle.
"""
from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import ValidationFailed, detail, msg

MIN_LENGTH = 8
MAX_LENGTH = 1024  # hashing is deliberately slow; a megabyte "password" must not be


def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id; cheap to build, so no module-level instance is kept


def hash_password(plain: str) -> str:
    return _hasher().hash(plain)


def verify_password(password_hash: str | None, plain: str) -> bool:
    if not password_hash:
        burn_time(plain)
        return False
    try:
        return _hasher().verify(password_hash, plain)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(plain: str) -> None:
    """Spend the time a verification takes, so a login that does not exist (or has no password)
    answers as slowly as a wrong password: response times do not tell which logins exist."""
    _hasher().hash(plain)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (re-hash on the next sign-in)."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def policy_problems(plain: str) -> list[dict]:
    """Why ``plain`` may not be a password, as error details (empty when it may)."""
    problems = []
    if len(plain) < MIN_LENGTH:
        problems.append(detail("password", f"密码至少需要 {MIN_LENGTH} 个字符",
                               f"the password needs at least {MIN_LENGTH} characters"))
    if len(plain) > MAX_LENGTH:
        problems.append(detail("password", f"密码不能超过 {MAX_LENGTH} 个字符",
                               f"the password may have at most {MAX_LENGTH} characters"))
    if plain.isdigit():
        problems.append(detail("password", "密码不能全是数字", "the password must not be only digits"))
    return problems


def check_policy(plain: str) -> None:
    problems = policy_problems(plain)
    if problems:
        raise ValidationFailed("auth.E_PASSWORD_POLICY", msg("密码不符合要求", "the password does not meet the policy"),
                               problems)


def generate_password(length: int = 16) -> str:
    """A random password that meets the policy, without look-alike characters (0/O, 1/l/I)."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (not policy_problems(candidate) and any(c.isdigit() for c in candidate)
                and any(c.isalpha() for c in candidate)):
            return candidate
