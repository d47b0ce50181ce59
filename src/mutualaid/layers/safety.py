"""Limits on input files, and zip archives checked before anything in them is read.

A zip archive is judged from its central directory first (member names, types,
sizes, compression ratios) and refused as a whole when any member is hostile.
Only then are the few members a reader needs extracted, into a fresh temporary
folder, under names the caller chooses, with the bytes counted while they are
written: the sizes an archive declares are not trusted.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mutualaid import settings
from mutualaid.errors import LayerError, UnsafeInputError

__all__ = [
    "ZipMember",
    "check_file_size",
    "open_zip",
    "check_zip",
    "normalise_member_name",
    "extract_members",
]

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_NESTED_ARCHIVE_SUFFIXES = (".zip", ".kmz")
_READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
_CHUNK = 64 * 1024


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 1024 / 1024:,.1f} MB"


def check_file_size(n_bytes: int) -> None:
    """Refuse a file larger than ``settings.MAX_FILE_BYTES``.

    Raises
    ------
    LayerError
        Naming the file's size and the limit.
    """
    if n_bytes > settings.MAX_FILE_BYTES:
        raise LayerError(
            f"the file is {_mb(n_bytes)}; the largest file accepted is "
            f"{_mb(settings.MAX_FILE_BYTES)}"
        )


@dataclass(frozen=True, slots=True)
class ZipMember:
    """One member of a zip archive that passed the checks.

    Parameters
    ----------
    info : zipfile.ZipInfo
        The archive's own record of the member.
    name : str
        The normalised name: a relative POSIX path without empty, ``.`` or ``..`` parts.
    is_dir : bool
        True for a folder entry (never extracted).
    """

    info: zipfile.ZipInfo
    name: str
    is_dir: bool


def open_zip(data: bytes) -> zipfile.ZipFile:
    """Open zip bytes, turning a broken archive into a :class:`LayerError`."""
    if data.startswith(_EMPTY_ZIP_MAGIC):
        raise LayerError("the zip archive is empty")
    if not data.startswith(_ZIP_MAGIC):
        raise LayerError("the file is not a zip archive (it does not start like one)")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise LayerError(f"the zip archive is damaged and cannot be opened ({exc})") from None


def normalise_member_name(raw: str) -> str:
    """The safe relative form of a zip member's name, or an error when there is none.

    Parameters
    ----------
    raw : str
        The name exactly as stored in the archive (``ZipInfo.orig_filename``).

    Returns
    -------
    str
        NFC-normalised, ``/``-separated, without empty or ``.`` parts; ends with ``/``
        for a folder entry.

    Raises
    ------
    UnsafeInputError
        For an absolute path, a drive letter, a ``..`` part, a backslash, a NUL or
        other control character, or a name that is empty once normalised.

    Examples
    --------
    >>> normalise_member_name("data/./roads.shp")
    'data/roads.shp'
    >>> normalise_member_name("../evil.shp")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mutualaid.errors.UnsafeInputError: ... '../evil.shp' points outside the archive ('..'); ...
    """
    shown = repr(raw[:120])
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        raise UnsafeInputError(
            f"the zip archive member {shown} has control characters in its name; "
            f"the archive is refused"
        )
    if "\\" in raw:
        raise UnsafeInputError(
            f"the zip archive member {shown} uses backslashes in its name; "
            f"the archive is refused (re-create it with a standard zip tool)"
        )
    name = unicodedata.normalize("NFC", raw)
    if name.startswith("/") or (len(name) >= 2 and name[1] == ":" and name[0].isalpha()):
        raise UnsafeInputError(
            f"the zip archive member {shown} has an absolute path; the archive is refused"
        )
    parts = name.split("/")
    if ".." in parts:
        raise UnsafeInputError(
            f"the zip archive member {shown} points outside the archive ('..'); "
            f"the archive is refused"
        )
    kept = [p for p in parts if p not in ("", ".")]
    if not kept:
        raise UnsafeInputError(
            f"the zip archive member {shown} has an empty name; the archive is refused"
        )
    return "/".join(kept) + ("/" if name.endswith("/") else "")


def _file_type(info: zipfile.ZipInfo) -> int:
    """The Unix file type bits of a member (0 when the archive does not record them)."""
    return stat.S_IFMT(info.external_attr >> 16)


def check_zip(archive: zipfile.ZipFile) -> list[ZipMember]:
    """Check every member of an archive before any of it is read.

    Parameters
    ----------
    archive : zipfile.ZipFile
        An archive opened with :func:`open_zip`.

    Returns
    -------
    list of ZipMember
        Every member, in archive order, with its normalised name.

    Raises
    ------
    UnsafeInputError
        For too many members, a total or a member that expands beyond the limits in
        :mod:`mutualaid.settings`, a path escape, a symbolic link or other special
        file, a nested archive, an encrypted member, or two members with one name.
    """
    infos = archive.infolist()
    if len(infos) > settings.MAX_ZIP_MEMBERS:
        raise UnsafeInputError(
            f"the zip archive has {len(infos):,} members; the most accepted is "
            f"{settings.MAX_ZIP_MEMBERS:,}"
        )
    total = 0
    seen: dict[str, str] = {}
    members = []
    for info in infos:
        name = normalise_member_name(info.orig_filename)
        is_dir = name.endswith("/")
        kind = _file_type(info)
        if kind == stat.S_IFLNK:
            raise UnsafeInputError(
                f"the zip archive member {name!r} is a symbolic link; the archive is refused"
            )
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise UnsafeInputError(
                f"the zip archive member {name!r} is not a regular file; the archive is refused"
            )
        if info.flag_bits & 0x1:
            raise UnsafeInputError(
                f"the zip archive member {name!r} is password-protected; upload it unencrypted"
            )
        if info.compress_type not in _READABLE_METHODS:
            raise LayerError(
                f"the zip archive member {name!r} uses a compression method that cannot be "
                f"read here; re-create the archive with standard (deflate) compression"
            )
        if not is_dir and name.lower().endswith(_NESTED_ARCHIVE_SUFFIXES):
            raise UnsafeInputError(
                f"the zip archive holds another archive ({name!r}); nested archives are refused"
            )
        key = name.rstrip("/").casefold()
        if key in seen:
            raise UnsafeInputError(
                f"the zip archive holds two members named {name!r}"
                + (f" and {seen[key]!r}" if seen[key] != name else "")
                + "; the archive is refused"
            )
        seen[key] = name
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > settings.MAX_ZIP_RATIO and info.file_size > settings.ZIP_RATIO_EXEMPT_BYTES:
            raise UnsafeInputError(
                f"the zip archive member {name!r} expands {ratio:,.0f} times "
                f"(more than {settings.MAX_ZIP_RATIO:,.0f}); it is refused as a possible zip bomb"
            )
        total += info.file_size
        if total > settings.MAX_ZIP_UNCOMPRESSED_BYTES:
            raise UnsafeInputError(
                f"the zip archive expands to more than "
                f"{_mb(settings.MAX_ZIP_UNCOMPRESSED_BYTES)}; it is refused as a possible "
                f"zip bomb"
            )
        members.append(ZipMember(info, name, is_dir))
    return members


def _is_plain_name(name: str) -> bool:
    return (
        bool(name)
        and name not in (".", "..")
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
    )


@contextmanager
def extract_members(archive: zipfile.ZipFile, wanted: Mapping[str, ZipMember]) -> Iterator[Path]:
    """Extract chosen members into a fresh temporary folder, removed afterwards.

    Parameters
    ----------
    archive : zipfile.ZipFile
        The archive the members come from.
    wanted : mapping of str to ZipMember
        The file name to give each extracted member (a plain name such as
        ``layer.shp``, chosen by the caller, never the archive's) and the member.

    Yields
    ------
    Path
        The folder holding exactly the wanted files.

    Raises
    ------
    UnsafeInputError
        When a member expands beyond its declared size, the total beyond
        ``settings.MAX_ZIP_UNCOMPRESSED_BYTES``, or its ratio beyond
        ``settings.MAX_ZIP_RATIO`` while it is written; or when it is itself a zip.
    LayerError
        When a member is damaged (bad CRC, truncated data).
    """
    for target in wanted:
        if not _is_plain_name(target):
            raise ValueError(f"extraction names must be plain file names, got {target!r}")
    folder = Path(tempfile.mkdtemp(prefix="mutualaid-zip-"))
    try:
        budget = settings.MAX_ZIP_UNCOMPRESSED_BYTES
        for target, member in wanted.items():
            budget -= _copy_bounded(archive, member, folder / target, budget)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _copy_bounded(archive: zipfile.ZipFile, member: ZipMember, path: Path, budget: int) -> int:
    """Write one member to ``path`` counting bytes; return how many were written."""
    declared = member.info.file_size
    packed = max(member.info.compress_size, 1)
    written = 0
    # O_EXCL and O_NOFOLLOW: never write through something already there.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        with (
            archive.open(member.info) as source,
            os.fdopen(os.open(path, flags, 0o600), "wb") as out,
        ):
            while True:
                chunk = source.read(_CHUNK)
                if not chunk:
                    break
                if written == 0 and chunk.startswith(_ZIP_MAGIC):
                    raise UnsafeInputError(
                        f"the zip archive member {member.name!r} is itself a zip archive; "
                        f"nested archives are refused"
                    )
                written += len(chunk)
                if written > declared:
                    raise UnsafeInputError(
                        f"the zip archive member {member.name!r} expands beyond the size it "
                        f"declares; the archive is refused"
                    )
                if written > budget:
                    raise UnsafeInputError(
                        f"the zip archive expands to more than "
                        f"{_mb(settings.MAX_ZIP_UNCOMPRESSED_BYTES)}; it is refused as a "
                        f"possible zip bomb"
                    )
                if (
                    written > settings.ZIP_RATIO_EXEMPT_BYTES
                    and written / packed > settings.MAX_ZIP_RATIO
                ):
                    raise UnsafeInputError(
                        f"the zip archive member {member.name!r} expands more than "
                        f"{settings.MAX_ZIP_RATIO:,.0f} times; it is refused as a possible "
                        f"zip bomb"
                    )
                out.write(chunk)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        RuntimeError,
        ValueError,
    ) as exc:
        raise LayerError(
            f"the zip archive member {member.name!r} is damaged and cannot be read ({exc})"
        ) from None
    return written
