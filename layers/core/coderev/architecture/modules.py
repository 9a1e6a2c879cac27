"""Module names from file paths, the way Python (and grimp) would import them.

Rules, applied to POSIX paths relative to the analysed tree:

- A directory holding `__init__.py` is a regular package; its module is the package itself.
- A *source root* is the tree root, every directory named `src`, and the parent of every
  top-level regular package (`layers/core/` for `layers/core/coderev/__init__.py`) that is not
  below a `src` directory. A file is named relative to the deepest source root above it, so
  `src/shop/api/views.py` is `shop.api.views` and `src/acme/billing/__init__.py` is
  `acme.billing` (`acme` a namespace package). Without root_packages this is a guess at what is
  on sys.path; with them, it is not needed.
- Directories between a source root and a file that hold no `__init__.py` are namespace packages
  (`ModuleNode.path == ""`). A `.py` file directly in a source root is a top-level module.
- As in grimp, a directory without `__init__.py` *inside* a regular package is not a package:
  files under it ("orphans") are not modules. Directories that are not identifiers (`my-dir`),
  files with extra dots (`some.module.py`) and hidden files are skipped; a file stem that is not
  an identifier (`unicode5-0-0.py`) is kept, as grimp keeps it (importlib can load it).
- `.pyi` stubs are ignored when the `.py` exists; a stub without its `.py` stands for the module.
- With `root_packages`, only those packages are modules: each is found as the directory (or the
  `name.py` file) whose trailing path components spell its dotted name, preferring a regular
  package, then the shallowest path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from coderev.domain.architecture import ModuleNode
from coderev.domain.errors import ConfigError

_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True, slots=True)
class _Tree:
    files: tuple[str, ...]  # kept python files, sorted
    init_dirs: frozenset[str]  # directories holding __init__.py(i)


def discover_modules(
    paths: Iterable[str], root_packages: Sequence[str] = ()
) -> dict[str, ModuleNode]:
    """Every module (and package) the given file paths define, by dotted name, sorted by name.

    Raises ConfigError when a requested root package has no files in the tree.
    """
    tree = _python_tree(paths)
    found: dict[str, ModuleNode] = {}
    if root_packages:
        for root in root_packages:
            base = _find_root_dir(tree, root)
            if base is None:
                raise ConfigError(f"root package {root!r} was not found among the Python files")
            _add_under(tree, found, base, root.split("."))
    else:
        for root in sorted(_source_roots(tree), key=lambda r: (-_depth(r), r)):
            _add_under(tree, found, root, [], claimed=found)
    return dict(sorted(found.items()))


def _python_tree(paths: Iterable[str]) -> _Tree:
    all_paths = {p.removeprefix("./") for p in paths}
    kept: list[str] = []
    for p in sorted(all_paths):
        if not p.endswith(_SUFFIXES):
            continue
        if p.endswith(".pyi") and p[:-1] in all_paths:
            continue  # the .py wins over its stub
        kept.append(p)
    # A tree root holding __init__.py is not a package: it has no name to import it by.
    init_dirs = frozenset(_dirname(p) for p in kept if _stem(p) == "__init__") - {""}
    return _Tree(tuple(kept), init_dirs)


def _dirname(path: str) -> str:
    return path.rpartition("/")[0]


def _stem(path: str) -> str:
    name = path.rpartition("/")[2]
    return name.rpartition(".")[0]


def _depth(directory: str) -> int:
    return 0 if not directory else directory.count("/") + 1


def _is_under(path: str, directory: str) -> bool:
    return not directory or path.startswith(directory + "/")


def _source_roots(tree: _Tree) -> set[str]:
    src_dirs: set[str] = set()
    for f in tree.files:
        parts = f.split("/")[:-1]
        src_dirs.update("/".join(parts[: i + 1]) for i, p in enumerate(parts) if p == "src")
    roots = {""} | src_dirs
    for d in tree.init_dirs:
        top = d
        while _dirname(top) in tree.init_dirs and top:
            top = _dirname(top)
        root = _dirname(top) if top else ""
        # Under a src/ directory, directories without __init__ are namespace packages.
        if not any(_is_under(root, s) for s in src_dirs if s):
            roots.add(root)
    return roots


def _find_root_dir(tree: _Tree, root: str) -> str | None:
    """The directory (or `name.py` file) that holds root package `root`."""
    parts = root.split(".")
    suffix = "/".join(parts)
    candidates: set[str] = set()
    for f in tree.files:
        if f == suffix + ".py" or f.endswith("/" + suffix + ".py"):
            candidates.add(f)
        directory = _dirname(f)
        while directory:
            if directory == suffix or directory.endswith("/" + suffix):
                candidates.add(directory)
            directory = _dirname(directory)
    if not candidates:
        return None

    def rank(c: str) -> tuple[int, int, str]:
        regular = c in tree.init_dirs or c.endswith(_SUFFIXES)
        return (0 if regular else 1, _depth(c), c)

    return min(candidates, key=rank)


def _add_under(
    tree: _Tree,
    found: dict[str, ModuleNode],
    base: str,
    prefix: list[str],
    claimed: dict[str, ModuleNode] | None = None,
) -> None:
    """Name the files under `base` (a directory, or a single module file) with `prefix`."""
    if base.endswith(_SUFFIXES):  # a single-module root package, e.g. `six.py`
        found.setdefault(prefix[0], ModuleNode(prefix[0], base, False))
        return
    taken = {m.path for m in claimed.values()} if claimed is not None else set()
    prefix_len = len(prefix)
    # The root package itself, when it is a namespace package (a regular one has __init__).
    if prefix and base not in tree.init_dirs:
        found.setdefault(".".join(prefix), ModuleNode(".".join(prefix), "", True))
    for f in tree.files:
        if not _is_under(f, base) or f in taken:
            continue
        rel = f[len(base) + 1 :] if base else f
        parts = [*prefix, *rel.split("/")]
        filename = parts[-1]
        parts[-1] = filename.rpartition(".")[0]
        if not all(p.isidentifier() for p in parts[:-1]) or not _importable_file(filename):
            continue
        if _is_orphan(tree, _dirname(f), base if claimed is None else ""):
            continue
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        if not parts:
            continue
        name = ".".join(parts)
        if name in found and found[name].path:
            continue
        found[name] = ModuleNode(name, f, is_package)
        # Namespace packages: directories between the root and the file without __init__.
        for end in range(prefix_len + 1, len(parts)):
            ns = ".".join(parts[:end])
            ns_dir = "/".join(filter(None, [base, *parts[prefix_len:end]]))
            if ns not in found and ns_dir not in tree.init_dirs:
                found[ns] = ModuleNode(ns, "", True)


def _importable_file(filename: str) -> bool:
    """grimp's rule: no hidden files, no extra dots (`some.module.py`).

    The stem need not be an identifier: `importlib.import_module("pkg.unicode5-0-0")` works, and
    rich loads its Unicode tables exactly that way, so grimp (and coderev) keep such modules.
    """
    return not filename.startswith(".") and filename.count(".") == 1


def _is_orphan(tree: _Tree, directory: str, bound: str) -> bool:
    """True when a non-package directory sits inside a regular package (grimp skips these).

    Only directories up to `bound` are looked at ("" looks at every ancestor).
    """
    seen_plain = False
    d = directory
    while True:
        if d in tree.init_dirs:
            if seen_plain:
                return True
        else:
            seen_plain = True
        if d == bound or not d:
            return False
        d = _dirname(d)
