"""The default model lists per provider kind, as data: `default_models.toml` beside this
module, or the file CODEREV_PROVIDER_MODELS names (same form: `[[<kind>]]` tables of
ModelSpec fields). Read once per file."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from coderev.providers.errors import InvalidProviderError
from coderev.providers.model import KINDS, ModelSpec, check_models

__all__ = ["BUILT_IN", "default_models"]

BUILT_IN = Path(__file__).with_name("default_models.toml")


def default_models(kind: str, path: Path | None = None) -> tuple[ModelSpec, ...]:
    """The models of `kind` in `path`, else in CODEREV_PROVIDER_MODELS' file, else built in."""
    if path is None:
        from coderev.config import get_settings

        path = get_settings().provider_models or BUILT_IN
    return _read(path).get(kind, ())


@cache
def _read(path: Path) -> dict[str, tuple[ModelSpec, ...]]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidProviderError(f"cannot read the model list {path}: {exc}") from None
    unknown = sorted(set(document) - set(KINDS))
    if unknown:
        raise InvalidProviderError(f"model list {path}: unknown kind(s) {', '.join(unknown)}")
    lists: dict[str, tuple[ModelSpec, ...]] = {}
    for kind, entries in document.items():
        try:
            lists[kind] = check_models(tuple(ModelSpec(**entry) for entry in entries))
        except TypeError as exc:
            raise InvalidProviderError(f"model list {path}, [[{kind}]]: {exc}") from None
    return lists
