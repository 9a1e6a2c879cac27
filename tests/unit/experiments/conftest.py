"""The experiments room on its SQLite repository under tmp_path, with an in-process bus and the
audit trail in the same database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coderev.adapters.embedded.event_bus import InMemoryEventBus
from coderev.audit.sql_repository import SqlAuditRepository
from coderev.experiments.service import Experiments
from coderev.experiments.sql_repository import SqlExperimentRepository
from coderev.migrations import open_repository


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Experiments]:
    url = f"sqlite:///{tmp_path / 'coderev.db'}"
    repository = open_repository(SqlExperimentRepository, url)
    audit = open_repository(SqlAuditRepository, url)
    yield Experiments(repository, InMemoryEventBus(), audit)
    repository.close()
    audit.close()
