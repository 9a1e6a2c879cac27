"""Offline evaluation: both configurations replayed on a labelled corpus become paired
observations, file by file, that the comparison takes under the experiment's plan."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from coderev.auth.principal import LOCAL_ADMIN
from coderev.comparison.models import ComparisonRequest
from coderev.experiments.model import ConfigurationSpec, ExperimentPlan, Population
from coderev.experiments.offline import evaluate_offline
from coderev.experiments.service import Experiments, ObservationsClosedError

# two files; the baseline emits three labelled findings (one useful), the candidate (which
# turns CR-MET-005 off) only the useful one
FINDINGS = """project,fingerprint,path,label
demo,f1,a.py,useful
demo,f2,a.py,noise
demo,f3,b.py,false-positive
"""


def _corpus(tmp_path: Path) -> Path:
    (tmp_path / "findings.csv").write_text(FINDINGS)
    (tmp_path / "comments.csv").write_text("project,fingerprint,text_sha,label\n")
    return tmp_path


def _finding(fingerprint: str, path: str, rule: str) -> dict[str, Any]:
    return {"fingerprint": fingerprint, "path": path, "rule_id": rule}


def _review(config: Any, project: str) -> Mapping[str, Any]:
    findings = [_finding("f1", "a.py", "CR-BUG-001"), _finding("f2", "a.py", "CR-MET-005"),
                _finding("f3", "b.py", "CR-MET-005")]  # fmt: skip
    off = config.spec.severity_policy.get("rules", {})
    return {"findings": [f for f in findings if off.get(f["rule_id"]) != "off"]}


def test_both_arms_become_paired_observations_the_comparison_reads(
    service: Experiments, tmp_path: Path
) -> None:
    service.create_configuration(LOCAL_ADMIN, "prod", ConfigurationSpec())
    strict = ConfigurationSpec(severity_policy={"rules": {"CR-MET-005": "off"}})
    service.create_configuration(LOCAL_ADMIN, "strict", strict)
    exp = service.create(LOCAL_ADMIN, name="strict", baseline="prod", candidate="strict",
                         plan=ExperimentPlan("precision", ("false_positive_share",)),
                         population=Population(corpus="precision", live=False))  # fmt: skip

    outcome = evaluate_offline(service, LOCAL_ADMIN, exp.id, _corpus(tmp_path), ["demo"], _review)
    assert outcome.tasks == 2 and outcome.recorded == 4
    assert outcome.totals["precision"] == {"baseline": [1.0, 3.0], "candidate": [1.0, 1.0]}
    assert outcome.totals["useful_kept"]["candidate"] == [1.0, 1.0]

    pairs = service.pairs(LOCAL_ADMIN.tenant, exp.id, "offline")
    assert [p["task"] for p in pairs] == ["demo:a.py", "demo:b.py"]
    assert pairs[1]["baseline"]["false_positive_share"] == [1.0, 1.0]
    assert pairs[1]["candidate"]["false_positive_share"] == [0.0, 0.0]
    # a re-run keeps the first observations
    again = evaluate_offline(service, LOCAL_ADMIN, exp.id, _corpus(tmp_path), ["demo"], _review)
    assert again.recorded == 0

    request = ComparisonRequest.model_validate(service.comparison_request("default", exp.id))
    assert request.primary == "precision" and request.guards == ["false_positive_share"]
    assert request.metrics["false_positive_share"].higher_is_better is False
    assert len(request.pairs) == 2


def test_an_evaluated_experiment_takes_no_more_observations(
    service: Experiments, tmp_path: Path
) -> None:
    service.create_configuration(LOCAL_ADMIN, "prod", ConfigurationSpec())
    service.create_configuration(LOCAL_ADMIN, "next", ConfigurationSpec(reviewer="auto"))
    exp = service.create(LOCAL_ADMIN, name="x", baseline="prod", candidate="next",
                         plan=ExperimentPlan("precision"), population=Population())  # fmt: skip
    service.transition(LOCAL_ADMIN, exp.id, "start")
    service.transition(LOCAL_ADMIN, exp.id, "evaluate")
    with pytest.raises(ObservationsClosedError, match="evaluated"):
        evaluate_offline(service, LOCAL_ADMIN, exp.id, _corpus(tmp_path), ["demo"], _review)


def test_feedback_on_a_live_analysis_is_its_arms_acceptance(service: Experiments) -> None:
    service.create_configuration(LOCAL_ADMIN, "prod", ConfigurationSpec())
    service.create_configuration(LOCAL_ADMIN, "next", ConfigurationSpec(reviewer="auto"))
    exp = service.create(LOCAL_ADMIN, name="x", baseline="prod", candidate="next",
                         plan=ExperimentPlan("acceptance"), population=Population())  # fmt: skip
    for arm in ("baseline", "candidate"):
        service.record("default", exp.id, source="live", task="a-1", arm=arm,
                       metrics={"findings": 3.0}, analysis_id="a-1")  # fmt: skip
    for fingerprint, verdict in (("f1", "accepted"), ("f2", "dismissed")):
        service.record_feedback(LOCAL_ADMIN, analysis_id="a-1", fingerprint=fingerprint,
                                verdict=verdict, configuration="next@1")  # fmt: skip
    [pair] = service.pairs("default", exp.id)
    assert pair["candidate"]["acceptance"] == [1.0, 2.0]
    assert "acceptance" not in pair["baseline"]  # its comments were not shown: no verdicts
