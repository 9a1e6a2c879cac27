"""The tar dialects real archives use (v7, ustar, GNU, pax) read alike; corrupt headers refused."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from coderev.analysis.archive import (
    ArchiveLimits,
    archive_kind,
    check_archive_bytes,
    read_archive_bytes,
    read_source,
)
from coderev.domain.errors import ArchiveLimitError, CorruptArchiveError
from coderev.domain.source import SkipReason

LONG = "proj/" + "/".join(f"package_with_a_long_name_{i}" for i in range(6)) + "/module.py"
MEMBERS = {
    "proj/setup.py": b"",
    LONG: b"VALUE = 'long'\n",
    "proj/caf\u00e9/m\u00f6dule.py": "NAME = 'caf\u00e9'\n".encode(),
    "proj/scripts/run": b"#!/bin/sh\necho run\n",
}


def tar_bytes(fmt: int, members: dict[str, bytes], mode: str = "w:gz",
              pax_headers: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=fmt,  # type: ignore[call-overload]
                      pax_headers=pax_headers or {}) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_700_000_000.5
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_long_and_non_ascii_names_read_the_same_in_gnu_and_pax_tars(fmt: int) -> None:
    tree = read_archive_bytes("p.tgz", tar_bytes(fmt, MEMBERS))
    assert [f.path for f in tree.files] == [
        "caf\u00e9/m\u00f6dule.py", LONG.removeprefix("proj/"), "scripts/run", "setup.py"]
    assert {f.path: f.language for f in tree.files}["scripts/run"] == "shell"


def test_ustar_prefix_field_is_joined_to_the_name() -> None:
    name = "proj/" + "d" * 90 + "/" + "e" * 40 + "/m.py"  # > 100 chars: ustar splits it
    tree = read_archive_bytes("p.tar", tar_bytes(tarfile.USTAR_FORMAT, {name: b"x = 1\n"}, "w"))
    assert [f.path for f in tree.files] == [name.removeprefix("proj/")]


def test_a_pax_global_header_path_does_not_hide_members() -> None:
    archive = tar_bytes(tarfile.PAX_FORMAT, {"p/a.py": b"a = 1\n", "p/b.py": b"b = 2\n"},
                        pax_headers={"comment": "made by a test"})
    assert [f.path for f in read_archive_bytes("p.tgz", archive).files] == ["a.py", "b.py"]


def test_a_pre_posix_tar_without_magic_is_recognised_by_its_name() -> None:
    archive = tar_bytes(tarfile.GNU_FORMAT, {"a.py": b"a = 1\n"}, "w")
    v7 = bytearray(archive)
    v7[257:265] = bytes(8)  # no magic, as in a v7 tar; fix the checksum to match
    v7[148:156] = b" " * 8
    v7[148:156] = f"{sum(v7[:512]):06o}\0 ".encode()
    assert archive_kind("old.tar", bytes(v7)) == "tar"
    assert [f.path for f in read_archive_bytes("old.tar", bytes(v7)).files] == ["a.py"]


def test_a_header_with_a_bad_checksum_is_corrupt() -> None:
    members = {"a.py": b"a = 1\n", "b.py": b"b = 2\n"}
    archive = bytearray(tar_bytes(tarfile.PAX_FORMAT, members, "w"))
    second = archive.index(b"b.py", 1024)
    archive[second] ^= 0x20  # flip a bit in the second member's name
    with pytest.raises(CorruptArchiveError, match="bad checksum"):
        read_archive_bytes("p.tar", bytes(archive))


def test_an_empty_tar_is_an_empty_tree() -> None:
    tree = read_archive_bytes("e.tgz", tar_bytes(tarfile.PAX_FORMAT, {}))
    assert tree.files == () and tree.skipped == ()


def test_a_huge_pax_header_is_limited_like_a_member() -> None:
    archive = tar_bytes(tarfile.PAX_FORMAT, {"a.py": b"a = 1\n"},
                        pax_headers={"comment": "x" * 5000})
    with pytest.raises(ArchiveLimitError, match="extended header"):
        read_archive_bytes("p.tgz", archive, ArchiveLimits(max_file_bytes=4096))


def test_a_directory_skips_large_source_unread_and_limits_the_total(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_bytes(b"x = 1\n" * 1000)
    (tmp_path / "small.py").write_bytes(b"y = 2\n")
    tree = read_source(tmp_path, ArchiveLimits(max_source_bytes=1000))
    assert [f.path for f in tree.files] == ["small.py"]
    assert [(s.path, s.reason) for s in tree.skipped] == [("big.py", SkipReason.TOO_LARGE)]
    with pytest.raises(ArchiveLimitError, match="total uncompressed size"):
        read_source(tmp_path, ArchiveLimits(max_total_bytes=5000))


def test_an_encrypted_zip_member_is_skipped_and_reported() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("open.py", "x = 1\n")
        zf.writestr("secret.py", "TOKEN = 'x'\n")
    data = bytearray(buf.getvalue())
    central = data.index(b"PK\x01\x02secret.py"[:4], data.rindex(b"open.py") + 1)
    data[central + 8] |= 0x1  # general purpose flag: encrypted
    tree = read_archive_bytes("a.zip", bytes(data))
    assert [f.path for f in tree.files] == ["open.py"]
    assert [(s.path, s.reason) for s in tree.skipped] == [("secret.py", SkipReason.ENCRYPTED)]


def test_a_checked_archive_is_refused_as_a_read_would_refuse_it() -> None:
    corrupt = tar_bytes(tarfile.PAX_FORMAT, MEMBERS)[:-300]
    with pytest.raises(CorruptArchiveError):
        check_archive_bytes("p.tgz", corrupt, keep=True)
    with pytest.raises(ArchiveLimitError):
        check_archive_bytes("p.tgz", tar_bytes(tarfile.PAX_FORMAT, MEMBERS),
                            ArchiveLimits(max_members=2))  # fmt: skip


def test_the_members_a_check_kept_serve_the_next_read_of_the_same_bytes_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from coderev.analysis import archive

    data = tar_bytes(tarfile.PAX_FORMAT, MEMBERS)
    fresh = read_archive_bytes("p.tgz", data, exclude=["scripts/*"])
    check_archive_bytes("p.tgz", data, keep=True)
    inflated: list[int] = []
    real = archive.read_tar
    monkeypatch.setattr(archive, "read_tar", lambda *a: inflated.append(1) or real(*a))
    same_bytes = bytes(bytearray(data))  # equal, not the same object: as a second store.get
    assert read_archive_bytes("p.tgz", same_bytes, exclude=["scripts/*"]) == fresh
    assert inflated == []  # the check's members, with this read's own exclusions
    assert read_archive_bytes("p.tgz", data, exclude=["scripts/*"]) == fresh
    assert inflated == [1]  # taken once
    check_archive_bytes("p.tgz", data, keep=True)
    inflated.clear()
    other = tar_bytes(tarfile.PAX_FORMAT, {**MEMBERS, "proj/new.py": b"x = 2\n"})
    assert "new.py" in [f.path for f in read_archive_bytes("p.tgz", other).files]
    assert inflated == [1]  # other bytes: read, not the kept members
