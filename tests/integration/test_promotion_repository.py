"""The PromotionRepository contract (production.releases, production.decisions,
quarantine.entries), run against SQLite (embedded) and the real PostgreSQL, each test in a
schema of its own (tests/integration/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.concurrency import at_once
from tests.integration.conftest import SqlBackend, SteppingClock, migrated

from coderev.promotion import (
    DecisionRecord,
    PolicyRef,
    ProductionChangedError,
    QuarantineEntry,
    Release,
    ReviewConfig,
)
from coderev.promotion.repository import PromotionRepository
from coderev.promotion.sql_repository import SqlPromotionRepository

pytestmark = pytest.mark.integration

DEFAULT = ReviewConfig("default", 1, {"reviewer": "offline", "severity_policy": {"min": "low"}})
STRICT = ReviewConfig("strict", 2, {"reviewer": "offline", "severity_policy": {"min": "medium"}})
AI = ReviewConfig("ai-v2", 1, {"reviewer": "openai:local", "prompt_version": "v2"})
WHEN = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def repository(sql_backend: SqlBackend, clock: SteppingClock) -> SqlPromotionRepository:
    return migrated(SqlPromotionRepository, sql_backend, clock)


def test_it_is_a_promotion_repository(repository: SqlPromotionRepository) -> None:
    port: PromotionRepository = repository
    assert port.current("acme", None) is None
    assert port.history("acme", None) == []


def test_the_first_promotion_keeps_what_was_in_force_as_version_one(
    repository: SqlPromotionRepository,
) -> None:
    release = repository.publish("acme", None, STRICT, expected_version=0, kind="promote",
                                 actor="u-1", experiment_id="exp-1", promotion_id="p-1",
                                 initial=DEFAULT)  # fmt: skip
    assert (release.version, release.previous_version, release.kind) == (2, 1, "promote")
    assert release.config == STRICT and release.config.body == STRICT.body
    history = repository.history("acme", None)
    assert [(r.version, r.kind, r.config.id) for r in history] == [
        (2, "promote", "strict"), (1, "initial", "default")]  # fmt: skip
    assert repository.current("acme", None) == release
    assert repository.release("acme", None, 1) == history[1]


def test_versions_only_grow_and_are_scoped_per_tenant_and_project(
    repository: SqlPromotionRepository,
) -> None:
    repository.publish("acme", None, DEFAULT, expected_version=0, kind="initial", actor="a")
    repository.publish("acme", None, STRICT, expected_version=1, kind="promote", actor="a")
    repository.publish("acme", "shop", AI, expected_version=0, kind="promote", actor="a")
    repository.publish("globex", None, AI, expected_version=0, kind="promote", actor="a")
    assert [r.version for r in repository.history("acme", None)] == [2, 1]
    assert [r.version for r in repository.history("acme", "shop")] == [1]
    current = repository.current("globex", None)
    assert current is not None and current.config == AI and current.project is None


def test_a_write_against_a_moved_production_is_refused_and_changes_nothing(
    repository: SqlPromotionRepository,
) -> None:
    repository.publish("acme", None, DEFAULT, expected_version=0, kind="initial", actor="a")
    repository.publish("acme", None, STRICT, expected_version=1, kind="promote", actor="a")
    with pytest.raises(ProductionChangedError, match="at version 2, not 1"):
        repository.publish("acme", None, AI, expected_version=1, kind="promote", actor="b")
    assert [r.config.id for r in repository.history("acme", None)] == ["strict", "default"]


def test_a_promotion_is_written_once_however_often_it_is_retried(
    repository: SqlPromotionRepository,
) -> None:
    first = repository.publish("acme", None, STRICT, expected_version=0, kind="promote",
                               actor="u", promotion_id="p-1", initial=DEFAULT)  # fmt: skip
    again = repository.publish("acme", None, STRICT, expected_version=0, kind="promote",
                               actor="u", promotion_id="p-1", initial=DEFAULT)  # fmt: skip
    assert again == first
    assert len(repository.history("acme", None)) == 2


def test_of_concurrent_writers_for_the_same_version_exactly_one_wins(
    repository: SqlPromotionRepository,
) -> None:
    repository.publish("acme", None, DEFAULT, expected_version=0, kind="initial", actor="a")

    def write(config: ReviewConfig, promotion: str) -> Release | ProductionChangedError:
        try:
            return repository.publish("acme", None, config, expected_version=1,
                                      kind="promote", actor="a",
                                      promotion_id=promotion)  # fmt: skip
        except ProductionChangedError as exc:
            return exc

    outcomes = at_once([lambda c=c, i=i: write(c, f"p-{i}")  # type: ignore[misc]
                        for i, c in enumerate([STRICT, AI, STRICT, AI])], timeout=60)  # fmt: skip
    won = [o for o in outcomes if isinstance(o, Release)]
    assert len(won) == 1 and won[0].version == 2
    assert [r.version for r in repository.history("acme", None)] == [2, 1]


def _decision(promotion_id: str, allow: bool, when: datetime = WHEN) -> DecisionRecord:
    return DecisionRecord(
        promotion_id=promotion_id, experiment_id="exp-1", tenant="acme", project=None,
        requester="u-1", input={"now_ns": 1, "comparison": {"n_pairs": 40, "x": [1.5, None]}},
        policy=PolicyRef("coderev/promotion/decision", "promotion/1", "ab" * 32), allow=allow,
        reasons=("min_samples_reached",) if allow else ("requester_not_approver",),
        decided_at=when, expected_version=3,
    )  # fmt: skip


def test_a_decision_record_is_kept_whole_and_the_first_one_wins(
    repository: SqlPromotionRepository,
) -> None:
    kept = repository.record_decision(_decision("p-1", True))
    assert kept == _decision("p-1", True)
    assert kept.input == {"now_ns": 1, "comparison": {"n_pairs": 40, "x": [1.5, None]}}
    assert repository.record_decision(_decision("p-1", False)) == kept
    repository.record_decision(_decision("p-2", False, WHEN.replace(hour=10)))
    assert [d.promotion_id for d in repository.decisions("exp-1")] == ["p-2", "p-1"]
    assert repository.decision("p-3") is None


def test_quarantine_keeps_the_candidate_and_its_reasons_once(
    repository: SqlPromotionRepository,
) -> None:
    entry = QuarantineEntry("p-1", "acme", "shop", "exp-1", AI,
                            ("cost_ceiling_exceeded", "freeze_window:xmas"), "u-1",
                            WHEN)  # fmt: skip
    assert repository.quarantine(entry) == entry
    assert repository.quarantine(QuarantineEntry("p-1", "acme", "shop", "exp-1", STRICT, (),
                                                 "u-2", WHEN)) == entry  # fmt: skip
    assert repository.quarantined("acme") == [entry]
    assert repository.quarantined("globex") == []
