"""The experiments repository on SQLite and PostgreSQL (a schema of the test's own): versions
of a configuration taken concurrently are distinct, two concurrent lifecycle steps from one
state cannot both win, observations are kept once per (source, task, arm), and a caller's
later verdict replaces the earlier one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.concurrency import at_once
from tests.integration.conftest import SqlBackend, migrated

from coderev.auth.principal import Principal
from coderev.experiments.errors import IllegalTransitionError
from coderev.experiments.model import ConfigurationSpec, ExperimentPlan, Population
from coderev.experiments.service import Experiments
from coderev.experiments.sql_repository import SqlExperimentRepository

ME = Principal("u-1", "acme", frozenset({"admin"}), "user")


@pytest.fixture
def service(sql_backend: SqlBackend) -> Experiments:
    return Experiments(migrated(SqlExperimentRepository, sql_backend))


def test_concurrent_writers_get_distinct_versions(service: Experiments) -> None:
    made = at_once([lambda: service.create_configuration(ME, "prod", ConfigurationSpec())] * 8)
    assert sorted(c.version for c in made) == list(range(1, 9))
    assert service.configuration("acme", "prod").version == 8
    assert service.configuration("acme", "prod@3").spec == ConfigurationSpec()
    assert service.configurations("other") == []


def test_one_of_two_concurrent_starts_wins(service: Experiments) -> None:
    service.create_configuration(ME, "prod", ConfigurationSpec())
    service.create_configuration(ME, "next", ConfigurationSpec(thresholds={"max_nesting": 3}))
    exp = service.create(ME, name="x", baseline="prod", candidate="next",
                         plan=ExperimentPlan("precision", ("cost_usd",)),
                         population=Population(projects=("shop",)))  # fmt: skip

    def start() -> str:
        try:
            return service.transition(ME, exp.id, "start").state
        except IllegalTransitionError:
            return "refused"

    assert sorted(at_once([start] * 6)) == ["refused"] * 5 + ["running"]
    steps = service.history("acme", exp.id)
    assert [(s.seq, s.verb) for s in steps] == [(1, "create"), (2, "start")]
    stored = service.get("acme", exp.id)
    assert stored.plan.guard_metrics == ("cost_usd",) and stored.population.projects == ("shop",)
    assert service.configuration("acme", "next@1").used_at is not None


def test_observations_once_and_feedback_replaced(service: Experiments) -> None:
    service.create_configuration(ME, "prod", ConfigurationSpec())
    service.create_configuration(ME, "next", ConfigurationSpec(reviewer="auto"))
    exp = service.create(ME, name="x", baseline="prod", candidate="next",
                         plan=ExperimentPlan("precision"), population=Population())  # fmt: skip
    kept = [service.record("acme", exp.id, source="live", task="a-1", arm=arm,
                           metrics={"precision": [1, 2]}) for arm in ("baseline", "candidate",
                                                                      "baseline")]  # fmt: skip
    assert kept == [True, True, False]
    assert service.pairs("acme", exp.id) == [{"task": "live:a-1",
                                              "baseline": {"precision": [1, 2]},
                                              "candidate": {"precision": [1, 2]}}]  # fmt: skip
    for verdict in ("accepted", "wrong"):
        service.record_feedback(ME, analysis_id="a-1", fingerprint="fp", verdict=verdict,
                                rule_id="S101", project="shop")  # fmt: skip
    [item] = service.feedback("acme", "shop")
    assert item.verdict == "wrong" and item.at is not None and item.at <= datetime.now(UTC)
