"""Unsafe names and special entries: skipped, reported, never followed and never written."""

from __future__ import annotations

import io
import os
import re
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coderev.analysis.archive import read_archive_bytes, read_source
from coderev.analysis.ruff_findings import write_private_copy
from coderev.domain.errors import CoderevError
from coderev.domain.source import SkipReason, SourceTree


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"",
               link: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data)
    return info, data


def tar_bytes(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buf.getvalue()


def reasons(tree: SourceTree) -> dict[str, SkipReason]:
    return {s.path: s.reason for s in tree.skipped}


def snapshot(root: Path) -> set[Path]:
    return set(root.rglob("*"))


EVIL = {
    "pkg/__init__.py": b"",
    "setup.py": b"",
    "../../escaped.py": b"print('x')\n",
    "pkg/../../../escaped2.py": b"print('x')\n",
    "..\\..\\escaped3.py": b"print('x')\n",
    "/tmp/abs.py": b"print('y')\n",
    "C:\\Windows\\evil.py": b"print('z')\n",
    "C:/evil2.py": b"print('z')\n",
    "\\\\server\\share\\unc.py": b"print('z')\n",
}
EXPECTED = {
    "../../escaped.py": SkipReason.PATH_TRAVERSAL,
    "pkg/../../../escaped2.py": SkipReason.PATH_TRAVERSAL,
    "..\\..\\escaped3.py": SkipReason.PATH_TRAVERSAL,
    "/tmp/abs.py": SkipReason.ABSOLUTE_PATH,
    "C:\\Windows\\evil.py": SkipReason.ABSOLUTE_PATH,
    "C:/evil2.py": SkipReason.ABSOLUTE_PATH,
    "\\\\server\\share\\unc.py": SkipReason.ABSOLUTE_PATH,
}


def test_zip_traversal_and_absolute_names_are_skipped_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    archive = tmp_path / "evil.zip"
    archive.write_bytes(zip_bytes(EVIL))
    monkeypatch.chdir(work)
    before = snapshot(tmp_path)
    tree = read_source(archive)
    assert [f.path for f in tree.files] == ["pkg/__init__.py", "setup.py"]
    assert reasons(tree) == EXPECTED
    assert snapshot(tmp_path) == before
    assert not Path("/tmp/abs.py").exists()


def test_tar_traversal_and_absolute_names_are_skipped() -> None:
    archive = tar_bytes(*(tar_member(n, data=d) for n, d in EVIL.items()))
    tree = read_archive_bytes("evil.tgz", archive)
    assert [f.path for f in tree.files] == ["pkg/__init__.py", "setup.py"]
    assert reasons(tree) == EXPECTED


def test_a_dotdot_that_would_stay_inside_is_still_refused() -> None:
    tree = read_archive_bytes("a.zip", zip_bytes({"a/../b.py": b"x = 1\n"}))
    assert tree.files == () and reasons(tree) == {"a/../b.py": SkipReason.PATH_TRAVERSAL}


def test_tar_links_and_special_entries_are_skipped_with_their_reason() -> None:
    archive = tar_bytes(
        tar_member("proj/app.py", data=b"import os\n"),
        tar_member("proj/passwd.py", tarfile.SYMTYPE, link="/etc/passwd"),
        tar_member("proj/up.py", tarfile.SYMTYPE, link="../../outside.py"),
        tar_member("proj/hard.py", tarfile.LNKTYPE, link="/etc/shadow"),
        tar_member("proj/fifo.py", tarfile.FIFOTYPE),
        tar_member("proj/tty", tarfile.CHRTYPE),
        tar_member("proj/disk", tarfile.BLKTYPE),
    )
    tree = read_archive_bytes("links.tar.gz", archive)
    assert [f.path for f in tree.files] == ["app.py"]
    assert reasons(tree) == {
        "passwd.py": SkipReason.SYMLINK, "up.py": SkipReason.SYMLINK,
        "hard.py": SkipReason.HARDLINK, "fifo.py": SkipReason.DEVICE,
        "tty": SkipReason.DEVICE, "disk": SkipReason.DEVICE,
    }
    details = {s.path: s.detail for s in tree.skipped}
    assert details["passwd.py"] == "-> /etc/passwd" and details["fifo.py"] == "fifo"


def test_zip_symlinks_and_fifos_made_on_unix_are_skipped() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ok.py", "x = 1\n")
        for name, mode, data in (("link.py", stat.S_IFLNK | 0o777, "/etc/passwd"),
                                 ("pipe.py", stat.S_IFIFO | 0o644, "")):
            info = zipfile.ZipInfo(name)
            info.create_system, info.external_attr = 3, mode << 16
            zf.writestr(info, data)
    tree = read_archive_bytes("a.zip", buf.getvalue())
    assert [f.path for f in tree.files] == ["ok.py"]
    assert reasons(tree) == {"link.py": SkipReason.SYMLINK, "pipe.py": SkipReason.DEVICE}


def test_control_characters_in_names_are_escaped_in_reports() -> None:
    tree = read_archive_bytes("a.zip", zip_bytes({"../\x1b[31mred.py": b"x = 1\n"}))
    [skip] = tree.skipped
    assert skip.path == "../\\x1b[31mred.py" and skip.reason is SkipReason.PATH_TRAVERSAL


@pytest.fixture
def tree_with_links(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "secret_pkg").mkdir(parents=True)
    (outside / "secret.py").write_text("TOKEN = 'do not read'\n")
    (outside / "secret_pkg" / "mod.py").write_text("TOKEN = 'do not read either'\n")
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "__init__.py").write_text("")
    (project / "pkg" / "core.py").write_text("VALUE = 1\n")
    (project / "pkg" / "secret.py").symlink_to(outside / "secret.py")
    (project / "linked_pkg").symlink_to(outside / "secret_pkg", target_is_directory=True)
    (project / "loop").symlink_to(project, target_is_directory=True)
    (project / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    os.mkfifo(project / "pipe.py")
    return project


def test_directory_walk_reports_symlinks_and_never_follows_them(tree_with_links: Path) -> None:
    tree = read_source(tree_with_links)
    assert [f.path for f in tree.files] == ["pkg/__init__.py", "pkg/core.py"]
    assert reasons(tree) == {
        "pkg/secret.py": SkipReason.SYMLINK, "linked_pkg": SkipReason.SYMLINK,
        "loop": SkipReason.SYMLINK, "dangling.py": SkipReason.SYMLINK,
        "pipe.py": SkipReason.DEVICE,
    }
    assert not any(b"do not read" in f.data for f in tree.files)
    assert {s.path: s.detail for s in tree.skipped}["pkg/secret.py"].startswith("-> ")


@pytest.mark.filterwarnings("ignore:Duplicate name")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet=st.sampled_from("ab./\\:C.\x00 é"), min_size=1, max_size=14)
                .map(lambda s: s + ".py"), min_size=1, max_size=6))
def test_arbitrary_member_names_never_yield_an_unsafe_source_path(names: list[str]) -> None:
    for archive, kind in ((zip_bytes(dict.fromkeys(names, b"x = 1\n")), "a.zip"),
                          (tar_bytes(*(tar_member(n, data=b"x = 1\n") for n in names)), "a.tgz")):
        try:
            tree = read_archive_bytes(kind, archive)
        except CoderevError:
            continue
        for f in (*tree.files, *tree.config_files):
            parts = f.path.split("/")
            assert f.path and not f.path.startswith("/") and "\\" not in f.path
            assert ".." not in parts and "" not in parts and "." not in parts
            assert not re.match("[A-Za-z]:", parts[0])


def _written(tree: SourceTree) -> set[str]:
    """What ruff's private copy of the tree holds (it raises for a tree no disk can hold)."""
    files = {f.path: f.data for f in (*tree.files, *tree.toml_files)}
    with write_private_copy(files) as root:
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("order", [("pkg/a.py", "pkg/a.py/b.py"), ("pkg/a.py/b.py", "pkg/a.py")])
def test_a_file_named_like_a_folder_is_skipped_and_the_folder_kept(order: tuple[str, str]) -> None:
    for kind, archive in (("a.tgz", tar_bytes(*(tar_member(n, data=b"x = 1\n") for n in order))),
                          ("a.zip", zip_bytes(dict.fromkeys(order, b"x = 1\n")))):
        tree = read_archive_bytes(kind, archive)
        # the common top folder `pkg/` is stripped, as for every archive
        assert [f.path for f in tree.files] == ["a.py/b.py"]
        assert [(s.path, s.reason) for s in tree.skipped] == [("a.py", SkipReason.PATH_CLASH)]
        assert _written(tree) == {"a.py/b.py"}


@pytest.mark.parametrize(
    "name", ["d/" * 200 + "x.py", "x" * 256 + ".py", "a/" + "b" * 1100 + ".py"]
)
def test_a_name_no_file_system_holds_is_skipped(name: str) -> None:
    tree = read_archive_bytes("a.tgz", tar_bytes(tar_member(name, data=b"x = 1\n"),
                                                 tar_member("ok.py", data=b"x = 1\n")))
    assert [f.path for f in tree.files] == ["ok.py"]
    assert [s.reason for s in tree.skipped] == [SkipReason.PATH_TOO_LONG]
    assert _written(tree) == {"ok.py"}


@pytest.mark.filterwarnings("ignore:Duplicate name")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(["a", "b", "/", "a.py", "a.py/"]), min_size=1, max_size=5)
                .map(lambda parts: "".join(parts) + ".py"), min_size=1, max_size=8))
def test_every_tree_read_from_an_archive_can_be_written(names: list[str]) -> None:
    """However members' names nest into each other, the tree is one a disk can hold."""
    for kind, archive in (("a.zip", zip_bytes(dict.fromkeys(names, b"x = 1\n"))),
                          ("a.tgz", tar_bytes(*(tar_member(n, data=b"x = 1\n") for n in names)))):
        try:
            tree = read_archive_bytes(kind, archive)
        except CoderevError:
            continue
        assert _written(tree) == {f.path for f in tree.files}
