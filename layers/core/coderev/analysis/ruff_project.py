"""ruff over a tree's Python files, with the project's own configuration or coderev's alone.

`project` mode (the default): the Python files and the project's checked ruff configuration
(`ruff_config`) are written to a private copy, as `tree/` under a folder whose own empty
`ruff.toml` stops ruff's search for configuration there, so nothing above the copy (nor a
user configuration: see `ruff_process`) is ever read. The files are grouped by the settings
file that governs them; each group runs once with that file's configuration, `--force-exclude`
(the project's `exclude` holds for named files too) and `--select` of the project's rules plus
the coderev rules it has not turned off (`ruff_selection`). Files under no settings file, and
a group whose configuration ruff refuses, run with coderev's selection alone, the refusal
recorded as a warning. `# noqa` is ruff's; `# nosec` is honoured for security findings (`nosec`).

`isolated` mode: coderev's selection alone, no configuration file read, no `# nosec` (the
behaviour before projects' configurations were read); a directory is read in place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coderev.analysis.nosec import drop_nosec
from coderev.analysis.ruff_config import RuffSettingsFile, find_ruff_configs
from coderev.analysis.ruff_findings import (
    COMMON_ARGS,
    DEFAULT_IGNORE,
    DEFAULT_SELECT,
    crash_findings,
    findings_from,
    isolated_args,
    write_private_copy,
)
from coderev.analysis.ruff_process import (
    RuffCheck,
    RuffCrash,
    RuffError,
    find_ruff,
    ruff_check,
    ruff_settings,
    ruff_version,
)
from coderev.analysis.ruff_selection import RuleExpander, group_rules
from coderev.domain.findings import Finding
from coderev.domain.lint import LintConfigMode, LintConfiguration, RuffConfigUse

__all__ = ["RuffRun", "lint_python"]

_STOP = b"# coderev: ruff looks for no configuration above this folder\n"
_TREE = "tree"
_PROBE = "probe.py"


@dataclass(frozen=True, slots=True)
class RuffRun:
    findings: tuple[Finding, ...]  # sorted by path, line and column
    configuration: LintConfiguration


def lint_python(
    python: Mapping[str, bytes],
    tomls: Mapping[str, bytes],
    mode: LintConfigMode = LintConfigMode.PROJECT,
    select: Sequence[str] = (),
    source_root: Path | None = None,
) -> RuffRun:
    """ruff's findings on `python` (tree path -> bytes) and the configuration it ran with.

    `tomls` are the tree's TOML files (read in `project` mode), `select` coderev's selection
    (empty: DEFAULT_SELECT), `source_root` the folder holding the files as they are (read in
    place in `isolated` mode; else a private copy is written).
    """
    select = tuple(select) or DEFAULT_SELECT
    if mode is LintConfigMode.ISOLATED:
        return _isolated(python, select, source_root)
    found = find_ruff_configs(tomls)
    if not python:
        return RuffRun((), LintConfiguration(mode, ruff_version(), warnings=found.warnings))
    groups: dict[RuffSettingsFile, list[str]] = {}
    unconfigured: list[str] = []
    for path in sorted(python):
        settings = found.governing(path)
        if settings is None:
            unconfigured.append(path)
        else:
            groups.setdefault(settings, []).append(path)
    files = {"ruff.toml": _STOP, _PROBE: b""}
    files.update((f"{_TREE}/{p}", data) for p, data in {**found.files, **python}.items())
    with write_private_copy(files) as root:
        run = _ProjectRun(root, select)
        for settings, paths in sorted(groups.items(), key=lambda item: item[0].path):
            run.group(settings, paths)
        run.unconfigured(unconfigured)
        diagnostics, suppressed = drop_nosec(run.diagnostics, python)
    configuration = LintConfiguration(
        mode=mode,
        ruff_version=ruff_version(),
        configs=tuple(run.uses),
        default_files=run.default_files,
        warnings=(*found.warnings, *run.warnings),
        nosec_suppressed=suppressed,
    )
    findings = findings_from(diagnostics, python) + crash_findings(run.crashes)
    return RuffRun(tuple(findings), configuration)


def _isolated(python: Mapping[str, bytes], select: Sequence[str], root: Path | None) -> RuffRun:
    configuration = LintConfiguration(
        LintConfigMode.ISOLATED, ruff_version(), default_files=len(python)
    )
    if not python:
        return RuffRun((), configuration)
    args = isolated_args(select, DEFAULT_IGNORE)
    checked: RuffCheck
    if root is not None:
        checked = ruff_check(find_ruff(), root, args, sorted(python))
    else:
        with write_private_copy(python) as copy:
            checked = ruff_check(find_ruff(), copy, args, sorted(python))
    findings = findings_from(checked.diagnostics, python) + crash_findings(checked.crashes)
    return RuffRun(tuple(findings), configuration)


class _ProjectRun:
    """One project-mode run inside its private copy: the groups' diagnostics and records."""

    def __init__(self, root: Path, select: Sequence[str]) -> None:
        self.root = root
        self.tree = root / _TREE
        self.select = select
        self.binary = find_ruff()
        self.expander = RuleExpander(self.binary, root, _PROBE)
        ignore = [code for code in DEFAULT_IGNORE if code not in select]
        self.wanted = self.expander.codes(select, minus=ignore)
        self.diagnostics: list[tuple[str, dict[str, Any]]] = []
        self.crashes: list[RuffCrash] = []
        self.uses: list[RuffConfigUse] = []
        self.warnings: list[str] = []
        self.default_files = 0

    def group(self, settings: RuffSettingsFile, paths: list[str]) -> None:
        """The files `settings` governs, with it and coderev's additions."""
        settings_path = settings.path
        try:
            resolved = ruff_settings(self.binary, self.tree, [], paths[0], self.root)
            if resolved.path != self.tree / settings_path:
                shown = self._shown(str(resolved.path))
                self.warnings.append(
                    f"ruff read {shown} for {paths[0]}, where coderev expected {settings_path}"
                )
            chosen = group_rules(self.wanted, resolved.enabled, settings, self.expander)
            if chosen.rules:  # else the project turned every rule off
                args = [*COMMON_ARGS, "--force-exclude", "--select", ",".join(sorted(chosen.rules))]
                self._add(ruff_check(self.binary, self.tree, args, paths, self.root))
        except RuffError as exc:
            self.warnings.append(
                f"{settings_path} left out: ruff refused it ({self._cause(exc)}); coderev's "
                f"selection applies to the {len(paths)} file(s) it governs"
            )
            self.unconfigured(paths)
            return
        self.uses.append(RuffConfigUse(settings_path, len(paths), chosen.added, settings.extends))

    def unconfigured(self, paths: list[str]) -> None:
        """Files under no usable settings file: coderev's selection alone."""
        if paths:
            args = isolated_args(self.select, DEFAULT_IGNORE)
            self._add(ruff_check(self.binary, self.tree, args, paths, self.root))
            self.default_files += len(paths)

    def _add(self, checked: RuffCheck) -> None:
        self.diagnostics += checked.diagnostics
        self.crashes += checked.crashes

    def _shown(self, text: str) -> str:
        """ruff's text with the private copy's folder left out of its paths."""
        return text.replace(f"{self.tree}/", "").replace(str(self.root), "")

    def _cause(self, exc: RuffError) -> str:
        lines = [line.strip() for line in str(exc).splitlines()]
        causes = [line.removeprefix("Cause: ") for line in lines if line.startswith("Cause:")]
        return self._shown("; ".join(causes) or lines[0])[:300]
