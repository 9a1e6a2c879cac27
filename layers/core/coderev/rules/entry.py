"""One rule's knowledge: what it finds, why that matters, what to do, and how sure it is.

Entries are frozen dataclasses built from the catalogue's data files (see catalogue); nothing
here reads a file. `severity` is the rule's level in product code, before the severity policy
adjusts it for the file's role (see policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from coderev.domain.findings import Category, Severity
from coderev.domain.roles import FileRole


class Precision(StrEnum):
    """SARIF's `precision` property: how often a result of the rule is a true positive."""

    VERY_HIGH = "very-high"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Origin(StrEnum):
    CODEREV = "coderev"
    RUFF = "ruff"


@dataclass(frozen=True, slots=True)
class RuleForm:
    """A narrower form of a rule's finding that is rated on its own, at `severity`.

    ruff reports some rules in forms of very different weight under one code: S602 says
    "seems safe" when the shell command is a string literal (bandit rates that form low
    confidence), T100 reports a debugger's import as well as a left-over `breakpoint()` call,
    PLE2502 flags a right-to-left mark in a locale string as it does the override characters
    of a Trojan Source attack; S608 flags every SQL-looking formatted string, but a value
    spliced between single quotes is an injection in the making. A form is recognised by
    ruff's message (`message_contains`), the flagged line matching `line_matches` and/or not
    matching `line_lacks` (regular expressions); it has its own `severity` and, when given,
    `precision` (None: the rule's). `why` says why the form is rated differently.
    """

    name: str
    severity: Severity | None
    why: str
    message_contains: str = ""
    line_matches: str = ""
    line_lacks: str = ""
    precision: Precision | None = None

    def matches(self, message: str, line: str | None) -> bool:
        if self.message_contains and self.message_contains not in message:
            return False
        if self.line_matches or self.line_lacks:
            import re

            if line is None:
                return False
            if self.line_matches and not re.search(self.line_matches, line):
                return False
            if self.line_lacks and re.search(self.line_lacks, line):
                return False
        return bool(self.message_contains or self.line_matches or self.line_lacks)


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """A rule's catalogue entry.

    `vetted` entries were written by hand for this rule alone; an unvetted ruff rule carries
    ruff's own description and an empty `suggestion` (no invented advice). `graded` rules set
    a severity per finding (how far past a threshold, whether a cycle crosses packages); their
    `severity` is then the ceiling. `skip_roles` are the file roles where a finding of the rule
    means nothing (a fixture's "password", a test's missing timeout): it is not reported there.
    `forms` are narrower forms of the finding rated at their own severity (see RuleForm).
    """

    id: str
    name: str
    title: str
    why: str
    suggestion: str
    category: Category
    severity: Severity
    precision: Precision
    origin: Origin
    vetted: bool
    help_uri: str = ""
    cwe: tuple[int, ...] = ()
    skip_roles: frozenset[FileRole] = frozenset()
    graded: bool = False
    fixable: str = "none"  # ruff's fix availability: "always", "sometimes" or "none"
    linter: str = ""
    forms: tuple[RuleForm, ...] = ()

    def form_of(self, message: str, line: str | None) -> RuleForm | None:
        """The first of `forms` a finding with ruff's `message` on `line` is in, if any."""
        return next((form for form in self.forms if form.matches(message, line)), None)

    def form_named(self, name: str) -> RuleForm | None:
        return next((form for form in self.forms if form.name == name), None)

    @property
    def cwe_tags(self) -> tuple[str, ...]:
        """CWE ids as GitHub code scanning's SARIF tags: `external/cwe/cwe-89`."""
        return tuple(f"external/cwe/cwe-{n}" for n in self.cwe)
