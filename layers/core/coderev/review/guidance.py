"""The reviewer's texts: why a rule family matters and what to do, read from guidance.toml.

The texts are versioned data (guidance.toml beside this module), not strings in code, so they
can be reviewed and changed without touching the reviewer. Templates name their placeholders
(`{function}`, `{where}`, `{path}`, `{module}`, `{rule}`, `{lines}`, `{count}`, `{value}`);
an unknown placeholder in the file is a ConfigError when the book is loaded.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from coderev.domain.errors import ConfigError
from coderev.domain.findings import Category

PLACEHOLDERS = frozenset({"function", "where", "path", "module", "rule", "lines", "count", "value"})


@dataclass(frozen=True, slots=True)
class Guidance:
    why: str
    suggestion: str


@dataclass(frozen=True, slots=True)
class GuidanceBook:
    """Rule-id (prefix) texts, per-category fallbacks, and per-function-metric aspects."""

    version: int
    rules: Mapping[str, Guidance]
    categories: Mapping[Category, Guidance]
    aspects: Mapping[str, Guidance]

    def for_rule(self, rule_id: str, category: Category) -> Guidance:
        """The longest rule key matching `rule_id` at a boundary, else the category's text."""
        matches = [key for key in self.rules if _prefix_matches(key, rule_id)]
        if matches:
            return self.rules[max(matches, key=len)]
        return self.categories[category]

    def for_aspect(self, aspect: str) -> Guidance | None:
        return self.aspects.get(aspect)


def _prefix_matches(key: str, rule_id: str) -> bool:
    if rule_id == key:
        return True
    if not rule_id.startswith(key):
        return False
    # "S" covers "S608" but not "SIM102"; "S6" and "CR-MET-" end at a boundary already.
    return not key[-1].isalpha() or rule_id[len(key)].isdigit()


def render(template: str, values: Mapping[str, object]) -> str:
    """`template` with its placeholders filled; a placeholder without a value stays readable."""
    return template.format_map({name: values.get(name, name) for name in PLACEHOLDERS})


def parse_guidance(text: str) -> GuidanceBook:
    """A GuidanceBook from TOML text; ConfigError names what is missing or malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"guidance: not valid TOML: {exc}") from None
    version = data.get("version")
    if not isinstance(version, int):
        raise ConfigError("guidance: `version` must be an integer")
    rules = _section(data, "rules")
    raw_categories = _section(data, "categories")
    missing = [c.value for c in Category if c.value not in raw_categories]
    if missing:
        raise ConfigError(f"guidance: [categories] lacks {', '.join(missing)}")
    return GuidanceBook(
        version=version,
        rules=rules,
        categories={c: raw_categories[c.value] for c in Category},
        aspects=_section(data, "aspects"),
    )


def _section(data: Mapping[str, object], name: str) -> dict[str, Guidance]:
    raw = data.get(name, {})
    if not isinstance(raw, dict):
        raise ConfigError(f"guidance: [{name}] must be a table")
    out: dict[str, Guidance] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"guidance: [{name}.{key}] must be a table")
        why, suggestion = entry.get("why"), entry.get("suggestion")
        if not isinstance(why, str) or not isinstance(suggestion, str):
            raise ConfigError(f"guidance: [{name}.{key}] needs string `why` and `suggestion`")
        for template in (why, suggestion):
            fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
            if unknown := fields - PLACEHOLDERS:
                raise ConfigError(
                    f"guidance: [{name}.{key}] uses unknown placeholder(s) "
                    f"{', '.join(sorted(unknown))}; known: {', '.join(sorted(PLACEHOLDERS))}"
                )
        out[str(key)] = Guidance(why=why, suggestion=suggestion)
    return out


@cache
def default_guidance() -> GuidanceBook:
    """The guidance shipped with coderev (read once per process)."""
    text = resources.files("coderev.review").joinpath("guidance.toml").read_text("utf-8")
    return parse_guidance(text)
