"""What is kept, what is skipped and reported, what is not listed; top-folder stripping; configs."""

from __future__ import annotations

import io
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from coderev.analysis.archive import read_archive_bytes, read_source
from coderev.domain.source import SkipReason, SourceTree


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def tar_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def write_tree(root: Path, members: dict[str, bytes]) -> Path:
    for name, data in members.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def paths(tree: SourceTree) -> list[str]:
    return [f.path for f in tree.files]


def reasons(tree: SourceTree) -> dict[str, SkipReason]:
    return {s.path: s.reason for s in tree.skipped}


MINIFIED_JS = b"var a=" + b"1+" * 3000 + b"1;\n"
PROJECT = {
    "shop-1.0/pyproject.toml": b"[tool.coderev]\nroot_packages = ['shop']\n",
    "shop-1.0/setup.cfg": b"[metadata]\nname = shop\n",
    "shop-1.0/README.md": b"# shop\n",
    "shop-1.0/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00",
    "shop-1.0/shop/__init__.py": b"",
    "shop-1.0/shop/pyproject.toml": b"[tool.other]\n",
    "shop-1.0/shop/core.py": b"VALUE = 1\n",
    "shop-1.0/shop/legacy.py": "# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n".encode("latin-1"),
    "shop-1.0/shop/blob.py": b"x = 1\n\x00\x01\x02",
    "shop-1.0/shop/static/app.js": b"export const x = 1;\n",
    "shop-1.0/shop/static/vendor.min.js": b"var a=1;",
    "shop-1.0/shop/static/bundle.js": MINIFIED_JS,
    "shop-1.0/shop/static/old.js": "var s = '\xe9';\n".encode("latin-1"),
    "shop-1.0/bin/shop-admin": b"#!/usr/bin/env python3\nprint('admin')\n",
    "shop-1.0/bin/notes": b"remember the milk\n",
    "shop-1.0/.git/HEAD": b"ref: refs/heads/main\n",
    "shop-1.0/.git/hooks/pre-commit.py": b"print('hook')\n",
    "shop-1.0/web/node_modules/left-pad/index.js": b"module.exports = 1;\n",
    "shop-1.0/shop/__pycache__/core.cpython-312.pyc": b"\x00\x00",
    "shop-1.0/.venv/lib/python3.12/site-packages/six.py": b"x = 1\n",
    "shop-1.0/env/pyvenv.cfg": b"home = /usr/bin\n",
    "shop-1.0/env/lib/python3.12/site-packages/six.py": b"x = 1\n",
    "shop-1.0/env/tool.py": b"x = 1\n",
    "shop-1.0/build/lib/shop/core.py": b"VALUE = 1\n",
    "shop-1.0/dist/shop.js": b"x = 1;\n",
    "shop-1.0/shop.egg-info/SOURCES.txt": b"shop/core.py\n",
    "shop-1.0/shop/build/__init__.py": b"",
    "shop-1.0/shop/build/steps.py": b"STEPS = []\n",
    "shop-1.0/.tox/py312/lib/x.py": b"x = 1\n",
    "shop-1.0/.mypy_cache/3.12/x.json": b"{}",
}
KEPT = ["bin/shop-admin", "shop/__init__.py", "shop/build/__init__.py", "shop/build/steps.py",
        "shop/core.py", "shop/legacy.py", "shop/static/app.js"]
SKIPPED = {
    ".git": SkipReason.VCS,
    "web/node_modules": SkipReason.NODE_MODULES,
    "shop/__pycache__": SkipReason.CACHE,
    ".venv": SkipReason.VIRTUALENV,
    "env": SkipReason.VIRTUALENV,
    "build": SkipReason.BUILD_OUTPUT,
    "dist": SkipReason.BUILD_OUTPUT,
    "shop.egg-info": SkipReason.BUILD_OUTPUT,
    ".tox": SkipReason.BUILD_OUTPUT,
    ".mypy_cache": SkipReason.CACHE,
    "shop/blob.py": SkipReason.BINARY,
    "shop/static/vendor.min.js": SkipReason.MINIFIED,
    "shop/static/bundle.js": SkipReason.MINIFIED,
    "shop/static/old.js": SkipReason.DECODE_ERROR,
}


@pytest.fixture(params=["zip", "tar.gz", "directory"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> SourceTree:
    if request.param == "zip":
        return read_archive_bytes("shop-1.0.zip", zip_bytes(PROJECT))
    if request.param == "tar.gz":
        return read_archive_bytes("shop-1.0.tar.gz", tar_bytes(PROJECT))
    return read_source(write_tree(tmp_path, PROJECT) / "shop-1.0")


def test_source_files_are_kept_with_their_language(project: SourceTree) -> None:
    assert paths(project) == KEPT
    languages = {f.path: f.language for f in project.files}
    assert languages["bin/shop-admin"] == "python"
    assert languages["shop/static/app.js"] == "javascript"
    assert project.python_files()[0].data == b"#!/usr/bin/env python3\nprint('admin')\n"


def test_skipped_folders_and_files_are_reported_once_with_their_reason(project: SourceTree) -> None:
    assert reasons(project) == SKIPPED  # folders once each, not the files inside them
    details = {s.path: s.detail for s in project.skipped}
    assert details["shop/static/bundle.js"].startswith("average line length")
    assert details["shop/blob.py"] == "NUL byte in the first 8 KiB"


def test_root_config_files_are_configs_not_source(project: SourceTree) -> None:
    assert [c.path for c in project.config_files] == ["pyproject.toml", "setup.cfg"]
    assert project.config_files[0].data.startswith(b"[tool.coderev]")


def test_exclude_globs_skip_files_and_whole_folders_reporting_the_pattern(tmp_path: Path) -> None:
    patterns = ["shop/static", "*/legacy.py"]
    from_zip = read_archive_bytes("s.zip", zip_bytes(PROJECT), exclude=patterns)
    from_dir = read_source(write_tree(tmp_path, PROJECT) / "shop-1.0",
                           exclude=["shop/static/", "*/legacy.py"])
    for tree in (from_zip, from_dir):
        assert "shop/legacy.py" not in paths(tree) and "shop/static/app.js" not in paths(tree)
        excluded = {s.path: s.detail for s in tree.skipped if s.reason is SkipReason.EXCLUDED}
        assert excluded == {"shop/static": "folder matches 'shop/static'",
                            "shop/legacy.py": "matches '*/legacy.py'"}


def test_excluding_a_non_source_file_does_not_report_it() -> None:
    tree = read_archive_bytes("s.zip", zip_bytes(PROJECT), exclude=["*.md", "*.png"])
    assert SkipReason.EXCLUDED not in reasons(tree).values()


def test_a_single_top_folder_is_stripped_unless_it_is_a_package_or_not_single() -> None:
    one = read_archive_bytes("a.zip", zip_bytes({"Django-5.1/django/__init__.py": b"",
                                                 "Django-5.1/setup.py": b""}))
    assert paths(one) == ["django/__init__.py", "setup.py"]
    two = read_archive_bytes("a.zip", zip_bytes({"a/x.py": b"", "b/y.py": b""}))
    assert paths(two) == ["a/x.py", "b/y.py"]
    flat = read_archive_bytes("a.zip", zip_bytes({"x.py": b"", "pkg/y.py": b""}))
    assert paths(flat) == ["pkg/y.py", "x.py"]
    package = read_archive_bytes("a.zip", zip_bytes({"pkg/__init__.py": b"", "pkg/y.py": b""}))
    assert paths(package) == ["pkg/__init__.py", "pkg/y.py"]  # module names stay `pkg.y`


def test_a_config_one_level_down_is_a_root_config_only_after_stripping() -> None:
    unstripped = read_archive_bytes("a.zip", zip_bytes({"a/pyproject.toml": b"", "b.py": b""}))
    assert unstripped.config_files == ()
    stripped = read_archive_bytes("a.zip", zip_bytes({"a/pyproject.toml": b"", "a/b.py": b""}))
    assert [c.path for c in stripped.config_files] == ["pyproject.toml"]


def test_non_source_files_are_not_listed_at_all() -> None:
    tree = read_archive_bytes("a.zip", zip_bytes({"docs/guide.md": b"# hi\n", "img.png": b"\x89PNG",
                                                  "Makefile": b"all:\n\ttrue\n", "app.py": b""}))
    assert paths(tree) == ["app.py"] and tree.skipped == ()


def test_the_directory_and_its_archive_give_the_same_tree(tmp_path: Path) -> None:
    write_tree(tmp_path / "src", PROJECT)
    from_dir = read_source(tmp_path / "src" / "shop-1.0")
    from_tar = read_archive_bytes("shop.tgz", tar_bytes(PROJECT))
    assert from_dir.files == from_tar.files and from_dir.config_files == from_tar.config_files
    assert from_dir.name == "shop-1.0" and from_tar.name == "shop.tgz"


@pytest.mark.slow
def test_an_sdist_sized_archive_passes_the_default_limits_quickly() -> None:
    def module(i: int) -> bytes:
        body = (f"def f_{i}_{j}(x):\n    return x * {j} + {i}\n\n" for j in range(150))
        return "".join(body).encode()

    members = {f"Big-5.1/big/pkg{i // 100}/mod{i}.py": module(i) for i in range(3000)}
    members.update({f"Big-5.1/docs/page{i}.txt": b"text\n" * 200 for i in range(3000)})
    archive = tar_bytes(members)
    start = time.perf_counter()
    tree = read_archive_bytes("Big-5.1.tar.gz", archive)
    elapsed = time.perf_counter() - start
    assert len(tree.python_files()) == 3000 and tree.skipped == ()
    assert tree.files[0].path.startswith("big/pkg0/")
    assert elapsed < 10  # about 0.5 s on an idle core; generous for a loaded CI machine


def test_a_name_given_twice_keeps_only_the_last_entry() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for data in (b"first = 1\n", b"second\0binary"):
            info = tarfile.TarInfo("app.py")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    tree = read_archive_bytes("twice.tar", buf.getvalue())
    assert tree.files == () and reasons(tree) == {"app.py": SkipReason.BINARY}


def test_the_repositorys_own_exclusions_apply_once_its_configuration_is_read() -> None:
    from coderev.analysis.skipping import exclude_from_tree

    tree = read_archive_bytes("repo.zip", zip_bytes({
        "repo/pyproject.toml": b'[tool.coderev]\nexclude = ["gen", "*_pb2.py"]\n',
        "repo/gen/a.py": b"A = 1\n", "repo/gen/deep/b.py": b"B = 1\n",
        "repo/api_pb2.py": b"C = 1\n", "repo/app.py": b"D = 1\n",
    }))  # fmt: skip
    kept = exclude_from_tree(tree, ["gen", "*_pb2.py"])
    assert [f.path for f in kept.files] == ["app.py"]
    assert [(s.path, s.reason, s.detail) for s in kept.skipped] == [
        ("api_pb2.py", SkipReason.EXCLUDED, "matches '*_pb2.py'"),
        ("gen", SkipReason.EXCLUDED, "folder matches 'gen'"),
    ]
    assert exclude_from_tree(tree, []) is tree
    assert exclude_from_tree(tree, ["nothing/*"]) is tree
