"""Findings: one observation about the code, with a fingerprint that survives unrelated edits."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from coderev.domain.pickling import pickled_by_fields
from coderev.domain.roles import FileRole


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical=4 ... info=0."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Category(StrEnum):
    SECURITY = "security"
    BUG_RISK = "bug-risk"
    MAINTAINABILITY = "maintainability"
    ARCHITECTURE = "architecture"
    STYLE = "style"


class FindingStatus(StrEnum):
    NEW = "new"
    EXISTING = "existing"


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a reviewer should look at.

    `fingerprint` identifies the finding across revisions: it is built from the rule, the
    file and a *locator* (normally the stripped source text of the flagged line, or a symbol
    such as a function's qualified name or an import edge), never from the line number, so
    it stays stable when unrelated lines move.
    """

    rule_id: str
    severity: Severity
    category: Category
    path: str
    line: int
    message: str
    fix_hint: str
    fingerprint: str
    source: str = "coderev"  # which analyser produced it: "coderev" or "ruff"
    column: int = 0
    end_line: int | None = None
    status: FindingStatus = FindingStatus.NEW
    role: FileRole = FileRole.SOURCE  # the role of the file at `path` (see domain.roles)
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def with_status(self, status: FindingStatus) -> Finding:
        return replace(self, status=status)


def fingerprint(rule_id: str, path: str, locator: str, occurrence: int = 0) -> str:
    """A stable identity for a finding: rule + path + what was flagged (+ its nth repeat).

    `locator` should not contain line numbers. Whitespace is collapsed so that re-indenting
    a block keeps its findings' identities. `occurrence` separates identical lines in one file.
    """
    hasher = _prefix_hasher(rule_id, path, _normalized(locator))
    hasher.update(str(occurrence).encode())
    return hasher.hexdigest()[:32]


def _normalized(locator: str) -> str:
    return " ".join(locator.split())


def _prefix_hasher(rule_id: str, path: str, normalized: str) -> hashlib._Hash:
    return hashlib.sha256(f"{rule_id}\0{path}\0{normalized}\0".encode())


def assign_fingerprints(
    candidates: Iterable[tuple[str, str, str]],
) -> list[str]:
    """Fingerprints for (rule_id, path, locator) triples, numbering repeats in input order.

    Linear in the input's size: generated code can put tens of thousands of findings on one
    long line, so each distinct locator is normalised once and each distinct (rule, path,
    locator) hashed once; a repeat only hashes its occurrence number onto a copy of that
    state (the digest is the same as `fingerprint`'s). Callers passing the same string
    object for one line's findings also hash the line's text once (str caches its hash).
    """
    normalized: dict[str, str] = {}
    prefixes: dict[tuple[str, str, str], tuple[hashlib._Hash, list[int]]] = {}
    out: list[str] = []
    for rule_id, path, locator in candidates:
        norm = normalized.get(locator)
        if norm is None:
            norm = normalized[locator] = _normalized(locator)
        key = (rule_id, path, norm)
        known = prefixes.get(key)
        if known is None:
            known = prefixes[key] = (_prefix_hasher(rule_id, path, norm), [0])
        hasher, count = known
        repeat = hasher.copy()
        repeat.update(str(count[0]).encode())
        count[0] += 1
        out.append(repeat.hexdigest()[:32])
    return out
