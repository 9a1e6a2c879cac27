"""Per-finding work is linear in the input: tens of thousands of findings on one generated line
cost about what as many findings on as many short lines cost, and fingerprints stay exactly
what `fingerprint` defines (rule + path + locator + occurrence)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from coderev.analysis.ruff_findings import findings_from
from coderev.domain.findings import assign_fingerprints, fingerprint

FINDINGS = 30_000


def _diagnostic(row: int, column: int) -> dict[str, Any]:
    return {
        "code": "F821",
        "message": "Undefined name `a`",
        "location": {"row": row, "column": column},
        "end_location": {"row": row, "column": column + 1},
        "url": "https://docs.astral.sh/ruff/rules/undefined-name",
        "name": "undefined-name",
        "fix": None,
    }


def _one_long_line() -> tuple[bytes, list[tuple[str, dict[str, Any]]]]:
    """A generated file: `x = [a, a, ...]` on one line, one finding per `a`."""
    source = b"x = [" + b", ".join([b"a"] * FINDINGS) + b"]\n"
    return source, [("gen.py", _diagnostic(1, 6 + 3 * i)) for i in range(FINDINGS)]


def _many_short_lines() -> tuple[bytes, list[tuple[str, dict[str, Any]]]]:
    """The same number of findings and about the same bytes, one finding per line."""
    source = b"".join(b"a\n" for _ in range(FINDINGS)) + b"x" * FINDINGS
    return source, [("gen.py", _diagnostic(i + 1, 1)) for i in range(FINDINGS)]


def _best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def test_thirty_thousand_findings_on_one_line_cost_what_short_lines_cost() -> None:
    long_source, long_diagnostics = _one_long_line()
    short_source, short_diagnostics = _many_short_lines()
    assert abs(len(long_source) - len(short_source)) < len(short_source) // 10

    found = findings_from(long_diagnostics, {"gen.py": long_source})
    assert len(found) == FINDINGS
    assert len({f.fingerprint for f in found}) == FINDINGS  # repeats numbered, none merged

    baseline = _best_of(3, lambda: findings_from(short_diagnostics, {"gen.py": short_source}))
    generated = _best_of(3, lambda: findings_from(long_diagnostics, {"gen.py": long_source}))
    # Re-normalising or re-hashing the 90 KB line once per finding (the quadratic version)
    # made this ~20x the baseline (~8 s); linear work keeps it within a small factor.
    assert generated < 4 * baseline + 0.25, (generated, baseline)


def test_fingerprints_are_the_defined_ones_for_repeats_and_whitespace() -> None:
    long_line = "x = [" + ", ".join(["a"] * 500) + "]"
    triples = [
        ("F821", "a.py", long_line),
        ("F821", "a.py", "  " + long_line.replace(", ", ",  ")),  # same once whitespace collapses
        ("S307", "a.py", long_line),
        ("F821", "b.py", long_line),
        ("F821", "a.py", long_line),
        ("F401", "a.py", "import os"),
    ]
    expected = [
        fingerprint("F821", "a.py", long_line, 0),
        fingerprint("F821", "a.py", long_line, 1),
        fingerprint("S307", "a.py", long_line, 0),
        fingerprint("F821", "b.py", long_line, 0),
        fingerprint("F821", "a.py", long_line, 2),
        fingerprint("F401", "a.py", "import os", 0),
    ]
    assert assign_fingerprints(triples) == expected
    # The definition itself is unchanged: sha256 of rule, path, collapsed locator, occurrence.
    digest = hashlib.sha256(b"F401\0a.py\0import os\x000").hexdigest()[:32]
    assert fingerprint("F401", "a.py", "  import   os ") == digest
