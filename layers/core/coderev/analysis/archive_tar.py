"""Reading a .tar or .tar.gz archive from memory as one forward stream, under the archive limits.

Between this reader and the decompressor sits a `MeteredStream` that counts every inflated
byte, so a gzip bomb is stopped by the total-size or ratio limit while it is being inflated,
whatever the tar headers inside it say. Members are read strictly in order and never seeked.

The header parser is written here rather than taken from `tarfile` for two reasons. Speed:
tarfile decodes every field of every header in Python (~50 us a header, and a pax sdist has
two headers per file), which made header parsing cost more than inflating the Django sdist;
this parser decodes only the fields a review needs. Strictness: tarfile treats a truncated or
garbled header after the first one as the end of the archive, so a truncated upload would be
reviewed as if it were the whole project; here that is CorruptArchiveError. Supported: v7,
ustar (with prefix), GNU (long names and links, old sparse members) and pax (per-file and
global `path`, `linkpath`, `size`); sparse and unknown member types are skipped as special.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from coderev.analysis.languages import OTHER, SHEBANG_BYTES, language_from_shebang
from coderev.analysis.limits import MIB, ByteBudget, MeteredStream, Readable, read_member
from coderev.analysis.skipping import Entry, Want, examine, plan, shown, split_name
from coderev.domain.errors import CorruptArchiveError
from coderev.domain.source import SkipReason

BLOCK = 512
_ZERO_BLOCK = bytes(BLOCK)
_ERRORS = (EOFError, zlib.error, OSError)
_REGULAR = frozenset({b"0", b"\0", b"7"})  # file, v7 file, contiguous file
_SPECIAL = {
    b"1": (SkipReason.HARDLINK, ""),
    b"2": (SkipReason.SYMLINK, ""),
    b"3": (SkipReason.DEVICE, "character device"),
    b"4": (SkipReason.DEVICE, "block device"),
    b"6": (SkipReason.DEVICE, "fifo"),
}
_SIGNED = struct.Struct("512b")
_READ_AHEAD = 256 * 1024


@dataclass(frozen=True, slots=True)
class _Header:
    name: str
    type: bytes
    size: int
    linkname: str
    sparse: bool


class _Blocks:
    """The tar stream: headers are read whole; `read` reads the current member's data."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._buffer = b""  # read ahead: one stream call per 256 KiB, not one per header
        self._at = 0
        self.offset = 0
        self._left = 0  # unread data of the current member
        self._pad = 0  # its padding to the next 512-byte block

    def exact(self, size: int) -> bytes:
        """`size` bytes, or fewer only at the end of the stream."""
        end = self._at + size
        if end <= len(self._buffer):
            data = self._buffer[self._at : end]
            self._at = end
        else:
            parts = [self._buffer[self._at :]]
            have = len(parts[0])
            self._buffer, self._at = b"", 0
            while have < size:
                chunk = self._stream.read(max(size - have, _READ_AHEAD))
                if not chunk:
                    break
                take = min(size - have, len(chunk))
                parts.append(chunk[:take])
                have += take
                self._buffer, self._at = chunk, take
            data = b"".join(parts)
        self.offset += len(data)
        return data

    def open_member(self, size: int) -> None:
        self._left, self._pad = size, -size % BLOCK

    def read(self, size: int = -1, /) -> bytes:
        size = self._left if size < 0 else min(size, self._left)
        data = self.exact(size)
        if len(data) < size:
            raise _corrupt(self.offset, "tar data ends early (truncated archive)")
        self._left -= size
        return data

    def close_member(self) -> None:
        rest, self._left, self._pad = self._left + self._pad, 0, 0
        while rest:
            skipped = len(self.exact(min(rest, MIB)))
            if not skipped:
                raise _corrupt(self.offset, "tar data ends early (truncated archive)")
            rest -= skipped


def read_tar(data: bytes, budget: ByteBudget, gzipped: bool) -> list[Entry]:
    source = io.BytesIO(data)
    inner: Readable = gzip.GzipFile(fileobj=source, mode="rb") if gzipped else source
    blocks = _Blocks(MeteredStream(inner, source, budget.limits))
    try:
        return [_entry(blocks, header, budget) for header in _headers(blocks, budget)]
    except _ERRORS as e:
        kind = "tar.gz" if gzipped else "tar"
        raise CorruptArchiveError(f"not a readable {kind} archive: {e}") from e


def _headers(blocks: _Blocks, budget: ByteBudget) -> Iterator[_Header]:
    """Each member's header, extended headers applied; the caller may read the member's data
    before asking for the next one, and what it leaves is skipped."""
    global_extras: dict[str, str] = {}
    extras: dict[str, str] = {}
    while True:
        at = blocks.offset
        block = blocks.exact(BLOCK)
        if not block or block == _ZERO_BLOCK:
            if not block and at == 0:
                raise CorruptArchiveError("empty tar archive")
            return  # the end-of-archive marker, or the end at a member boundary
        if len(block) < BLOCK:
            raise _corrupt(at, "tar header is truncated")
        _check_sum(block, at)
        kind, size = block[156:157], _number(block[124:136], at)
        if kind in (b"x", b"g", b"L", b"K"):
            budget.check_declared(f"extended header at offset {at:,}", size)
            blocks.open_member(size)
            payload = blocks.read()
            blocks.close_member()
            if kind == b"L" or kind == b"K":
                extras["path" if kind == b"L" else "linkpath"] = _text(payload)
            else:
                (extras if kind == b"x" else global_extras).update(_pax_records(payload, at))
            continue
        name, linkname = _text(block[:100]), _text(block[157:257])
        if block[257:263] == b"ustar\x00" and block[345] != 0:
            name = f"{_text(block[345:500])}/{name}"
        merged = {**global_extras, **extras} if global_extras else extras
        extras = {}
        name = merged.get("path", name)
        linkname = merged.get("linkpath", linkname)
        if "size" in merged:
            size = _pax_size(merged["size"], at)
        sparse = kind == b"S" or any(k.startswith("GNU.sparse.") for k in merged)
        if kind == b"S" and block[482]:  # old GNU sparse: extension blocks follow the header
            while (extension := blocks.exact(BLOCK)) and len(extension) == BLOCK and extension[504]:
                pass
        blocks.open_member(size)
        yield _Header(name, kind, size, linkname, sparse)
        blocks.close_member()


def _check_sum(block: bytes, at: int) -> None:
    """Header checksum: the sum of its bytes, the checksum field counted as spaces (some old
    tars summed signed bytes, which tarfile also accepts)."""
    try:
        stored = int(block[148:156].split(b"\0", 1)[0].strip() or b"-1", 8)
    except ValueError:
        stored = -1
    if stored == sum(block) - sum(block[148:156]) + 8 * 32:
        return
    signed = _SIGNED.unpack(block)
    if stored != sum(signed) - sum(signed[148:156]) + 8 * 32:
        raise _corrupt(at, "tar header has a bad checksum (corrupt archive)")


def _number(field: bytes, at: int) -> int:
    if field[:1] in (b"\x80", b"\xff"):  # GNU base-256 for values octal cannot hold
        value = int.from_bytes(field[1:], "big")
        return value - (1 << (8 * len(field) - 8)) if field[0] == 0xFF else value
    digits = field.split(b"\0", 1)[0].strip()
    try:
        value = int(digits, 8) if digits else 0
    except ValueError:
        raise _corrupt(at, f"tar header has a bad number {digits!r}") from None
    if value < 0:
        raise _corrupt(at, "tar header has a negative size")
    return value


def _corrupt(at: int, what: str) -> CorruptArchiveError:
    return CorruptArchiveError(f"{what}, at offset {at:,}")


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "replace")


def _pax_records(payload: bytes, at: int) -> dict[str, str]:
    """`<length> <key>=<value>\\n` records of a pax extended header."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(payload) and payload[pos]:
        space = payload.find(b" ", pos)
        try:
            length = int(payload[pos:space])
        except ValueError:
            length = 0
        end = pos + length
        if space < 0 or length <= 0 or end > len(payload) or payload[end - 1] != 0x0A:
            raise _corrupt(at, "pax header is malformed")
        key, _, value = payload[space + 1 : end - 1].partition(b"=")
        records[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
        pos = end
    return records


def _pax_size(value: str, at: int) -> int:
    if not value.isdigit():
        raise _corrupt(at, f"pax header has a bad size {value!r}")
    return int(value)


def _entry(blocks: _Blocks, header: _Header, budget: ByteBudget) -> Entry:
    name = shown(header.name)
    budget.count_member(name)
    parts = split_name(header.name)
    if isinstance(parts, SkipReason):
        return Entry((), name, reason=parts)
    if not parts:
        return Entry((), name, is_dir=True)
    kind = header.type
    if kind == b"5" or (kind in _REGULAR and header.name.endswith(("/", "\\"))):
        return Entry(parts, name, is_dir=True)
    if kind in _SPECIAL:
        special, detail = _SPECIAL[kind]
        return Entry(parts, name, reason=special, detail=detail or f"-> {shown(header.linkname)}")
    if kind not in _REGULAR or header.sparse:
        detail = "sparse file" if header.sparse else f"tar entry type {kind!r}"
        return Entry(parts, name, reason=SkipReason.DEVICE, detail=detail)
    budget.check_declared(name, header.size)
    want, language, reason = plan(parts)
    entry = Entry(parts, name, language=language, reason=reason)
    if want is Want.NOTHING or reason is not None:
        return entry  # its bytes are skipped, still through the meter
    head = b""
    if want is Want.HEAD:
        head = blocks.read(SHEBANG_BYTES)
        entry.language = language_from_shebang(head)
        if entry.language == OTHER:
            return entry
    data = head + read_member(blocks, name, budget, declared=header.size - len(head))
    entry.reason, entry.detail = examine(entry.language, data, budget.limits)
    if entry.reason is None:
        entry.data = data
    return entry
