"""Hostile and broken archives: bombs, lying headers, too many or too large members, truncation."""

from __future__ import annotations

import io
import random
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from coderev.analysis.archive import ArchiveLimits, read_archive_bytes, read_source
from coderev.analysis.limits import FILE_SIZE, MEMBER_COUNT, MIB, RATIO, TOTAL_SIZE
from coderev.domain.errors import ArchiveLimitError, CorruptArchiveError, UnsupportedInputError
from coderev.domain.source import SkipReason

Maker = Callable[[dict[str, bytes]], bytes]


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def tar_bytes(members: dict[str, bytes], gz: bool = True) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def gzip_bomb(name: str, declared: int, inflated_mib: int) -> bytes:
    """A .tar.gz whose one member claims `declared` bytes and whose gzip stream inflates to
    `inflated_mib` MiB of zeros, built from one compressed 1 MiB block repeated (a full flush
    makes each block independent), so it costs nothing to build. No gzip trailer: a reader
    that got to the end would report corruption, not a limit."""
    header = tarfile.TarInfo(name)
    header.size = declared
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = c.compress(header.tobuf(format=tarfile.GNU_FORMAT)) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(MIB)) + c.flush(zlib.Z_FULL_FLUSH)
    return head + block * inflated_mib


def test_zip_bomb_over_the_file_size_is_refused_naming_limit_and_value() -> None:
    bomb = zip_bytes({"bomb.py": b"#" * (60 * MIB)})
    with pytest.raises(ArchiveLimitError) as caught:
        read_archive_bytes("bomb.zip", bomb)
    assert caught.value.limit == FILE_SIZE and caught.value.value == 60 * MIB
    assert "file size (bytes) is 62,914,560, maximum is 52,428,800" in str(caught.value)
    assert "bomb.py" in str(caught.value)


def test_zip_bomb_under_the_size_limits_is_refused_by_its_compression_ratio() -> None:
    bomb = zip_bytes({"pkg/__init__.py": b"", "pkg/bomb.py": b"\n" * (20 * MIB)})
    with pytest.raises(ArchiveLimitError) as caught:
        read_archive_bytes("bomb.zip", bomb)
    assert caught.value.limit == RATIO and caught.value.value > 200
    assert str(caught.value).startswith("archive limit exceeded: compression ratio is ")
    assert caught.value.member == "pkg/bomb.py"


def test_a_small_highly_compressible_file_is_not_a_bomb() -> None:
    tree = read_archive_bytes("ok.zip", zip_bytes({"table.py": b"x = 0\n" * 100_000}))
    assert [f.path for f in tree.files] == ["table.py"]


def _central_size_patched(data: bytes, size: int) -> bytes:
    """The zip with the uncompressed size in its central directory replaced (a lying header)."""
    at = data.rindex(b"PK\x01\x02") + 24
    return data[:at] + struct.pack("<I", size) + data[at + 4 :]


def test_a_zip_header_understating_the_size_never_yields_more_than_it_declares() -> None:
    liar = _central_size_patched(zip_bytes({"a.py": b"print('hi')\n" * 400_000}), 100)
    with pytest.raises(CorruptArchiveError):
        read_archive_bytes("liar.zip", liar)


def test_a_zip_header_overstating_the_size_is_refused_before_inflating() -> None:
    liar = _central_size_patched(zip_bytes({"a.py": b"print('hi')\n"}), 3_000_000_000)
    with pytest.raises(ArchiveLimitError) as caught:
        read_archive_bytes("liar.zip", liar)
    assert caught.value.limit == FILE_SIZE and caught.value.value == 3_000_000_000


def test_a_gzip_bomb_declaring_a_huge_member_is_refused_from_its_header() -> None:
    with pytest.raises(ArchiveLimitError) as caught:
        read_archive_bytes("bomb.tar.gz", gzip_bomb("bomb.py", 4 * 1024 * MIB, 8))
    assert caught.value.limit == FILE_SIZE and caught.value.value == 4 * 1024 * MIB


def test_a_gzip_bomb_is_stopped_by_its_ratio_while_inflating() -> None:
    roomy = ArchiveLimits(max_file_bytes=8 * 1024 * MIB, max_total_bytes=8 * 1024 * MIB)
    with pytest.raises(ArchiveLimitError) as caught:
        read_archive_bytes("bomb.tar.gz", gzip_bomb("bomb.bin", 4 * 1024 * MIB, 1024), roomy)
    assert caught.value.limit == RATIO and caught.value.value > 200


def test_a_gzip_bomb_is_stopped_by_the_total_close_to_the_limit_not_after_inflating_it() -> None:
    limits = ArchiveLimits(max_file_bytes=8 * 1024 * MIB, max_total_bytes=64 * MIB, max_ratio=1e9)
    with pytest.raises(ArchiveLimitError) as caught:
        read_archive_bytes("bomb.tar.gz", gzip_bomb("bomb.py", 900 * MIB, 1024), limits)
    assert caught.value.limit == TOTAL_SIZE
    assert 64 * MIB < caught.value.value <= 65 * MIB  # 1 GiB was on offer
    assert "total uncompressed size (bytes) is" in str(caught.value)


@pytest.mark.parametrize("gz", [True, False])
def test_too_many_tar_members_are_refused(gz: bool) -> None:
    archive = tar_bytes({f"m{i}.py": b"" for i in range(11)}, gz=gz)
    with pytest.raises(ArchiveLimitError) as caught:
        read_archive_bytes("many.tar", archive, ArchiveLimits(max_members=10))
    assert caught.value.limit == MEMBER_COUNT
    assert "member count is 11, maximum is 10" in str(caught.value)


def test_too_many_zip_members_are_refused_before_reading_any() -> None:
    archive = zip_bytes({f"m{i}.txt": b"" for i in range(11)})
    with pytest.raises(ArchiveLimitError, match="member count is 11, maximum is 10"):
        read_archive_bytes("many.zip", archive, ArchiveLimits(max_members=10))


@pytest.mark.parametrize("make", [zip_bytes, tar_bytes])
def test_an_oversized_member_is_refused_even_if_it_is_not_source(make: Maker) -> None:
    archive = make({"ok.py": b"x = 1\n", "data/big.bin": bytes(range(256)) * 8})
    with pytest.raises(ArchiveLimitError) as caught:
        read_archive_bytes("a.zip" if make is zip_bytes else "a.tgz", archive,
                           ArchiveLimits(max_file_bytes=1000))
    assert "file size (bytes) is 2,048, maximum is 1,000 (member 'data/big.bin')" in str(
        caught.value)


@pytest.mark.parametrize("make", [zip_bytes, tar_bytes])
def test_the_total_of_several_members_is_limited(make: Maker) -> None:
    members = {f"m{i}.py": b"x = 1\n" * 100 for i in range(5)}  # 600 bytes each
    with pytest.raises(ArchiveLimitError) as caught:
        read_archive_bytes("a.zip" if make is zip_bytes else "a.tgz",
                           make(members), ArchiveLimits(max_total_bytes=2000))
    assert caught.value.limit == TOTAL_SIZE and caught.value.maximum == 2000


def test_a_large_text_file_under_the_hard_limit_is_skipped_as_too_large() -> None:
    generated = "".join(f"x_{i} = {i * 7919 % 100_003}\n" for i in range(200_000)).encode()
    tree = read_archive_bytes("a.zip", zip_bytes({"gen.py": generated, "ok.py": b"y = 2\n"}))
    assert [f.path for f in tree.files] == ["ok.py"]
    [skip] = tree.skipped
    assert (skip.path, skip.reason) == ("gen.py", SkipReason.TOO_LARGE)
    assert f"{len(generated):,} bytes" in skip.detail


def test_the_archive_itself_is_limited_before_it_is_opened() -> None:
    with pytest.raises(ArchiveLimitError, match="archive size"):
        read_archive_bytes("a.zip", b"PK\x03\x04" + bytes(5000),
                           ArchiveLimits(max_total_bytes=4096))


@pytest.mark.parametrize(("name", "make"), [("a.zip", zip_bytes), ("a.tar.gz", tar_bytes),
                                            ("a.tar", lambda m: tar_bytes(m, gz=False))])
def test_truncated_archives_are_corrupt(name: str, make: Maker) -> None:
    members = {f"pkg/m{i}.py": f"v = {random.Random(i).randbytes(3000).hex()!r}\n".encode()
               for i in range(20)}
    whole: bytes = make(members)
    assert len(read_archive_bytes(name, whole).files) == 20
    for fraction in (0.3, 0.5, 0.7):
        with pytest.raises(CorruptArchiveError):
            read_archive_bytes(name, whole[: int(len(whole) * fraction)])


def test_a_tar_cut_inside_a_later_header_is_corrupt_not_silently_shorter() -> None:
    whole = tar_bytes({"a.py": b"#" * 512, "b.py": b"#" * 512}, gz=False)
    assert len(read_archive_bytes("a.tar", whole).files) == 2
    with pytest.raises(CorruptArchiveError, match="offset 1,024"):
        read_archive_bytes("a.tar", whole[: 1024 + 100])


def test_a_zip_with_a_bad_crc_is_corrupt() -> None:
    data = bytearray(zip_bytes({"a.py": b"print('hello world')\n" * 50}))
    at = data.rindex(b"PK\x01\x02") + 16  # the central directory's CRC-32
    data[at] ^= 0xFF
    with pytest.raises(CorruptArchiveError, match=r"a\.py"):
        read_archive_bytes("a.zip", bytes(data))


def test_garbage_named_like_an_archive_is_corrupt() -> None:
    for name in ("a.zip", "a.tar.gz", "a.tgz"):
        with pytest.raises(CorruptArchiveError):
            read_archive_bytes(name, b"this is not an archive at all" * 40)


@pytest.mark.parametrize(("name", "data", "words"), [
    ("a.rar", b"Rar!\x1a\x07\x00" + bytes(100), "RAR"),
    ("a.tar.bz2", b"BZh91AY&SY" + bytes(100), "bzip2"),
    ("notes.txt", b"just some notes\n", "not a directory or a supported archive"),
])
def test_unknown_formats_are_unsupported(name: str, data: bytes, words: str) -> None:
    with pytest.raises(UnsupportedInputError, match=words):
        read_archive_bytes(name, data)


def test_a_missing_path_is_unsupported_input(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedInputError, match="no such file"):
        read_source(tmp_path / "missing.zip")


def test_format_is_found_by_content_whatever_the_name(tmp_path: Path) -> None:
    (tmp_path / "upload.bin").write_bytes(tar_bytes({"proj/app.py": b"x = 1\n"}))
    assert [f.path for f in read_source(tmp_path / "upload.bin").files] == ["app.py"]
