"""Zip archives are judged before anything in them is read, and extracted within limits."""

from __future__ import annotations

import io
import os
import stat
import tempfile
import zipfile

import pytest

from mutualaid import settings
from mutualaid.errors import LayerError, UnsafeInputError
from mutualaid.layers.safety import (
    check_file_size,
    check_zip,
    extract_members,
    normalise_member_name,
    open_zip,
)


def make_zip(
    *members: tuple[str | zipfile.ZipInfo, bytes], compression: int = zipfile.ZIP_DEFLATED
) -> bytes:
    """An archive with the given (name or ZipInfo, content) members, names stored as given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


def checked(data: bytes):
    return check_zip(open_zip(data))


# --- names -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("roads.shp", "roads.shp"),
        ("data/roads.shp", "data/roads.shp"),
        ("./data//roads.shp", "data/roads.shp"),
        ("data/", "data/"),
        ("Lie\u0300ge.shp", "Liège.shp"),  # decomposed è becomes the composed form
    ],
)
def test_member_names_are_normalised(raw, expected):
    assert normalise_member_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("../evil.shp", r"outside the archive \('..'\)"),
        ("data/../../evil.shp", "outside the archive"),
        ("..", "outside the archive"),
        ("/etc/cron.d/evil", "absolute path"),
        ("C:/Windows/evil.dll", "absolute path"),
        ("c:evil.shp", "absolute path"),
        ("..\\evil.shp", "backslashes"),
        ("data\\roads.shp", "backslashes"),
        ("evil.shp\x00.txt", "control characters"),
        ("evil\n.shp", "control characters"),
        ("./", "empty name"),
    ],
)
def test_hostile_member_names_are_refused(raw, message):
    with pytest.raises(UnsafeInputError, match=message):
        normalise_member_name(raw)


@pytest.mark.parametrize(
    "name", ["../evil.shp", "/tmp/evil.shp", "a/../../evil.shp", "..\\evil.shp"]
)
def test_archives_with_escaping_members_are_refused(name):
    data = make_zip(("roads.shp", b"x"), (name, b"payload"))
    with pytest.raises(UnsafeInputError):
        checked(data)


def test_a_nul_byte_trick_in_the_stored_name_is_refused():
    # zipfile cuts names at NUL when reading; the original name must still be judged.
    # zipfile will not write a NUL, so the stored bytes are patched as a forger would.
    data = make_zip(("evil.shpX/../../x", b"payload")).replace(b"evil.shpX", b"evil.shp\x00")
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["evil.shp"]
    with pytest.raises(UnsafeInputError, match="control characters"):
        checked(data)


# --- member kinds -------------------------------------------------------------------------------------


def test_symlink_members_are_refused():
    link = zipfile.ZipInfo("layer.dbf")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = make_zip(("layer.shp", b"x"), (link, b"/etc/passwd"))
    with pytest.raises(UnsafeInputError, match="symbolic link"):
        checked(data)


def test_device_and_fifo_members_are_refused():
    fifo = zipfile.ZipInfo("layer.dbf")
    fifo.create_system = 3
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    with pytest.raises(UnsafeInputError, match="not a regular file"):
        checked(make_zip((fifo, b"")))


def test_nested_zip_is_refused_by_name():
    inner = make_zip(("roads.shp", b"x"))
    with pytest.raises(UnsafeInputError, match="nested archives"):
        checked(make_zip(("inner.ZIP", inner), ("roads.shp", b"x")))


def test_nested_zip_is_refused_by_content_when_extracted():
    inner = make_zip(("roads.shp", b"x"))
    data = make_zip(("layer.dbf", inner))
    archive = open_zip(data)
    members = check_zip(archive)
    with pytest.raises(UnsafeInputError, match="itself a zip archive"):
        with extract_members(archive, {"layer.dbf": members[0]}):
            pass


def test_encrypted_members_are_refused():
    # zipfile cannot encrypt: set the "encrypted" flag in the central directory instead.
    data = bytearray(make_zip(("layer.shp", b"x"), compression=zipfile.ZIP_STORED))
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x1
    with pytest.raises(UnsafeInputError, match="password-protected"):
        checked(bytes(data))


def test_two_members_with_one_name_are_refused():
    with pytest.raises(UnsafeInputError, match="two members"):
        checked(make_zip(("data/Roads.shp", b"x"), ("data/roads.SHP", b"y")))


# --- sizes ----------------------------------------------------------------------------------------------


def test_too_many_members_are_refused(monkeypatch):
    monkeypatch.setattr(settings, "MAX_ZIP_MEMBERS", 3)
    data = make_zip(*[(f"f{i}.txt", b"x") for i in range(4)])
    with pytest.raises(UnsafeInputError, match="4 members; the most accepted is 3"):
        checked(data)


def test_high_ratio_member_is_refused_as_a_zip_bomb():
    bomb = b"\x00" * (5 * 1024 * 1024)  # deflates about 1000 to 1
    data = make_zip(("layer.shp", b"ok"), ("layer.dbf", bomb))
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("layer.dbf")
    assert info.file_size / info.compress_size > settings.MAX_ZIP_RATIO
    with pytest.raises(UnsafeInputError, match="'layer.dbf' expands .* times .*zip bomb"):
        checked(data)


def test_bug_small_blank_dbf_compressing_beyond_the_ratio_is_not_a_bomb():
    """A real .dbf with wide, mostly blank text fields deflates far beyond 100:1; a member
    that small cannot be a bomb, so the ratio limit must not refuse it."""
    blank_dbf = b"\x03" + b" " * (600 * 1024)
    data = make_zip(("layer.shp", b"ok"), ("layer.dbf", blank_dbf))
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("layer.dbf")
    assert info.file_size / info.compress_size > settings.MAX_ZIP_RATIO
    members = {m.name: m for m in checked(data)}
    archive = open_zip(data)
    with extract_members(archive, {"layer.dbf": members["layer.dbf"]}) as folder:
        assert (folder / "layer.dbf").read_bytes() == blank_dbf


def test_total_uncompressed_size_is_limited(monkeypatch):
    monkeypatch.setattr(settings, "MAX_ZIP_UNCOMPRESSED_BYTES", 2500)
    members = [(f"part{i}.bin", os.urandom(1000)) for i in range(3)]  # incompressible
    with pytest.raises(UnsafeInputError, match="expands to more than"):
        checked(make_zip(*members))
    checked(make_zip(*members[:2]))  # 2000 bytes pass


def test_extraction_counts_bytes_itself(monkeypatch):
    content = os.urandom(300_000)
    data = make_zip(("layer.shp", content))
    archive = open_zip(data)
    members = check_zip(archive)
    # The archive passed on its declared sizes; the limit met while writing still holds.
    monkeypatch.setattr(settings, "MAX_ZIP_UNCOMPRESSED_BYTES", 100_000)
    with pytest.raises(UnsafeInputError, match="expands to more than"):
        with extract_members(archive, {"layer.shp": members[0]}):
            pass


def test_a_member_whose_header_lies_about_its_size_is_refused():
    data = make_zip(("layer.shp", b"a" * 5000 + os.urandom(5000)))
    archive = open_zip(data)
    members = check_zip(archive)
    members[0].info.file_size = 100  # as a forged header would declare
    with pytest.raises(LayerError):
        with extract_members(archive, {"layer.shp": members[0]}):
            pass


def test_check_file_size(monkeypatch):
    monkeypatch.setattr(settings, "MAX_FILE_BYTES", 1024 * 1024)
    check_file_size(1024 * 1024)
    with pytest.raises(LayerError, match="the file is 2.0 MB; the largest file accepted is 1.0 MB"):
        check_file_size(2 * 1024 * 1024)


# --- opening and extracting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x05\x06" + b"\x00" * 18, "empty"),
        (b"PK\x03\x04garbage", "damaged"),
        (b"not a zip", "not a zip archive"),
    ],
)
def test_broken_archives_are_layer_errors(data, message):
    with pytest.raises(LayerError, match=message):
        open_zip(data)


def test_only_wanted_members_are_extracted_and_the_folder_is_removed():
    data = make_zip(
        ("data/roads.shp", b"shp bytes"),
        ("data/roads.dbf", b"dbf bytes"),
        ("data/readme.txt", b"not wanted"),
        ("data/", b""),
    )
    archive = open_zip(data)
    members = {m.name: m for m in check_zip(archive)}
    assert members["data/"].is_dir
    with extract_members(
        archive, {"layer.shp": members["data/roads.shp"], "layer.dbf": members["data/roads.dbf"]}
    ) as folder:
        assert sorted(p.name for p in folder.iterdir()) == ["layer.dbf", "layer.shp"]
        assert (folder / "layer.shp").read_bytes() == b"shp bytes"
    assert not folder.exists()


def test_folder_is_removed_when_extraction_fails(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where mkdtemp creates folders
    data = make_zip(("a.bin", os.urandom(5000)))
    archive = open_zip(data)
    members = check_zip(archive)
    monkeypatch.setattr(settings, "MAX_ZIP_UNCOMPRESSED_BYTES", 10)
    with pytest.raises(UnsafeInputError):
        with extract_members(archive, {"a.bin": members[0]}):
            pytest.fail("the body must not run when extraction fails")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("target", ["../x", "a/b", "", "..", "a\\b"])
def test_extraction_names_must_be_plain(target):
    data = make_zip(("a.bin", b"x"))
    archive = open_zip(data)
    with pytest.raises(ValueError):
        with extract_members(archive, {target: check_zip(archive)[0]}):
            pass
