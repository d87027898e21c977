"""Reading an uploaded .zip bundle without trusting it.

Every member is vetted from the central directory before a single byte is decompressed: names that
would escape the bundle folder, symlinks, encrypted members, unusual compression, too many entries,
too much uncompressed data, and compression-ratio bombs are all refused, each reported with its
member's name. Members are then read into memory; nothing is extracted to disk.
"""
from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from .errors import BundleError, BundleInvalid, problem

MiB = 1024 * 1024


@dataclass(frozen=True)
class ZipLimits:
    max_files: int = 2000
    max_total_size: int = 50 * MiB  # sum of the members' uncompressed sizes
    max_ratio: int = 100  # uncompressed / compressed, per member
    ratio_min_size: int = 1 * MiB  # a smaller member cannot hurt whatever its ratio


_DRIVE = re.compile(r"^[A-Za-z]:")
# compression methods whose output zipfile bounds while decompressing (bz2/lzma decompress a chunk whole)
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}


def read_zip(source: str | os.PathLike[str] | bytes, *, label: str | None = None,
             limits: ZipLimits = ZipLimits()) -> dict[str, bytes]:
    """The members of a checked archive by name (directories left out); raises ``BundleInvalid`` with
    every reason the archive is refused. ``label`` names the archive in errors."""
    if isinstance(source, (bytes, bytearray)):
        label = label or "bundle.zip"
        stream: BinaryIO = io.BytesIO(source)
    else:
        label = label or os.fspath(source)
        stream = open(source, "rb")  # noqa: SIM115 - closed below
    with stream:
        _check_archive_size(stream, label, limits)
        try:
            archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
            raise BundleInvalid([_bad_zip(label, str(e))]) from None
        with archive:
            infos = archive.infolist()
            errors = vet_members(infos, label, limits)
            if errors:
                raise BundleInvalid(errors)
            return _read_members(archive, infos, label)


def _check_archive_size(stream: BinaryIO, label: str, limits: ZipLimits) -> None:
    """Refuse before zipfile parses the central directory, which it holds in memory whole."""
    size = stream.seek(0, io.SEEK_END)
    # stored members plus generous room for headers: anything bigger cannot be a valid bundle
    if size > limits.max_total_size + limits.max_files * 1024 + 64 * 1024:
        raise BundleInvalid([problem("bundle.E024", label, "$", None, f"压缩包文件有 {size} 字节, 太大",
                                     f"the archive file is {size} bytes, too large for a bundle")])
    stream.seek(0)
    try:
        # the end record says how many entries follow; private in zipfile but stable since Python 2
        end = zipfile._EndRecData(stream)  # type: ignore[attr-defined]
        entries = end[zipfile._ECD_ENTRIES_TOTAL] if end else 0  # type: ignore[attr-defined]
    except (AttributeError, OSError, IndexError):
        entries = 0  # vet_members counts the parsed directory anyway
    if entries > limits.max_files:
        raise BundleInvalid([_too_many(label, entries, limits)])
    stream.seek(0)


def vet_members(infos: list[zipfile.ZipInfo], label: str, limits: ZipLimits) -> list[BundleError]:
    """Every reason to refuse these central-directory entries; empty when they may be read."""
    errors: list[BundleError] = []
    if len(infos) > limits.max_files:
        errors.append(_too_many(label, len(infos), limits))
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_size:
        errors.append(_total_too_large(label, total, limits))
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        why = unsafe_name(info.orig_filename)
        if why:
            errors.append(problem("bundle.E021", label, "$", None,
                                  f"压缩包成员 {name!r} 的路径不安全 ({why['zh']}), 已拒绝",
                                  f"member {name!r} has an unsafe path ({why['en']}); refused"))
        if stat.S_ISLNK(info.external_attr >> 16):
            errors.append(problem("bundle.E022", label, "$", None, f"压缩包成员 {name!r} 是符号链接, 已拒绝",
                                  f"member {name!r} is a symbolic link; refused"))
        if info.flag_bits & 0x1:
            errors.append(problem("bundle.E026", label, "$", None, f"压缩包成员 {name!r} 已加密, 无法读取",
                                  f"member {name!r} is encrypted; refused"))
        if info.compress_type not in _METHODS:
            errors.append(problem("bundle.E028", label, "$", None,
                                  f"压缩包成员 {name!r} 使用了不支持的压缩方式, 请使用 deflate",
                                  f"member {name!r} uses an unsupported compression method; use deflate"))
        ratio = info.file_size // max(info.compress_size, 1)
        if info.file_size >= limits.ratio_min_size and ratio > limits.max_ratio:
            errors.append(problem("bundle.E025", label, "$", None,
                                  f"压缩包成员 {name!r} 的压缩比 {ratio}:1 超过上限 "
                                  f"{limits.max_ratio}:1, 已拒绝",
                                  f"member {name!r} has a compression ratio of {ratio}:1, over the limit of "
                                  f"{limits.max_ratio}:1; refused"))
        key = name.rstrip("/")
        if key in seen:
            errors.append(problem("bundle.E027", label, "$", None, f"压缩包成员 {name!r} 出现了两次",
                                  f"member {name!r} appears twice"))
        seen.add(key)
    return errors


def unsafe_name(name: str) -> dict[str, str] | None:
    """Why a member name could land outside the bundle folder, or None when it cannot."""
    if "\x00" in name:
        return {"zh": "含有空字符", "en": "it contains a NUL character"}
    if "\\" in name:
        return {"zh": "含有反斜杠", "en": "it contains a backslash"}
    if name.startswith("/"):
        return {"zh": "是绝对路径", "en": "it is an absolute path"}
    if _DRIVE.match(name):
        return {"zh": "带有盘符", "en": "it starts with a drive letter"}
    if ".." in name.split("/"):
        return {"zh": "含有 ..", "en": "it contains .."}
    return None


def _read_members(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], label: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    errors: list[BundleError] = []
    for info in infos:
        if info.is_dir():
            continue
        name = "/".join(p for p in info.filename.split("/") if p not in ("", "."))
        try:
            with archive.open(info) as member:
                # zipfile stops at the declared size; reading one byte more would show a lie
                data = member.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            errors.append(_bad_zip(label, f"{info.filename}: {e}"))
            continue
        if len(data) != info.file_size:
            errors.append(_bad_zip(label, f"{info.filename}: size does not match the directory"))
            continue
        files[name] = data
    if errors:
        raise BundleInvalid(errors)
    return files


def _bad_zip(label: str, why: str) -> BundleError:
    return problem("bundle.E020", label, "$", None, f"不是有效的 zip 压缩包: {why}",
                   f"not a valid zip archive: {why}")


def _too_many(label: str, count: int, limits: ZipLimits) -> BundleError:
    return problem("bundle.E023", label, "$", None,
                   f"压缩包有 {count} 个成员, 超过上限 {limits.max_files}",
                   f"the archive has {count} members, over the limit of {limits.max_files}")


def _total_too_large(label: str, size: int, limits: ZipLimits) -> BundleError:
    return problem("bundle.E024", label, "$", None,
                   f"压缩包解压后共 {size} 字节, 超过上限 {limits.max_total_size} 字节",
                   f"the archive holds {size} bytes uncompressed, "
                   f"over the limit of {limits.max_total_size} bytes")
