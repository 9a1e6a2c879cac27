"""The reviewer names `--reviewer` and CODEREV_REVIEWER accept, checked without importing the
AI review itself (an upload's request is checked by ingest, which must stay small)."""

from __future__ import annotations

from coderev.domain.errors import ConfigError
from coderev.domain.review import OFFLINE

__all__ = [
    "AI_KINDS", "AUTO", "NO_PROVIDER", "OFFLINE", "ai_reviewer_name", "is_ai_reviewer",
    "parse_reviewer",
]  # fmt: skip

AUTO = "auto"
AI_KINDS = ("openai", "anthropic", "hf")
NO_PROVIDER = (
    "no AI provider is configured (set OPENAI_API_KEY, ANTHROPIC_API_KEY or "
    "HUGGINGFACE_API_KEY, or register a provider)"
)


def parse_reviewer(name: str) -> str:
    """`name` checked and normalised: "offline", "auto" or "<kind>:<model>" (the model's case
    kept: Hugging Face ids need it). ConfigError naming the accepted forms otherwise."""
    text = name.strip()
    lowered = text.lower()
    if lowered in (OFFLINE, AUTO, ""):
        return lowered or OFFLINE
    kind, sep, model = text.partition(":")
    if sep and kind.lower() in AI_KINDS and model.strip():
        return f"{kind.lower()}:{model.strip()}"
    raise ConfigError(
        f"unknown reviewer {name!r}; choose offline, auto, openai:MODEL, anthropic:MODEL "
        "or hf:MODEL"
    )


def is_ai_reviewer(name: str) -> bool:
    return parse_reviewer(name) != OFFLINE


def ai_reviewer_name(name: str) -> str | None:
    """The normalised name when `name` asks for an AI review ("auto" or "<kind>:<model>"),
    else None (the offline reviewer, or another reviewer registered by name)."""
    try:
        parsed = parse_reviewer(name)
    except ConfigError:
        return None
    return None if parsed == OFFLINE else parsed
