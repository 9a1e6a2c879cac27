"""Which rules ruff runs for the files under one of the project's settings files.

Measured on ruff 0.17.5: a command-line `--extend-select` or `--select` wins over the
configuration's `ignore` (`ignore = ["S105"]` in pyproject.toml and `--extend-select S` report
S105 again), while `per-file-ignores` still hold. So coderev never passes its selectors as
they are: it asks ruff which rules the project enables (`--show-settings`), expands its own
selection and the project's selectors into rule codes the way ruff reads them (prefixes,
`ALL`, categories), and passes the resulting set of codes as `--select`:

    rules = the project's rules + added
    added = coderev's rules - the project's rules - turned off by the project
    turned off = every rule its `ignore` / `extend-ignore` select
               + every rule its `select` / `extend-select` select that ruff did not enable
                 (selected, then deselected on purpose: by a later link of the chain, or an
                 ignore in a form coderev does not read)

`per-file-ignores` need nothing: ruff applies them after the command line.

The project's rules are ruff's resolution of its configuration, with one exception. ruff 0.16
widened its default rule set from the 59 rules of E4, E7, E9 and F to 413, so a configuration
that never sets `select` (no configuration, or `extend-select` only) was written against the
old default and silently gets some 350 more rules, none of which its authors asked for. For
such a configuration the rules only the new default adds are left out (unless the project
names them, or coderev's own selection has them): the old default is the base it meant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from coderev.analysis.ruff_config import RuffSettingsFile
from coderev.analysis.ruff_process import RuffError, ruff_settings

__all__ = ["FORMER_DEFAULT", "GroupRules", "RuleExpander", "group_rules"]

FORMER_DEFAULT = ("E4", "E7", "E9", "F")  # ruff's default selection until 0.16


class RuleExpander:
    """The rule codes selectors select, as ruff reads them (one `--show-settings` run per
    set of selectors; remembered)."""

    def __init__(self, binary: str, root: Path, probe: str) -> None:
        self.binary = binary
        self.root = root  # ruff's working folder
        self.probe = probe  # any Python file under root: --show-settings needs one
        self._known: dict[tuple[str, ...] | None, frozenset[str]] = {}

    def codes(self, selectors: Sequence[str], minus: Sequence[str] = ()) -> frozenset[str]:
        """The codes `selectors` select, less those `minus` selects. A selector ruff does not
        know (a rule removed since the project wrote it) selects nothing."""
        chosen = self._expand(tuple(sorted(set(selectors))))
        return chosen - self._expand(tuple(sorted(set(minus)))) if minus else chosen

    def defaults(self) -> frozenset[str]:
        """The rules ruff enables when nothing is selected."""
        return self._expand(None)

    def _expand(self, selectors: tuple[str, ...] | None) -> frozenset[str]:
        if selectors == ():
            return frozenset()
        if selectors not in self._known:
            args = ["--isolated"] + ([] if selectors is None else ["--select", ",".join(selectors)])
            try:
                found = ruff_settings(self.binary, self.root, args, self.probe, self.root).enabled
            except RuffError:
                if selectors is None or len(selectors) == 1:
                    found = frozenset()
                else:
                    found = frozenset().union(*(self._expand((s,)) for s in selectors))
            self._known[selectors] = found
        return self._known[selectors]


@dataclass(frozen=True, slots=True)
class GroupRules:
    rules: frozenset[str]  # what ruff runs for the group's files (before per-file-ignores)
    added: tuple[str, ...]  # coderev's rules among them that the project does not enable


def group_rules(
    wanted: frozenset[str],
    enabled: frozenset[str],
    settings: RuffSettingsFile,
    expander: RuleExpander,
) -> GroupRules:
    """The rules for files under `settings`, whose configuration ruff resolves to `enabled`,
    with `wanted` as coderev's selection: see the module's docstring."""
    selected = expander.codes(settings.selected)
    project = enabled
    if not settings.replaces_defaults:
        project = enabled - (expander.defaults() - expander.codes(FORMER_DEFAULT) - selected)
    turned_off = expander.codes(settings.ignored) | (selected - enabled)
    added = wanted - project - turned_off
    return GroupRules(project | added, tuple(sorted(added)))
