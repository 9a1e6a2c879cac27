"""Reading a zip archive from memory, member by member, under the archive limits.

The central directory is checked as a whole before any member is inflated (member count,
declared sizes, declared ratios); then only the members worth reviewing are read, and their
inflated bytes are counted as they come out, so a header that lies is caught by the count
(or by zipfile's own CRC check) rather than trusted.
"""

from __future__ import annotations

import io
import stat
import zipfile
import zlib

from coderev.analysis.languages import OTHER, SHEBANG_BYTES, language_from_shebang
from coderev.analysis.limits import TOTAL_SIZE, ByteBudget, check_ratio, read_member
from coderev.analysis.skipping import Entry, Want, examine, plan, shown, split_name
from coderev.domain.errors import ArchiveLimitError, CorruptArchiveError, UnsupportedInputError
from coderev.domain.source import SkipReason

_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)


def read_zip(data: bytes, budget: ByteBudget) -> list[Entry]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ERRORS as e:
        raise CorruptArchiveError(f"not a readable zip archive: {e}") from e
    with archive:
        infos = archive.infolist()
        declared = 0
        for info in infos:
            budget.count_member(shown(info.filename))
            declared += info.file_size
            if not info.is_dir():
                budget.check_declared(shown(info.filename), info.file_size, info.compress_size)
        if declared > budget.limits.max_total_bytes:
            raise ArchiveLimitError(TOTAL_SIZE, declared, budget.limits.max_total_bytes)
        entries = [_entry(archive, info, budget) for info in infos]
    check_ratio(budget.limits, budget.total, len(data))
    return entries


def _entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: ByteBudget) -> Entry:
    name = shown(info.filename)
    parts = split_name(info.filename)
    if isinstance(parts, SkipReason):
        return Entry((), name, reason=parts)
    if not parts:
        return Entry((), name, is_dir=True)
    if info.is_dir():
        return Entry(parts, name, is_dir=True)
    mode = info.external_attr >> 16 if info.create_system == 3 else 0  # 3: made on Unix
    if stat.S_ISLNK(mode):
        return Entry(parts, name, reason=SkipReason.SYMLINK)
    if mode and stat.S_IFMT(mode) and not stat.S_ISREG(mode):
        return Entry(parts, name, reason=SkipReason.DEVICE, detail=f"mode {mode:o}")
    want, language, reason = plan(parts)
    entry = Entry(parts, name, language=language, reason=reason)
    if want is Want.NOTHING or reason is not None:
        return entry
    if info.flag_bits & 0x1:
        entry.reason, entry.detail = SkipReason.ENCRYPTED, "password-protected member"
        return entry
    if want is Want.HEAD:
        entry.language = language_from_shebang(_read(archive, info, budget, SHEBANG_BYTES))
        if entry.language == OTHER:  # no interpreter line: not source
            return entry
    data = _read(archive, info, budget)
    entry.reason, entry.detail = examine(entry.language, data, budget.limits)
    if entry.reason is None:
        entry.data = data
    return entry


def _read(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: ByteBudget, head: int = 0
) -> bytes:
    name = shown(info.filename)
    try:
        with archive.open(info) as member:
            if head:
                return member.read(head)
            return read_member(member, name, budget, info.compress_size, info.file_size)
    except NotImplementedError as e:  # e.g. an unsupported compression method
        raise UnsupportedInputError(f"zip member {name!r}: {e}") from e
    except _ERRORS as e:
        raise CorruptArchiveError(f"zip member {name!r} cannot be read: {e}") from e
