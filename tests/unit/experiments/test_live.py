"""How a live analysis is arranged: its experiment arm's configuration, else the one in force,
else the built-in one; the project's low-acceptance rules collapsed either way."""

from __future__ import annotations

from coderev.auth.principal import LOCAL_ADMIN, Principal
from coderev.experiments.arms import arm_of
from coderev.experiments.live import arrange
from coderev.experiments.model import ConfigurationSpec, ExperimentPlan, Population
from coderev.experiments.service import Experiments


def test_outside_experiments_the_configuration_in_force_reviews(service: Experiments) -> None:
    strict = service.create_configuration(
        LOCAL_ADMIN, "strict", ConfigurationSpec(severity_policy={"min_severity": "high"})
    )
    for user in ("u-1", "u-2"):
        service.record_feedback(Principal(user, "default", frozenset(), "user"),
                                analysis_id="a-0", fingerprint="f", verdict="wrong",
                                rule_id="CR-MET-005", project="shop")  # fmt: skip

    built_in = arrange(service, "default", "shop", "a-1", min_votes=2)
    assert built_in.context.configuration is None and built_in.finding_policy is None
    assert built_in.context.collapsed_rules == ("CR-MET-005",)

    asked: list[tuple[str, str | None]] = []

    def in_force(tenant: str, project: str | None) -> object:
        asked.append((tenant, project))
        return strict

    produced = arrange(service, "default", "shop", "a-2", in_force=in_force)  # type: ignore[arg-type]
    assert asked == [("default", "shop")]
    assert produced.context.configuration == "strict@1" and produced.observe is None
    assert produced.context.configuration_digest == strict.digest
    assert produced.finding_policy is not None and produced.context.experiment_id is None


def test_in_an_experiment_its_arm_decides(service: Experiments) -> None:
    service.create_configuration(LOCAL_ADMIN, "prod", ConfigurationSpec())
    service.create_configuration(LOCAL_ADMIN, "ai", ConfigurationSpec(reviewer="auto"))
    exp = service.create(LOCAL_ADMIN, name="ai", baseline="prod", candidate="ai",
                         plan=ExperimentPlan("acceptance"),
                         population=Population(projects=("shop",)))  # fmt: skip
    assert arrange(service, "default", "shop", "a-1").context.experiment_id is None  # a draft
    service.transition(LOCAL_ADMIN, exp.id, "start")
    arranged = arrange(service, "default", "shop", "a-1")
    arm = arm_of(service.get("default", exp.id), "shop")
    assert arranged.context.arm == arm and arranged.context.experiment_id == exp.id
    assert arranged.reviewer == ("auto" if arm == "candidate" else "offline")
    assert arranged.shadow is None  # an AI arm is not run in shadow: no doubled spend
    assert arrange(service, "default", "blog", "a-2").context.experiment_id is None
