"""The function-metric texts the offline reviewer merges into one comment per function.

The texts are versioned data (guidance.toml beside this module): per aspect of a function's
metrics (complexity, length, parameters, nesting), why it matters and what to do. Templates
name their placeholders (`{function}`, `{path}`, `{value}`); an unknown placeholder in the file
is a ConfigError when the book is loaded. Every rule's own texts live in the rule catalogue
(coderev.rules), not here.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from coderev.domain.errors import ConfigError

PLACEHOLDERS = frozenset({"function", "path", "value", "lines", "flat"})


@dataclass(frozen=True, slots=True)
class Guidance:
    why: str
    suggestion: str


@dataclass(frozen=True, slots=True)
class GuidanceBook:
    """Per-function-metric aspects' texts."""

    version: int
    aspects: Mapping[str, Guidance]

    def for_aspect(self, aspect: str) -> Guidance | None:
        return self.aspects.get(aspect)


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
    return GuidanceBook(version=version, aspects=_section(data, "aspects"))


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
