"""Text kinds: long text, rich text (sanitised HTML), email, phone number and web address.

Each checks what it stores and says why in both languages; rich text is sanitised when it is
parsed, so what the database holds (and every reader gets) is already safe to put in a page.
"""
from __future__ import annotations

import html
import re
import unicodedata
from decimal import Decimal
from urllib.parse import urlsplit

import nh3
import sqlalchemy as sa

from engine.fieldtypes import TEXT_OPS, FieldType, FieldValueError
from rules.expr import types as T

LONG_TEXT_LENGTH = 10_000
RICH_TEXT_LENGTH = 200_000
_MAX_LENGTH_OPTION = {"max_length": {"type": "integer", "minimum": 1, "maximum": 1_000_000}}


def text_value(v, *, strip: bool = False) -> str | None:
    """The text of an input value: None for blank (with ``strip``, for spaces alone too); numbers are
    taken as their digits."""
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return (v.strip() or None) if strip else v
    if isinstance(v, (int, Decimal)) and not isinstance(v, bool):
        return str(v)
    raise FieldValueError("应为文本", "must be text")


def _check_length(text: str, limit: int) -> str:
    if len(text) > limit:
        raise FieldValueError(f"不能超过 {limit} 个字符", f"must be at most {limit} characters")
    return text


def _text_schema(limit: int, **extra) -> dict:
    return {"type": ["string", "null"], "maxLength": limit, **extra}


# --- long text ---------------------------------------------------------------------------------------
def _parse_textarea(f, v):
    s = text_value(v)
    if s is None:
        return None
    s = s.replace("\r\n", "\n").replace("\r", "\n")  # one line ending, whatever the client sent
    return _check_length(s, f.get("max_length", LONG_TEXT_LENGTH))


TEXTAREA = FieldType(
    name="textarea",
    options_schema=_MAX_LENGTH_OPTION,
    column=lambda f: sa.Text(),
    parse=_parse_textarea,
    dump=lambda f, v: v,
    expr_type=lambda f: T.TEXT,
    filter_ops=TEXT_OPS,
    text_search=True,
    label={"zh": "多行文本", "en": "Long text"},
    parse_text=_parse_textarea,
    display=lambda f, v, lang: v,
    json_schema=lambda f: _text_schema(f.get("max_length", LONG_TEXT_LENGTH)),
)


# --- rich text -----------------------------------------------------------------------------------------
_URL_SCHEMES = {"http", "https", "mailto", "tel"}
_BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|div|li|h[1-6]|tr|blockquote|pre|table|ul|ol|dt|dd)>", re.IGNORECASE)
_LOOKS_LIKE_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>|<!--")


def sanitise_html(text: str) -> str:
    """HTML with only harmless tags and attributes: no script, no event handler, no javascript: link."""
    return nh3.clean(text, url_schemes=_URL_SCHEMES)


def html_to_text(markup: str) -> str:
    """What a reader sees of the HTML: its text, a line per paragraph, entities decoded."""
    marked = _BLOCK_END.sub(lambda m: m.group(0) + "\n", markup)
    plain = html.unescape(nh3.clean(marked, tags=set()))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in plain.split("\n")]
    return "\n".join(line for line in lines if line)


def _parse_richtext(f, v):
    s = text_value(v)
    if s is None:
        return None
    clean = sanitise_html(s)
    if not html_to_text(clean) and not re.search(r"<(?:img|hr)\b", clean):
        return None  # nothing a reader would see: blank, so "required" means something
    return _check_length(clean, f.get("max_length", RICH_TEXT_LENGTH))


def _richtext_from_text(f, text):
    """A cell holding HTML is sanitised like API input; plain text becomes HTML with its line breaks."""
    if not isinstance(text, str) or _LOOKS_LIKE_HTML.search(text):
        return _parse_richtext(f, text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")
    return _parse_richtext(f, "<br>".join(html.escape(line, quote=False) for line in lines))


def _richtext_filter(f, column, op, value):
    # the text is stored with &, < and > escaped: look for it the way it is stored
    if op == "contains" and isinstance(value, str):
        esc = html.escape(value, quote=False).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.ilike(f"%{esc}%", escape="\\")
    return None


RICHTEXT = FieldType(
    name="richtext",
    options_schema=_MAX_LENGTH_OPTION,
    column=lambda f: sa.Text(),
    parse=_parse_richtext,
    dump=lambda f, v: v,
    expr_type=lambda f: T.TEXT,
    filter_ops=frozenset({"contains", "blank", "notblank"}),
    label={"zh": "富文本", "en": "Rich text"},
    parse_text=_richtext_from_text,
    display=lambda f, v, lang: html_to_text(v),
    json_schema=lambda f: _text_schema(f.get("max_length", RICH_TEXT_LENGTH), contentMediaType="text/html"),
    filter_clause=_richtext_filter,
)


# --- email ---------------------------------------------------------------------------------------------
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_EMAIL = re.compile(rf"^{_LOCAL}@(?:{_LABEL}\.)+[^\W\d_]{{2,63}}$")
EMAIL_LENGTH = 254


def _parse_email(f, v):
    s = text_value(v, strip=True)
    if s is None:
        return None
    s = unicodedata.normalize("NFKC", s).strip()
    if s.lower().startswith("mailto:"):
        s = s[7:]
    local, _, domain = s.rpartition("@")
    if len(s) > EMAIL_LENGTH or len(local) > 64 or not _EMAIL.match(s):
        raise FieldValueError(f"不是有效的邮箱地址: {s}（例如 name@example.com）",
                              f"is not a valid email address: {s} (e.g. name@example.com)")
    return f"{local}@{domain.lower()}"  # the domain is case-blind; the local part may not be


EMAIL = FieldType(
    name="email",
    options_schema={},
    column=lambda f: sa.String(EMAIL_LENGTH),
    parse=_parse_email,
    dump=lambda f, v: v,
    expr_type=lambda f: T.TEXT,
    filter_ops=TEXT_OPS,
    text_search=True,
    label={"zh": "邮箱", "en": "Email"},
    parse_text=_parse_email,
    display=lambda f, v, lang: v,
    json_schema=lambda f: _text_schema(EMAIL_LENGTH, format="email"),
)


# --- phone ---------------------------------------------------------------------------------------------
PHONE_LENGTH = 40
_PHONE_BODY = re.compile(r"^\+?[\d\s().-]+$")
_EXTENSION = re.compile(r"\s*(?:ext\.?|x|转|分机|#)\s*(\d{1,6})$", re.IGNORECASE)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_HELP = ("手机号为 11 位（如 13800138000）；座机或国际号码可含 +、数字、空格、-、括号和分机号",
               "a mobile number has 11 digits (e.g. 13800138000); a landline or international number may "
               "hold +, digits, spaces, dashes, parentheses and an extension")


def _bad_phone(s: str) -> FieldValueError:
    return FieldValueError(f"不是有效的电话号码: {s}。{_PHONE_HELP[0]}",
                           f"is not a valid phone number: {s}; {_PHONE_HELP[1]}")


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0 or depth > 1:
            return False
    return depth == 0


def _parse_phone(f, v):
    s = text_value(v, strip=True)
    if s is None:
        return None
    s = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", s)).strip()
    if s.lower().startswith("tel:"):
        s = s[4:].strip()
    m = _EXTENSION.search(s)
    main = s[: m.start()] if m else s
    if not main or not _PHONE_BODY.match(main) or not _balanced(main) or "+" in main[1:]:
        raise _bad_phone(s)
    digits = re.sub(r"\D", "", main)
    international = main.startswith("+")
    national = digits[2:] if international and digits.startswith("86") else (None if international else digits)
    if national is not None and national.startswith("1"):  # a mainland mobile number
        if not _MOBILE.match(national):
            raise _bad_phone(s)
        return national if m is None else s  # one spelling of a mobile number, so it can be found again
    if not (8 if international else 5) <= len(digits) <= 15:  # E.164 allows at most 15 digits
        raise _bad_phone(s)
    if len(s) > PHONE_LENGTH:
        raise FieldValueError(f"不能超过 {PHONE_LENGTH} 个字符", f"must be at most {PHONE_LENGTH} characters")
    return s


PHONE = FieldType(
    name="phone",
    options_schema={},
    column=lambda f: sa.String(PHONE_LENGTH),
    parse=_parse_phone,
    dump=lambda f, v: v,
    expr_type=lambda f: T.TEXT,
    filter_ops=TEXT_OPS,
    text_search=True,
    label={"zh": "电话", "en": "Phone"},
    parse_text=_parse_phone,
    display=lambda f, v, lang: v,
    json_schema=lambda f: _text_schema(PHONE_LENGTH, pattern=r"^\+?[0-9 ().-]+"),
)


# --- web address ---------------------------------------------------------------------------------------
URL_LENGTH = 2048
_HOST = re.compile(r"^(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)*[^\W_](?:[\w-]{0,61}[^\W_])?\.?$")
_BARE_DOMAIN = re.compile(r"^[^\s/:]+\.[^\W\d_]{2,63}(?:[/?#:]\S*)?$")


def _bad_url(s: str) -> FieldValueError:
    return FieldValueError(f"不是有效的网址: {s}（应以 http:// 或 https:// 开头，例如 https://example.com）",
                           f"is not a valid web address: {s} (it must start with http:// or https://, "
                           "e.g. https://example.com)")


def _parse_url(f, v):
    s = text_value(v, strip=True)
    if s is None:
        return None
    s = s.strip()
    if len(s) > URL_LENGTH:
        raise FieldValueError(f"不能超过 {URL_LENGTH} 个字符", f"must be at most {URL_LENGTH} characters")
    if re.search(r"\s", s):
        raise _bad_url(s)
    try:
        parts = urlsplit(s)
        host = parts.hostname or ""
        parts.port  # noqa: B018 -- raises ValueError on a port out of range
    except ValueError:
        raise _bad_url(s) from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise _bad_url(s)
    if not (_HOST.match(host) or host.startswith("[") or re.match(r"^[0-9a-f:.]+$", host)):
        raise _bad_url(s)
    return s


def _url_from_text(f, text):
    """A cell may leave the scheme out (``www.example.com``); the web's default is taken."""
    if isinstance(text, str):
        s = text.strip()
        if "://" not in s and _BARE_DOMAIN.match(s):
            text = "https://" + s
    return _parse_url(f, text)


URL = FieldType(
    name="url",
    options_schema={},
    column=lambda f: sa.String(URL_LENGTH),
    parse=_parse_url,
    dump=lambda f, v: v,
    expr_type=lambda f: T.TEXT,
    filter_ops=TEXT_OPS,
    text_search=True,
    label={"zh": "网址", "en": "Web address"},
    parse_text=_url_from_text,
    display=lambda f, v, lang: v,
    json_schema=lambda f: _text_schema(URL_LENGTH, format="uri", pattern="^[Hh][Tt][Tt][Pp][Ss]?://"),
)

FIELD_TYPES = (TEXTAREA, RICHTEXT, EMAIL, PHONE, URL)
