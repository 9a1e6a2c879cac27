"""Safety limits for reading code under review, and the meters that enforce them while reading.

Header-declared sizes are checked first (a cheap early refusal), but the limits hold on the
bytes actually produced by decompression: a member's bytes are counted as they are read and
a gzip stream is counted as it is inflated, so a lying header or a gzip bomb is stopped a few
hundred KiB past the limit, never after inflating it whole.

Compression ratios are only enforced once more than `ratio_floor_bytes` have come out: a
small file of repeated lines can legitimately compress 1000:1, and is harmless.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Protocol

from coderev.domain.errors import ArchiveLimitError, CorruptArchiveError

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

TOTAL_SIZE = "total uncompressed size (bytes)"
MEMBER_COUNT = "member count"
FILE_SIZE = "file size (bytes)"
RATIO = "compression ratio"
ARCHIVE_SIZE = "archive size (bytes)"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Hard limits (exceeding one raises ArchiveLimitError) and the soft source-size cut-off."""

    max_total_bytes: int = 1 * GIB  # everything decompressed, or read from a directory
    max_members: int = 100_000  # entries in an archive, directories and skipped ones included
    max_file_bytes: int = 50 * MIB  # any single member (hard limit)
    max_ratio: float = 200.0  # uncompressed / compressed, per zip member and per archive
    ratio_floor_bytes: int = 1 * MIB  # ratios are checked only past this many bytes out
    max_source_bytes: int = 2 * MIB  # larger text files are skipped as file-too-large


class ByteBudget:
    """Counts members and bytes across one archive or directory, raising at the first excess."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.members = 0
        self.total = 0

    def count_member(self, name: str) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise ArchiveLimitError(MEMBER_COUNT, self.members, self.limits.max_members, name)

    def check_declared(self, name: str, size: int, compressed: int | None = None) -> None:
        """Refuse a member from its header before reading a byte of it."""
        limits = self.limits
        if size > limits.max_file_bytes:
            raise ArchiveLimitError(FILE_SIZE, size, limits.max_file_bytes, name)
        if compressed is not None:
            check_ratio(limits, size, compressed, name)

    def add(self, name: str, count: int) -> None:
        """Account `count` bytes actually read for `name`."""
        self.total += count
        if self.total > self.limits.max_total_bytes:
            raise ArchiveLimitError(TOTAL_SIZE, self.total, self.limits.max_total_bytes, name)


def check_ratio(limits: ArchiveLimits, out: int, compressed: int, name: str = "") -> None:
    if out <= limits.ratio_floor_bytes:
        return
    ratio = out / max(compressed, 1)
    if ratio > limits.max_ratio:
        raise ArchiveLimitError(RATIO, round(ratio, 1), limits.max_ratio, name)


def read_member(
    stream: Readable,
    name: str,
    budget: ByteBudget,
    compressed: int | None = None,
    declared: int | None = None,
) -> bytes:
    """Read one member to its end, enforcing the per-file, total and (if known) ratio limits
    on the bytes actually produced, and refusing more bytes than the header `declared`."""
    limits = budget.limits
    cap = limits.max_file_bytes if declared is None else min(declared, limits.max_file_bytes)
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(MIB, cap - size + 1))
        if not chunk:
            break
        size += len(chunk)
        budget.add(name, len(chunk))
        if size > limits.max_file_bytes:
            raise ArchiveLimitError(FILE_SIZE, size, limits.max_file_bytes, name)
        if declared is not None and size > declared:
            raise CorruptArchiveError(
                f"member {name!r} holds more than the {declared:,} bytes its header declares"
            )
        if compressed is not None:
            check_ratio(limits, size, compressed, name)
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class MeteredStream:
    """A read-only stream over a decompressor, counting what comes out of it.

    `source` is the compressed input (a BytesIO); its position says how much compressed
    data the decompressor has consumed (plus its read-ahead, which only makes the ratio
    look smaller, by at most that read-ahead)."""

    def __init__(self, inner: Readable, source: io.BytesIO, limits: ArchiveLimits) -> None:
        self._inner = inner
        self._source = source
        self._limits = limits
        self.produced = 0

    def read(self, size: int = -1) -> bytes:
        limits = self._limits
        room = limits.max_total_bytes - self.produced + 1
        data = self._inner.read(room if size < 0 else min(size, room))
        self.produced += len(data)
        if self.produced > limits.max_total_bytes:
            raise ArchiveLimitError(TOTAL_SIZE, self.produced, limits.max_total_bytes)
        check_ratio(limits, self.produced, self._source.tell())
        return data
