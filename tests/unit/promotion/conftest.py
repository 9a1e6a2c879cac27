"""The promotion service on fakes and embedded adapters: experiments in memory (the fake of the
ExperimentSource Protocol), the comparison library, production and quarantine in SQLite, the
audit trail in the same SQLite, the in-process event bus, Rego in-process, a settable clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest
from tests.unit.promotion.experiments import BASELINE, CANDIDATE, pairs

from coderev.adapters.embedded.event_bus import InMemoryEventBus
from coderev.adapters.regopy_policy import RegoPolicyEngine
from coderev.analyses.sql_repository import database_url
from coderev.audit.sql_repository import SqlAuditRepository
from coderev.migrations import open_repository
from coderev.policy import policy_modules
from coderev.promotion import ExperimentNotFoundError, ExperimentView, PromotionPlan, ReviewConfig
from coderev.promotion.comparing import LibraryComparator
from coderev.promotion.events import Announcer
from coderev.promotion.service import PromotionService
from coderev.promotion.sql_repository import SqlPromotionRepository

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


class FakeExperiments:
    """ExperimentSource in memory; `marks` lists every mark in order."""

    def __init__(self) -> None:
        self.views: dict[str, ExperimentView] = {}
        self.observations: dict[str, list[dict[str, Any]]] = {}
        self.marks: list[tuple[str, str, str]] = []

    def add(self, experiment_id: str = "exp-1", *, tenant: str = "default",
            better: bool = True, n: int = 60, cost: float = 0.01, status: str = "evaluated",
            **plan: Any) -> ExperimentView:  # fmt: skip
        view = ExperimentView(
            experiment_id, tenant, None, status, ReviewConfig.from_dict(BASELINE),
            ReviewConfig.from_dict(CANDIDATE),
            PromotionPlan(**{"primary": "precision", "guards": ("cost_usd", "failed"),
                             "min_samples": 30, "seed": 1,
                             "declared_metrics": {"useful_kept": {"kind": "ratio",
                                                                 "higher_is_better": True}},
                             **plan}),
        )  # fmt: skip
        self.views[experiment_id] = view
        self.observations[experiment_id] = pairs(n, better=better, cost=cost)
        return view

    def experiment(self, experiment_id: str) -> ExperimentView:
        if experiment_id not in self.views:
            raise ExperimentNotFoundError(f"no experiment {experiment_id}")
        return self.views[experiment_id]

    def pairs(self, experiment_id: str) -> Sequence[Mapping[str, Any]]:
        return self.observations[experiment_id]

    def mark(self, experiment_id: str, status: Literal["promoted", "quarantined"],
             actor: str) -> None:  # fmt: skip
        self.views[experiment_id] = replace(self.views[experiment_id], status=status)
        self.marks.append((experiment_id, status, actor))


class Clock:
    def __init__(self) -> None:
        self.now = NOON

    def __call__(self) -> datetime:
        return self.now


class World:
    def __init__(self, folder: Path) -> None:
        url = database_url(None, folder)
        self.experiments = FakeExperiments()
        self.repository = open_repository(SqlPromotionRepository, url)
        self.audit = open_repository(SqlAuditRepository, url)
        self.bus = InMemoryEventBus()
        self.clock = Clock()
        self.modules = policy_modules()
        self.engine = RegoPolicyEngine(self.modules)

    def service(self, **overrides: Any) -> PromotionService:
        arguments: dict[str, Any] = {
            "experiments": self.experiments, "comparator": LibraryComparator(),
            "repository": self.repository, "engine": self.engine,
            "policy_modules": self.modules, "announcer": Announcer(self.bus, self.audit),
            "clock": self.clock, **overrides,
        }  # fmt: skip
        return PromotionService(**arguments)

    def topics(self) -> list[str]:
        return [record.topic for record in self.bus.recorded]


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)
