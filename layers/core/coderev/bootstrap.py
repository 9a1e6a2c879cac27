"""The composition root: the one place that chooses adapters, lazily, once per process.

Handlers and the CLI ask this module for ports; nothing else constructs an adapter. Backends
are chosen by configuration (argument > environment > embedded default) and built on first
use, so importing coderev costs nothing at cold start.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from coderev.domain.errors import ConfigError

if TYPE_CHECKING:
    from coderev.config import Settings
    from coderev.ports import GraphStore


def graph_store(settings: Settings, default_path: Path) -> GraphStore:
    """The GraphStore: Neo4j when NEO4J_URI is set, else SQLite at `default_path`."""
    if settings.neo4j_uri:
        raise ConfigError(
            "NEO4J_URI is set, but this release stores the code graph only in the embedded "
            "SQLite store; unset NEO4J_URI to use it"
        )
    from coderev.adapters.embedded.graph_store import SqliteGraphStore

    default_path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteGraphStore(default_path)
