"""Where the Rego policies are: this package's `rego/` folder (shipped in the Lambda layer;
`infrastructure/opa/policies` links to it for the OPA server), or CODEREV_POLICY_DIR."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from coderev.policy.errors import PolicyEngineError

__all__ = ["policy_dir", "policy_modules"]

PACKAGED = Path(__file__).parent / "rego"


def policy_dir(override: Path | None = None) -> Path:
    return override if override is not None else PACKAGED


@cache
def _read(folder: Path) -> tuple[tuple[str, str], ...]:
    files = sorted(path for path in folder.glob("*.rego") if not path.name.endswith("_test.rego"))
    if not files:
        raise PolicyEngineError(f"no Rego policies in {folder}")
    return tuple((path.name, path.read_text(encoding="utf-8")) for path in files)


def policy_modules(folder: Path | None = None) -> dict[str, str]:
    """Every policy module (file name -> source), read once per folder."""
    return dict(_read(policy_dir(folder).resolve()))
