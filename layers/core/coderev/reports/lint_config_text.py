"""Which lint configuration a review used, as report.json's `lint_config` member and as the
one line report.md and report.html show."""

from __future__ import annotations

from typing import Any

from coderev.domain.lint import LintConfigMode, LintConfiguration

__all__ = ["lint_config_dict", "lint_config_line"]

_WARNING_CHARS = 240


def lint_config_dict(config: LintConfiguration | None) -> dict[str, Any] | None:
    if config is None:
        return None
    return {
        "mode": config.mode.value,
        "ruff_version": config.ruff_version,
        "configs": [
            {
                "path": c.path,
                "files": c.files,
                "extends": list(c.extends),
                "added_rules": list(c.added_rules),
            }
            for c in config.configs
        ],
        "default_files": config.default_files,
        "nosec_suppressed": config.nosec_suppressed,
        "warnings": list(config.warnings),
    }


def lint_config_line(config: LintConfiguration | None) -> str | None:
    """One sentence: ruff's version, whose configuration, what coderev added, any warning."""
    if config is None:
        return None
    head = f"ruff {config.ruff_version}"
    if config.mode is LintConfigMode.ISOLATED:
        return f"{head} with coderev's rule selection alone (--lint-config isolated)."
    if not config.configs:
        parts = [f"{head} with coderev's rule selection (no ruff configuration in the tree)"]
    else:
        used = ", ".join(
            f"{c.path} ({_plural(c.files, 'file')}, coderev added "
            f"{_plural(len(c.added_rules), 'rule')})"
            for c in config.configs
        )
        parts = [f"{head} with the project's configuration: {used}"]
        if config.default_files:
            parts.append(f"{_plural(config.default_files, 'file')} under coderev's selection")
    if config.nosec_suppressed:
        suppressed = _plural(config.nosec_suppressed, "security finding")
        parts.append(f"{suppressed} suppressed by # nosec")
    parts += [w if len(w) <= _WARNING_CHARS else w[:_WARNING_CHARS] + "…" for w in config.warnings]
    return "; ".join(parts) + "."


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
