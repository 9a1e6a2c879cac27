"""Reading a .tar or .tar.gz archive from memory as a stream, under the archive limits.

tarfile's stream mode (`r|`) reads members strictly in order and never seeks, so the archive
is inflated exactly once. Between tarfile and the decompressor sits a `MeteredStream` that
counts every inflated byte: a gzip bomb is stopped by the total-size or ratio limit while it
is being inflated, whatever the tar headers inside it say.

tarfile silently treats a truncated or garbled header after the first as the end of the
archive; `_StrictTarInfo` turns that into CorruptArchiveError, so a truncated upload is not
reviewed as if it were the whole project.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from typing import IO, Self, cast

from coderev.analysis.languages import OTHER, SHEBANG_BYTES, language_from_shebang
from coderev.analysis.limits import ByteBudget, MeteredStream, Readable, read_member
from coderev.analysis.skipping import Entry, Want, examine, plan, shown, split_name
from coderev.domain.errors import CorruptArchiveError
from coderev.domain.source import SkipReason

_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError, ValueError, UnicodeError)
# The two header errors that mean "the archive ends here" (a zero block, or no more bytes).
_END_OF_ARCHIVE: tuple[type[Exception], ...] = tuple(
    getattr(tarfile, n) for n in ("EOFHeaderError", "EmptyHeaderError")
)
_HeaderError = tarfile.HeaderError  # the method below shadows the module with its argument


class _StrictTarInfo(tarfile.TarInfo):
    @classmethod
    def fromtarfile(cls, tarfile: tarfile.TarFile) -> Self:
        try:
            return super().fromtarfile(tarfile)
        except _HeaderError as e:
            if isinstance(e, _END_OF_ARCHIVE):
                raise
            raise CorruptArchiveError(
                f"tar header at offset {tarfile.offset:,} is {e} (truncated or corrupt archive)"
            ) from e


def read_tar(data: bytes, budget: ByteBudget, gzipped: bool) -> list[Entry]:
    source = io.BytesIO(data)
    inner: Readable = gzip.GzipFile(fileobj=source, mode="rb") if gzipped else source
    stream = MeteredStream(inner, source, budget.limits)
    entries: list[Entry] = []
    try:
        with tarfile.open(fileobj=cast(IO[bytes], stream), mode="r|",
                          tarinfo=_StrictTarInfo) as tar:
            for member in tar:
                entries.append(_entry(tar, member, budget))
    except _ERRORS as e:
        kind = "tar.gz" if gzipped else "tar"
        raise CorruptArchiveError(f"not a readable {kind} archive: {e}") from e
    return entries


def _entry(tar: tarfile.TarFile, member: tarfile.TarInfo, budget: ByteBudget) -> Entry:
    name = shown(member.name)
    budget.count_member(name)
    parts = split_name(member.name)
    if isinstance(parts, SkipReason):
        return Entry((), name, reason=parts)
    if not parts:
        return Entry((), name, is_dir=True)
    if member.isdir():
        return Entry(parts, name, is_dir=True)
    if member.issym():
        return Entry(parts, name, reason=SkipReason.SYMLINK, detail=f"-> {shown(member.linkname)}")
    if member.islnk():
        return Entry(parts, name, reason=SkipReason.HARDLINK,
                     detail=f"-> {shown(member.linkname)}")
    if not member.isreg():
        kind = "fifo" if member.isfifo() else "device" if member.isdev() else "special"
        return Entry(parts, name, reason=SkipReason.DEVICE, detail=kind)
    budget.check_declared(name, member.size)
    want, language, reason = plan(parts)
    entry = Entry(parts, name, language=language, reason=reason)
    if want is Want.NOTHING or reason is not None:
        return entry  # tarfile skips its bytes, still through the meter
    reader = tar.extractfile(member)
    if reader is None:  # only for non-regular members, excluded above
        return entry
    head = b""
    if want is Want.HEAD:
        head = reader.read(SHEBANG_BYTES)
        entry.language = language_from_shebang(head)
        if entry.language == OTHER:
            return entry
    data = head + read_member(reader, name, budget, declared=member.size - len(head))
    entry.reason, entry.detail = examine(entry.language, data, budget.limits)
    if entry.reason is None:
        entry.data = data
    return entry
