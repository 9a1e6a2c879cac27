"""The hostile archive set (issue 9's "Measure it"): one builder per class an attacker or an
unlucky user sends, each with the outcome coderev documents for it.

Every archive holds a good file (`proj/pkg/good.py`, with an `eval` ruff reports) beside the
hostile member, so an outcome of "reviewed" also shows that the rest of the tree was reviewed.
An `Expect` says either which exit-2 message the review ends with (`refused`: a limit or an
unreadable archive, named in the message) or, for a review that completes, which path is
skipped for which reason (`skipped`) or carries which finding (`finding`).
"""

from __future__ import annotations

import gzip
import io
import random
import stat
import tarfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

GOOD = b"import os\n\n\ndef run(text):\n    return eval(text)\n"
TOP = "proj"


@dataclass(frozen=True)
class Expect:
    refused: str | None = None  # exit 2 with this text in the message
    skipped: tuple[str, str] | None = None  # (path in the report, skip reason)
    finding: tuple[str, str] | None = None  # (path, rule id)
    slow: bool = False
    empty: bool = False  # a report of nothing: the archive holds no file


@dataclass(frozen=True)
class Hostile:
    name: str  # the archive's file name (its suffix says the format)
    build: Callable[[], bytes]
    expect: Expect


def _tar(members: list[tuple[tarfile.TarInfo, bytes]], gz: bool = True) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gz else "w", format=tarfile.PAX_FORMAT) as tar:
        good = tarfile.TarInfo(f"{TOP}/pkg/good.py")
        good.size = len(GOOD)
        tar.addfile(good, io.BytesIO(GOOD))
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buffer.getvalue()


def _file(name: str, data: bytes = b"x = 1\n") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _special(name: str, kind: bytes, target: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, b""


def _zip(members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore", UserWarning)  # a duplicate name is the point of one case
        archive.writestr(f"{TOP}/pkg/good.py", GOOD)
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


def _zip_symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def _raw_tar_name(raw: bytes, data: bytes = b"x = 1\n") -> bytes:
    """A ustar archive whose one extra member's name is `raw` bytes (tarfile would re-encode)."""
    info = tarfile.TarInfo("X" * len(raw))
    info.size = len(data)
    header = bytearray(info.tobuf(format=tarfile.USTAR_FORMAT))
    header[: len(raw)] = raw
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        good = tarfile.TarInfo(f"{TOP}/pkg/good.py")
        good.size = len(GOOD)
        tar.addfile(good, io.BytesIO(GOOD))
    body = buffer.getvalue().rstrip(b"\0")
    body += b"\0" * (-len(body) % 512)
    pad = b"\0" * (-len(data) % 512)
    return gzip.compress(body + bytes(header) + data + pad + b"\0" * 1024)


def _raw_zip_name(raw: bytes) -> bytes:
    data = bytearray(_zip([("X" * len(raw), b"x = 1\n")]))
    placeholder = b"X" * len(raw)
    return bytes(data.replace(placeholder, raw))


def _many_members(count: int, zipped: bool) -> bytes:
    if zipped:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for i in range(count):
                archive.writestr(f"{TOP}/m/{i}.txt", b"")
        return buffer.getvalue()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        for i in range(count):
            tar.addfile(tarfile.TarInfo(f"{TOP}/m/{i}.txt"), io.BytesIO(b""))
    return buffer.getvalue()


def _bomb_tar() -> bytes:
    return _tar([_file(f"{TOP}/pkg/zeros.py", bytes(40 * 1024 * 1024))])


def _bomb_zip() -> bytes:
    return _zip([(f"{TOP}/pkg/zeros.py", bytes(40 * 1024 * 1024))])


def _py(name: str, text: bytes) -> Callable[[], bytes]:
    return lambda: _tar([_file(f"{TOP}/pkg/{name}.py", text)])


DEEP = {
    "brackets": lambda: b"x = " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
    "plus_chain": lambda: b"x = " + b"+".join([b"a"] * 100_000) + b"\n",
    "attribute_chain": lambda: b"x = a" + b".b" * 60_000 + b"\n",
    "call_chain": lambda: b"x = f" + b"()" * 60_000 + b"\n",
    "unary_minus": lambda: b"x = " + b"-" * 50_000 + b"1\n",
    "not_chain": lambda: b"x = " + b"not " * 20_000 + b"a\n",
}


def _deep(name: str) -> Hostile:
    return Hostile(
        f"deep-{name}.tar.gz",
        lambda: _tar([_file(f"{TOP}/pkg/{name}.py", DEEP[name]())]),
        Expect(finding=(f"pkg/{name}.py", "CR-TOOL-001")),
    )


HOSTILE: list[Hostile] = [
    # path traversal and absolute names: skipped, never written anywhere
    Hostile(
        "traversal.tar.gz",
        lambda: _tar([_file("../evil.py")]),
        Expect(skipped=("../evil.py", "path-traversal")),
    ),
    Hostile(
        "traversal-inner.tar.gz",
        lambda: _tar([_file(f"{TOP}/a/../../../evil.py")]),
        Expect(skipped=(f"{TOP}/a/../../../evil.py", "path-traversal")),
    ),
    Hostile(
        "absolute.tar.gz",
        lambda: _tar([_file("/etc/evil.py")]),
        Expect(skipped=("/etc/evil.py", "absolute-path")),
    ),
    Hostile(
        "traversal.zip",
        lambda: _zip([("../evil.py", b"x = 1\n")]),
        Expect(skipped=("../evil.py", "path-traversal")),
    ),
    Hostile(
        "absolute.zip",
        lambda: _zip([("/etc/evil.py", b"x = 1\n")]),
        Expect(skipped=("/etc/evil.py", "absolute-path")),
    ),
    Hostile(
        "backslash.zip",
        lambda: _zip([("..\\..\\evil.py", b"x = 1\n")]),
        Expect(skipped=("..\\..\\evil.py", "path-traversal")),
    ),
    Hostile(
        "drive-letter.zip",
        lambda: _zip([("C:/evil.py", b"x = 1\n")]),
        Expect(skipped=("C:/evil.py", "absolute-path")),
    ),
    # links: listed as skipped, never followed
    Hostile(
        "symlink-out.tar.gz",
        lambda: _tar([_special(f"{TOP}/pkg/passwd.py", tarfile.SYMTYPE, "/etc/passwd")]),
        Expect(skipped=("pkg/passwd.py", "symlink")),
    ),
    Hostile(
        "symlink-up.tar.gz",
        lambda: _tar(
            [_special(f"{TOP}/pkg/up", tarfile.SYMTYPE, "../../.."), _file(f"{TOP}/pkg/up/x.py")]
        ),
        Expect(skipped=("pkg/up", "symlink")),
    ),
    Hostile(
        "hardlink.tar.gz",
        lambda: _tar([_special(f"{TOP}/pkg/shadow.py", tarfile.LNKTYPE, "/etc/shadow")]),
        Expect(skipped=("pkg/shadow.py", "hardlink")),
    ),
    Hostile(
        "symlink.zip",
        lambda: _zip([_zip_symlink(f"{TOP}/pkg/passwd.py", "/etc/passwd")]),
        Expect(skipped=("pkg/passwd.py", "symlink")),
    ),
    # devices
    Hostile(
        "chardev.tar.gz",
        lambda: _tar([_special(f"{TOP}/pkg/null.py", tarfile.CHRTYPE)]),
        Expect(skipped=("pkg/null.py", "device-or-special")),
    ),
    Hostile(
        "blockdev.tar.gz",
        lambda: _tar([_special(f"{TOP}/pkg/sda.py", tarfile.BLKTYPE)]),
        Expect(skipped=("pkg/sda.py", "device-or-special")),
    ),
    Hostile(
        "fifo.tar.gz",
        lambda: _tar([_special(f"{TOP}/pkg/pipe.py", tarfile.FIFOTYPE)]),
        Expect(skipped=("pkg/pipe.py", "device-or-special")),
    ),
    # names
    Hostile(
        "non-utf8-name.tar.gz",
        lambda: _raw_tar_name(f"{TOP}/pkg/".encode() + b"caf\xe9.py"),
        Expect(),
    ),
    Hostile(
        "non-utf8-name.zip", lambda: _raw_zip_name(f"{TOP}/pkg/".encode() + b"caf\xff.py"), Expect()
    ),
    Hostile("newline-name.tar.gz", lambda: _tar([_file(f"{TOP}/pkg/a\nb.py")]), Expect()),
    Hostile(
        "deep-path.tar.gz",
        lambda: _tar([_file(f"{TOP}/" + "d/" * 3000 + "x.py")]),
        Expect(skipped=("d/" * 3000 + "x.py", "path-too-long")),
    ),
    Hostile(
        "duplicate-names.zip", lambda: _zip([(f"{TOP}/pkg/good.py", b"import sys\n")]), Expect()
    ),
    # file/folder clashes: the file is skipped, the folder's files are reviewed
    Hostile(
        "clash-file-first.tar.gz",
        lambda: _tar([_file(f"{TOP}/pkg/a.py"), _file(f"{TOP}/pkg/a.py/b.py")]),
        Expect(skipped=("pkg/a.py", "path-clash")),
    ),
    Hostile(
        "clash-folder-first.tar.gz",
        lambda: _tar([_file(f"{TOP}/pkg/a.py/b.py"), _file(f"{TOP}/pkg/a.py")]),
        Expect(skipped=("pkg/a.py", "path-clash")),
    ),
    Hostile(
        "clash.zip",
        lambda: _zip([(f"{TOP}/pkg/a.py", b"x = 1\n"), (f"{TOP}/pkg/a.py/b.py", b"x = 1\n")]),
        Expect(skipped=("pkg/a.py", "path-clash")),
    ),
    Hostile(
        "clash-toml.tar.gz",
        lambda: _tar(
            [_file(f"{TOP}/pyproject.toml", b"[tool.ruff]\n"), _file(f"{TOP}/pyproject.toml/x.py")]
        ),
        Expect(skipped=("pyproject.toml", "path-clash")),
    ),
    # bombs and limits: refused with the limit named
    Hostile("bomb.tar.gz", _bomb_tar, Expect(refused="compression ratio")),
    Hostile("bomb.zip", _bomb_zip, Expect(refused="compression ratio")),
    Hostile(
        "members-200k.zip",
        lambda: _many_members(200_000, zipped=True),
        Expect(refused="member count", slow=True),
    ),
    Hostile(
        "members-200k.tar.gz",
        lambda: _many_members(200_000, zipped=False),
        Expect(refused="member count", slow=True),
    ),
    Hostile(
        "truncated.tar.gz",
        lambda: _tar([_file(f"{TOP}/pkg/b.py", random.Random(9).randbytes(200_000))])[:100_000],
        Expect(refused=""),
    ),
    Hostile("not-an-archive.zip", lambda: b"PK\x03\x04" + b"\xff" * 4000, Expect(refused="")),
    Hostile("bzip2.tar.bz2", lambda: b"BZh91AY&SY" + bytes(100), Expect(refused="bzip2")),
    Hostile("empty.tar.gz", lambda: gzip.compress(b"\0" * 1024), Expect(empty=True)),
    # pathological Python: each file one finding, the rest reviewed
    *[_deep(name) for name in sorted(DEEP)],
    Hostile(
        "deep-indent.tar.gz",
        _py("indent", b"".join(b" " * i + b"if a:\n" for i in range(120)) + b" " * 120 + b"pass\n"),
        Expect(finding=("pkg/indent.py", "CR-PARSE-002")),
    ),
    Hostile(
        "nul-bytes.tar.gz", _py("nul", b"x = 1\0\n"), Expect(skipped=("pkg/nul.py", "binary-file"))
    ),
    Hostile(
        "bad-utf8.tar.gz",
        _py("latin", b"x = '\xe9'\n"),
        Expect(skipped=("pkg/latin.py", "not-utf8")),
    ),
    Hostile(
        "too-large.tar.gz",
        _py("huge", b"".join(b"x%d = %d\n" % (i, i * 7919) for i in range(250_000))),
        Expect(skipped=("pkg/huge.py", "file-too-large")),
    ),
    Hostile(
        "findings-40k.tar.gz",
        _py("gen", b"x = [" + b", ".join([b"a"] * 40_000) + b"]\n"),
        Expect(finding=("pkg/gen.py", "F821"), slow=True),
    ),
]
