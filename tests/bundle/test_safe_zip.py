"""Untrusted .zip bundles: every dangerous archive is refused before anything is decompressed."""
from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from engine.bundle import BundleInvalid, ZipLimits, check_bundle, read_zip
from engine.bundle.check_cli import main
from engine.bundle.safe_zip import vet_members

APP = "app: a\nversion: 1.0.0\nlabel: {zh: 应用, en: App}\n"


def make_zip(members: list[tuple[str | zipfile.ZipInfo, bytes | str]],
             method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.fixture
def nothing_read(monkeypatch):
    """Any attempt to read a member fails the test: refusals must come from the directory alone."""
    def refuse(*args, **kwargs):
        raise AssertionError("a member was read")

    monkeypatch.setattr(zipfile.ZipExtFile, "__init__", refuse)


def refusals(data: bytes, limits: ZipLimits = ZipLimits()) -> list[tuple[str, str]]:
    with pytest.raises(BundleInvalid) as info:
        read_zip(data, label="b.zip", limits=limits)
    return [(e.code, e.message["en"]) for e in info.value.errors]


@pytest.mark.parametrize("name, why", [
    ("../evil.yaml", "it contains .."),
    ("entities/../../evil.yaml", "it contains .."),
    ("/etc/app.yaml", "it is an absolute path"),
    ("C:/app.yaml", "it starts with a drive letter"),
    ("c:app.yaml", "it starts with a drive letter"),
    ("..\\evil.yaml", "it contains a backslash"),
    ("entities\\x.yaml", "it contains a backslash"),
])
def test_member_names_that_escape_the_folder_are_refused(nothing_read, name, why):
    assert refusals(make_zip([("app.yaml", APP), (name, "x")])) == [
        ("bundle.E021", f"member {name!r} has an unsafe path ({why}); refused")]


def test_a_symlink_member_is_refused(nothing_read):
    assert refusals(make_zip([("app.yaml", APP), (symlink("entities/x.yaml"), "/etc/passwd")])) == [
        ("bundle.E022", "member 'entities/x.yaml' is a symbolic link; refused")]


def test_too_many_members_are_refused(nothing_read):
    members = [("app.yaml", APP)] + [(f"seed/{i}.yaml", "") for i in range(5)]
    assert refusals(make_zip(members), ZipLimits(max_files=5)) == [
        ("bundle.E023", "the archive has 6 members, over the limit of 5")]


def test_the_default_member_limit_is_2000(nothing_read):
    members = [("app.yaml", APP)] + [(f"seed/{i}.yaml", "") for i in range(2000)]
    assert refusals(make_zip(members)) == [
        ("bundle.E023", "the archive has 2001 members, over the limit of 2000")]


def test_too_much_uncompressed_data_is_refused(nothing_read):
    noise = os.urandom(3000)  # random bytes do not compress, so the ratio stays low
    members = [("app.yaml", APP), ("seed/a.bin", noise), ("seed/b.bin", noise)]
    total = len(APP.encode()) + 6000
    assert refusals(make_zip(members), ZipLimits(max_total_size=5000)) == [
        ("bundle.E024", f"the archive holds {total} bytes uncompressed, over the limit of 5000 bytes")]


def test_the_default_size_limit_is_50_mib(nothing_read):
    big = b"\0" * (50 * 1024 * 1024 + 1)
    codes = [code for code, _ in refusals(make_zip([("app.yaml", APP), ("seed/big.bin", big)]))]
    assert codes == ["bundle.E024", "bundle.E025"]  # and it is a bomb: 50 MiB of zeros compress 1000:1


def test_a_compression_bomb_is_refused(nothing_read):
    bomb = b"\0" * (2 * 1024 * 1024)
    ((code, message),) = refusals(make_zip([("app.yaml", APP), ("seed/bomb.yaml", bomb)]))
    assert code == "bundle.E025"
    assert message.startswith("member 'seed/bomb.yaml' has a compression ratio of ")


def test_a_small_member_may_compress_as_well_as_it_likes():
    zeros = b"\0" * 100_000
    assert read_zip(make_zip([("app.yaml", APP), ("seed/zeros.yaml", zeros)]))["seed/zeros.yaml"] == zeros


def test_an_oversized_archive_file_is_refused_before_it_is_parsed(nothing_read, monkeypatch):
    data = make_zip([("app.yaml", APP), ("seed/noise.bin", os.urandom(100_000))], zipfile.ZIP_STORED)
    monkeypatch.setattr(zipfile, "ZipFile", None)  # not even the directory may be read
    assert [c for c, _ in refusals(data, ZipLimits(max_total_size=1000, max_files=2))] == ["bundle.E024"]


def mark_encrypted(data: bytes) -> bytes:
    """zipfile cannot write encrypted members: set the flag in the local and central headers."""
    out = bytearray(data)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.index(signature)
        out[at + flag_offset] |= 0x1
    return bytes(out)


def test_other_refusals(nothing_read):
    encrypted = mark_encrypted(make_zip([("entities/secret.yaml", "x")]))
    with pytest.warns(UserWarning, match="Duplicate name"):
        doubled = make_zip([("app.yaml", APP), ("app.yaml", APP)])
    assert [c for c, _ in refusals(doubled)] == ["bundle.E027"]
    assert [c for c, _ in refusals(encrypted)] == ["bundle.E026"]
    assert [c for c, _ in refusals(make_zip([("app.yaml", APP)], zipfile.ZIP_BZIP2))] == ["bundle.E028"]
    assert [c for c, _ in refusals(b"PK\x03\x04 not really a zip")] == ["bundle.E020"]


def test_the_directory_is_counted_even_when_the_end_record_is_not_read():
    infos = [zipfile.ZipInfo(f"seed/{i}") for i in range(3)]
    assert [e.code for e in vet_members(infos, "b.zip", ZipLimits(max_files=2))] == ["bundle.E023"]


def test_all_refusals_are_reported_together(nothing_read):
    members = [("../a.yaml", "x"), ("/b.yaml", "x"), (symlink("c.yaml"), "x")]
    assert [c for c, _ in refusals(make_zip(members))] == ["bundle.E021", "bundle.E021", "bundle.E022"]


def test_a_safe_archive_is_read_in_memory(tmp_path: Path, monkeypatch):
    data = make_zip([("b/", ""), ("b/app.yaml", APP), ("b/./entities/x.yaml", "entity: x\n")])
    before = set(os.listdir(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert read_zip(data) == {"b/app.yaml": APP.encode(), "b/entities/x.yaml": b"entity: x\n"}
    assert set(os.listdir(tmp_path)) == before  # nothing extracted


def test_a_member_whose_data_is_corrupt_is_reported():
    data = bytearray(make_zip([("app.yaml", APP)], zipfile.ZIP_STORED))
    start = data.index(b"app: a")
    data[start:start + 6] = b"app: b"  # the CRC no longer matches
    assert [c for c, _ in refusals(bytes(data))] == ["bundle.E020"]


@pytest.mark.parametrize("members, code", [
    ([("../evil.yaml", "x")], "bundle.E021"),
    ([("/abs.yaml", "x")], "bundle.E021"),
    ([(symlink("roles.yaml"), "/etc/passwd")], "bundle.E022"),
    ([(f"seed/{i}", "") for i in range(2001)], "bundle.E023"),
])
def test_the_cli_refuses_dangerous_archives(tmp_path: Path, capsys, members, code):
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(make_zip([("app.yaml", APP), *members]))
    assert main([str(archive)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith(f"{archive}:$: ")
    assert "refused" in out[0] or "over the limit" in out[0]
    assert [e.code for e in check_bundle(archive).errors] == [code]
