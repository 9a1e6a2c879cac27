"""Promotion on the local platform, as a user runs it: the template's PromotionStateMachine with
its functions in-process (`coderev promote`), the happy path, the quarantine path, the retry
path (a transient database error retried by the machine), a failure caught and notified, then
redriven to the end without deciding or writing twice; and the CLI's commands."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pytest
import sqlalchemy as sa
from tests.functional.conftest import ROOT, embedded_environ
from tests.unit.promotion.experiments import evaluated_experiment

from coderev import bootstrap
from coderev.auth.principal import LOCAL_ADMIN
from coderev.cli_promote import run_promotion
from coderev.promotion import ExperimentView

pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This process on embedded defaults under tmp_path/data, adapters built afresh."""
    for name in ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS", "S3_ENDPOINT",
                 "OPA_URL", "CODEREV_FREEZE_WINDOWS"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path / "data"))
    bootstrap.reset()
    yield tmp_path / "data"
    bootstrap.reset()


class Flaky:
    """The experiments room, failing as told: `experiment` with a transient database error the
    first `transient` times after the CLI's own look-up; `mark` with an error no Retry matches
    while `broken`."""

    def __init__(self, inner: Any, transient: int = 0, broken: bool = False) -> None:
        self.inner, self.transient, self.broken = inner, transient, broken
        self.calls = 0

    def experiment(self, experiment_id: str) -> ExperimentView:
        self.calls += 1
        if self.calls > 1 and self.transient > 0:
            self.transient -= 1
            raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection reset"))
        view: ExperimentView = self.inner.experiment(experiment_id)
        return view

    def pairs(self, experiment_id: str) -> Sequence[Mapping[str, Any]]:
        pairs: Sequence[Mapping[str, Any]] = self.inner.pairs(experiment_id)
        return pairs

    def mark(self, experiment_id: str, status: Literal["promoted", "quarantined"],
             actor: str) -> None:  # fmt: skip
        if self.broken:
            raise RuntimeError("the experiments store is read-only")
        self.inner.mark(experiment_id, status, actor)


def states(execution: str) -> list[str]:
    from coderev.config import get_settings
    from coderev.runtime.platform.serve import execution_store

    history = execution_store(get_settings()).get(execution).history
    return [e.details["name"] for e in history if e.type.endswith("StateEntered")]


def experiment(better: bool = True, name: str = "strict") -> str:
    return evaluated_experiment(bootstrap.experiments(), LOCAL_ADMIN, better=better, name=name)


def test_a_better_candidate_is_promoted_through_the_machine(data_dir: Path) -> None:
    experiment_id = experiment()
    result = run_promotion(experiment_id)
    assert result["status"] == "SUCCEEDED", result
    assert states(result["execution"]) == [
        "Compare", "PolicyDecision", "Allowed", "Promote", "Notify", "Done"]  # fmt: skip
    assert result["output"]["outcome"]["version"] == 2
    assert result["output"]["outcome"]["config"] == {"id": "strict", "version": 1}
    assert bootstrap.experiments().get("default", experiment_id).state == "promoted"
    types = [e.type for e in bootstrap.audit_repository().list(limit=4)]
    assert types == ["coderev.promotion.completed", "coderev.promotion.promoted",
                     "coderev.experiment.promoted", "coderev.promotion.decided"]  # fmt: skip


def test_a_worse_candidate_is_quarantined_through_the_machine(data_dir: Path) -> None:
    experiment_id = experiment(better=False)
    result = run_promotion(experiment_id)
    assert result["status"] == "SUCCEEDED"
    assert result["output"]["outcome"] == {"status": "quarantined",
                                           "reasons": ["primary_not_better:precision"],
                                           "config": {"id": "strict", "version": 1}}  # fmt: skip
    assert bootstrap.promotion_repository().history("default", None) == []
    assert bootstrap.experiments().get("default", experiment_id).state == "quarantined"


def test_a_transient_database_error_is_retried(data_dir: Path) -> None:
    experiment_id = experiment()
    flaky = Flaky(bootstrap.experiment_source(), transient=1)
    bootstrap.use_experiment_source(flaky)
    result = run_promotion(experiment_id)
    assert result["status"] == "SUCCEEDED", result
    assert states(result["execution"])[:2] == ["Compare", "PolicyDecision"]
    assert flaky.transient == 0  # Compare failed once, and was retried


def test_a_failed_promotion_is_notified_then_redriven_once(data_dir: Path) -> None:
    experiment_id = experiment()
    source = Flaky(bootstrap.experiment_source(), broken=True)
    bootstrap.use_experiment_source(source)
    failed = run_promotion(experiment_id)
    assert failed["status"] == "FAILED" and failed["error"] == "RuntimeError"
    assert states(failed["execution"])[-3:] == ["Promote", "NotifyFailure", "Failed"]
    audit = bootstrap.audit_repository()
    assert audit.list()[0].type == "coderev.promotion.failed"
    promotion_id = failed["promotion_id"]

    source.broken = False
    redriven = run_promotion(None, redrive=promotion_id)
    assert redriven["status"] == "SUCCEEDED" and redriven["promotion_id"] == promotion_id
    releases = bootstrap.promotion_repository().history("default", None)
    assert [(r.version, r.promotion_id) for r in releases] == [(2, promotion_id), (1, None)]
    decisions = bootstrap.promotion_repository().decisions(experiment_id)
    assert [d.promotion_id for d in decisions] == [promotion_id]
    types = [e.type for e in audit.list()]
    assert types.count("coderev.promotion.decided") == 1
    assert types.count("coderev.promotion.promoted") == 1
    assert types[0] == "coderev.promotion.completed"


def _coderev(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coderev.cli", "promote", *args], capture_output=True, text=True,
        cwd=ROOT, env=embedded_environ(CODEREV_DATA_DIR=str(data), COLUMNS="200", **env),
        timeout=300,
    )  # fmt: skip


def test_coderev_promote_explain_history_rollback_and_quarantine(data_dir: Path) -> None:
    first, second = experiment(), experiment(name="stricter")
    bootstrap.reset()  # the CLI's processes open the same SQLite file
    run = _coderev(data_dir, first, "--json")
    assert run.returncode == 0, run.stderr
    promoted = json.loads(run.stdout)
    assert promoted["output"]["outcome"]["status"] == "promoted"

    run = _coderev(data_dir, "--explain", promoted["promotion_id"])
    assert run.returncode == 0, run.stderr
    assert "allowed" in run.stdout and "re-evaluated now: the same answer" in run.stdout
    assert "policy promotion/1, bundle " in run.stdout

    run = _coderev(data_dir, "--rollback", "--reason", "too quiet")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "production version 3 (rollback): default v1 - too quiet"
    run = _coderev(data_dir, "--history")
    assert [line.split(":")[0] for line in run.stdout.splitlines()] == [
        "production version 3 (rollback)", "production version 2 (promote)",
        "production version 1 (initial)"]  # fmt: skip

    # in a freeze window, refused by that rule alone, and quarantined: exit 1
    window = json.dumps([{"name": "holidays", "start": "2000-01-01T00:00:00Z",
                          "end": "2100-01-01T00:00:00Z"}])  # fmt: skip
    run = _coderev(data_dir, second, CODEREV_FREEZE_WINDOWS=window)
    assert run.returncode == 1, run.stderr
    assert "quarantined" in run.stdout and "freeze_window:holidays" in run.stdout

    run = _coderev(data_dir, "no-such-experiment")
    assert run.returncode == 2 and "no experiment no-such-experiment" in run.stderr
    run = _coderev(data_dir)
    assert run.returncode == 2
