"""Our one-pass figures against radon 6.0.1 (the reference) on real code.

Every function's (and closure's) cyclomatic complexity must equal radon's cc_visit, every raw
line count radon's raw.analyze, and the maintainability index must be within 1.0 of radon's
mi_visit(code, multi=True) for at least 95% of files (it is exact on all of them today).
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coderev.analysis.python_file import analyze_python_file
from coderev.domain.config import Thresholds

radon_complexity = pytest.importorskip("radon.complexity")
radon_metrics = pytest.importorskip("radon.metrics")
radon_raw = pytest.importorskip("radon.raw")
radon_visitors = pytest.importorskip("radon.visitors")

PACKAGES = ("json", "email", "asyncio", "jinja2", "rich")
# radon re-tokenizes a growing buffer for each line of a multi-line literal (quadratic): on
# rich's 16 kB unicode width tables it takes ~10 s a file, on its 140 kB emoji table minutes.
# Those data files are left out; they are what test_python_file's big-dict test is about.
MAX_BYTES = 60_000
SKIP_DIRS = ("_unicode_data",)


def _sources() -> Iterator[tuple[Path, bytes, str]]:
    for name in PACKAGES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        assert module.__file__ is not None
        for path in sorted(Path(module.__file__).parent.rglob("*.py")):
            data = path.read_bytes()
            if len(data) > MAX_BYTES or any(d in path.parts for d in SKIP_DIRS):
                continue
            try:
                text = data.decode("utf-8")
                ast.parse(text)
            except (UnicodeDecodeError, SyntaxError):
                continue
            yield path, data, text


def _radon_functions(blocks: list[Any]) -> Iterator[Any]:
    for block in blocks:
        if isinstance(block, radon_visitors.Function):
            yield block
            yield from _radon_functions(block.closures)


@pytest.mark.slow
def test_complexity_raw_lines_and_mi_agree_with_radon() -> None:
    files = functions = mi_close = 0
    mismatches: list[str] = []
    for path, data, text in _sources():
        result = analyze_python_file(str(path), data, Thresholds())
        assert result.error is None and result.metrics is not None, path
        files += 1
        ours = {(f.name, f.line): f.complexity for f in result.metrics.functions}
        for fn in _radon_functions(radon_complexity.cc_visit(text)):
            functions += 1
            if ours.get((fn.name, fn.lineno)) != fn.complexity:
                mismatches.append(f"{path}:{fn.lineno} {fn.name} radon={fn.complexity}")
        raw = radon_raw.analyze(text)
        m = result.metrics
        expected = (raw.loc, raw.sloc, raw.lloc, raw.comments, raw.multi, raw.blank)
        assert (m.loc, m.sloc, m.lloc, m.comments, m.multi, m.blank) == expected, path
        mi = radon_metrics.mi_visit(text, True)
        mi_close += abs(mi - m.maintainability_index) <= 1.0
    assert files > 150 and functions > 2000
    assert mismatches == []
    assert mi_close >= 0.95 * files
