"""The ``attachment`` and ``image`` field types, and the limits a field definition sets.

```yaml
- {name: contract_scan, type: attachment, label: {zh: 合同扫描件, en: Signed contract},
   max_count: 3, max_size_mb: 10, accept: [".pdf", "image/*"]}
- {name: photos, type: image, label: {zh: 现场照片, en: Photos}, max_count: 9}
```

The stored value is a list of ``{id, name, size, content_type}`` (a JSON column; no file is NULL,
so ``blank``/``notblank`` filters are a plain IS NULL). API input is a list of file ids from
``POST /api/v1/files``, or of such objects (what a read returned); whatever the client says about a
file besides its id is replaced by what the file table holds (handlers.py).

In the expression language the field is a list of file records, so conditions read
``COUNTA(附件) > 0`` ("an attachment is present"), ``COUNTA(photos) >= 2``, ``SUM(附件.size)`` or
``附件.name``: the stored list is the runtime value as it is, with no conversion to keep in step.
A list cannot become SQL, so a permission scope over it is refused when the bundle is checked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from engine.fieldtypes import FieldType, FieldTypeRegistry, FieldValueError
from rules.expr import types as T

from .content_types import GIF, JPEG, PNG, RASTER_IMAGES, WEBP, accepts
from .storage import is_file_id

KINDS = ("attachment", "image")
KEYS = ("id", "name", "size", "content_type")
FILE_RECORD = T.RecordType("file", {"id": T.TEXT, "name": T.TEXT, "size": T.NUMBER, "content_type": T.TEXT})
MB = 1024 * 1024
DEFAULT_MAX_SIZE_MB = 20
DEFAULT_MAX_COUNT = {"attachment": 10, "image": 9}
DEFAULT_ACCEPT: dict[str, tuple[str, ...]] = {"attachment": (), "image": (PNG, JPEG, GIF, WEBP)}  # (): any type
ACCEPT_PATTERN = r"^(\.[A-Za-z0-9]{1,16}|[a-z]+/(\*|[a-z0-9][a-z0-9.+-]*))$"
FILTER_OPS = frozenset({"blank", "notblank"})

OPTIONS_SCHEMA = {
    "max_count": {"description": "How many files the field holds at most (attachment 10, image 9).",
                  "type": "integer", "minimum": 1, "maximum": 100},
    "max_size_mb": {"description": "The largest file, in MB (default 20).",
                    "type": "number", "exclusiveMinimum": 0, "maximum": 2048},
    "accept": {"description": 'Extensions and types allowed: [".pdf", ".docx", "image/*"]; any type when '
                              "absent (an image field: PNG, JPEG, GIF and WebP).",
               "type": "array", "minItems": 1, "uniqueItems": True,
               "items": {"type": "string", "pattern": ACCEPT_PATTERN}},
}


@dataclass(frozen=True)
class Limits:
    max_count: int
    max_size_mb: Decimal
    accept: tuple[str, ...]  # () accepts any type
    images_only: bool  # the bytes must be a PNG, JPEG, GIF or WebP image

    @property
    def max_bytes(self) -> int:
        return int(self.max_size_mb * MB)


def limits(type_name: str, field_def: Mapping[str, Any]) -> Limits:
    return Limits(
        max_count=int(field_def.get("max_count", DEFAULT_MAX_COUNT[type_name])),
        max_size_mb=Decimal(str(field_def.get("max_size_mb", DEFAULT_MAX_SIZE_MB))),
        accept=tuple(field_def.get("accept") or DEFAULT_ACCEPT[type_name]),
        images_only=type_name == "image",
    )


def show_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < MB:
        return f"{Decimal(n) / 1024:.1f} KB"
    return f"{Decimal(n) / MB:.1f} MB"


def show_mb(mb: Decimal) -> str:
    return f"{mb.normalize():f} MB"  # as the definition says it


# --- values ----------------------------------------------------------------------------------------
def _bad(i: int) -> FieldValueError:
    return FieldValueError(f"第 {i + 1} 项应为上传得到的文件 id", f"item {i + 1} must be a file id from an upload")


def _item(i: int, v: Any) -> dict[str, Any]:
    if isinstance(v, str):
        v = {"id": v}
    if not isinstance(v, dict) or not is_file_id(v.get("id")):
        raise _bad(i)
    out: dict[str, Any] = {"id": v["id"]}
    # kept only so that stored values (the audit) read back whole; a write takes them from the table
    if isinstance(v.get("name"), str):
        out["name"] = v["name"]
    if isinstance(v.get("size"), int) and not isinstance(v.get("size"), bool):
        out["size"] = v["size"]
    if isinstance(v.get("content_type"), str):
        out["content_type"] = v["content_type"]
    return out


def parse(f: Mapping[str, Any], v: Any) -> list[dict[str, Any]] | None:
    if v is None or v == "" or v == []:
        return None
    if not isinstance(v, (list, tuple)):
        raise FieldValueError("应为文件列表 (上传得到的文件 id)", "must be a list of files (ids from an upload)")
    out, seen = [], set()
    for i, x in enumerate(v):
        item = _item(i, x)
        if item["id"] not in seen:  # the same file twice is the same attachment
            seen.add(item["id"])
            out.append(item)
    return out


def parse_text(f: Mapping[str, Any], text: str) -> list[dict[str, Any]] | None:
    return parse(f, [p for p in re.split(r"[\s,，;；、]+", text or "") if p])


def dump(f: Mapping[str, Any], v: Any) -> list[dict[str, Any]] | None:
    if not v:
        return None
    return [{k: item[k] for k in KEYS if k in item} for item in v]


def display(f: Mapping[str, Any], v: Any, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(str(item.get("name") or item.get("id")) for item in v or ())


def json_schema(f: Mapping[str, Any]) -> Mapping[str, Any]:
    type_name = f.get("type", "attachment")
    lim = limits(type_name if type_name in KINDS else "attachment", f)
    ref = {"type": "string", "pattern": "^[0-9a-f]{40}$"}
    return {"type": ["array", "null"], "maxItems": lim.max_count,
            "items": {"oneOf": [ref, {"type": "object", "required": ["id"], "properties": {"id": ref}}]}}


def _column(f: Mapping[str, Any]) -> sa.types.TypeEngine:
    # none_as_null: no files is SQL NULL (not JSON null), so blank/notblank and IS NULL agree
    return sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def _kind(name: str, label: Mapping[str, str]) -> FieldType:
    return FieldType(
        name=name,
        options_schema=OPTIONS_SCHEMA,
        column=_column,
        parse=parse,
        parse_text=parse_text,
        dump=dump,
        display=display,
        json_schema=json_schema,
        expr_type=lambda f: T.ListType(FILE_RECORD),
        filter_ops=FILTER_OPS,
        label=label,
    )


ATTACHMENT = _kind("attachment", {"zh": "附件", "en": "Attachments"})
IMAGE = _kind("image", {"zh": "图片", "en": "Images"})


def add_field_types(registry: FieldTypeRegistry) -> None:
    registry.register(ATTACHMENT)
    registry.register(IMAGE)


# --- limits of one file ----------------------------------------------------------------------------
def file_problem(lim: Limits, name: str, size: int, content_type: str) -> tuple[str, dict[str, str]] | None:
    """(code, message) when a file may not go into a field with these limits, else None. Checked at
    upload and again when a record takes the file (the definition may have changed in between)."""
    if size > lim.max_bytes:
        return "file.E002", {"zh": f"文件 {name} 大小为 {show_size(size)}，超过上限 {show_mb(lim.max_size_mb)}",
                             "en": f"{name} is {show_size(size)}; the limit is {show_mb(lim.max_size_mb)}"}
    if lim.images_only and content_type not in RASTER_IMAGES:
        return "file.E004", {"zh": f"文件 {name} 不是图片 (可上传 PNG、JPEG、GIF、WebP)",
                             "en": f"{name} is not an image (PNG, JPEG, GIF or WebP)"}
    if lim.accept and not accepts(lim.accept, name, content_type):
        allowed = ", ".join(lim.accept)
        return "file.E003", {"zh": f"不能上传这种类型的文件: {name} (可上传: {allowed})",
                             "en": f"this type of file is not accepted: {name} (accepted: {allowed})"}
    return None


def count_problem(lim: Limits, count: int) -> dict[str, str] | None:
    if count > lim.max_count:
        return {"zh": f"最多 {lim.max_count} 个文件，现有 {count} 个",
                "en": f"at most {lim.max_count} files; there are {count}"}
    return None
