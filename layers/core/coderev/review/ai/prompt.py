"""The review prompt: a versioned data file (`prompts/<version>.toml`) rendered for one chunk.

A prompt file holds the system text, the user template (`string.Template` placeholders
`$code`, `$findings`, `$architecture`, `$schema`), the JSON schema every reply must
validate against, and the output token allowance. The rendered user message is
machine-readable as well as readable, so a scripted model (coderev.review.ai.scripted) can
answer it:

    <code>
    <file path="src/shop/orders.py" role="source" lines="1-40" of="40">
       1 | import os
      ...
    </file>
    </code>
    <findings>
    [{"id": "F1", "file": "...", "line": 12, "rule": "S608", "severity": "high", ...}]
    </findings>
    <architecture> one fact per line </architecture>
    <reply_schema> the JSON schema </reply_schema>
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template
from typing import Any

from coderev.domain.errors import ConfigError

__all__ = ["CURRENT_PROMPT", "Prompt", "load_prompt"]

CURRENT_PROMPT = "review-v1"


@dataclass(frozen=True, slots=True)
class Prompt:
    version: str
    system: str
    user_template: str
    reply_schema_text: str  # the schema as the model is shown it
    max_output_tokens: int

    @property
    def reply_schema(self) -> dict[str, Any]:
        return _schema(self.reply_schema_text)

    def render_user(self, code: str, findings: str, architecture: str) -> str:
        values = {
            "code": code,
            "findings": findings,
            "architecture": architecture,
            "schema": self.reply_schema_text,
        }
        return Template(self.user_template).substitute(values)


@cache
def _schema(text: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def load_prompt(version: str = CURRENT_PROMPT) -> Prompt:
    """The prompt of `version` (a file of coderev/review/ai/prompts). ConfigError if unknown."""
    source = resources.files("coderev.review.ai").joinpath("prompts", f"{version}.toml")
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no review prompt {version!r}") from None
    schema_text = data["reply_schema"].strip()
    json.loads(schema_text)  # a prompt file with a broken schema fails here, not at a model
    return Prompt(
        version=data["version"],
        system=data["system"].strip(),
        user_template=data["user"].strip(),
        reply_schema_text=schema_text,
        max_output_tokens=int(data["max_output_tokens"]),
    )
