"""Architecture: module graph, cycles, contracts, coupling metrics and drift against a baseline.

The public API is imported on first use, so `import coderev.architecture` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coderev.architecture.analyze import (
        analyze_architecture,
        cycle_findings,
        violation_findings,
    )
    from coderev.architecture.code_graph import build_code_graph
    from coderev.architecture.config import load_config_file, load_project_config
    from coderev.architecture.drift import architecture_drift

_HOME = {
    "analyze_architecture": "coderev.architecture.analyze",
    "cycle_findings": "coderev.architecture.analyze",
    "violation_findings": "coderev.architecture.analyze",
    "build_code_graph": "coderev.architecture.code_graph",
    "load_config_file": "coderev.architecture.config",
    "load_project_config": "coderev.architecture.config",
    "architecture_drift": "coderev.architecture.drift",
}

__all__ = [
    "analyze_architecture",
    "architecture_drift",
    "build_code_graph",
    "cycle_findings",
    "load_config_file",
    "load_project_config",
    "violation_findings",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'coderev.architecture' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
