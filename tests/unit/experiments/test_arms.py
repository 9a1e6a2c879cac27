"""Live arms: sticky per project, split as the plan says, the oldest running experiment
covering a project decides, and the router's hook gives the same arm."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from coderev.domain.errors import CoderevError
from coderev.experiments.arms import ExperimentArms, arm_of, experiment_for
from coderev.experiments.model import Experiment, ExperimentPlan, Population
from coderev.routing.model import RouteTask

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def _experiment(id: str, split: float = 50.0, projects: tuple[str, ...] = (),
                state: str = "running", age: int = 0) -> Experiment:  # fmt: skip
    return Experiment(id=id, tenant="acme", name=id, baseline="prod@1", candidate="next@1",
                      population=Population(projects=projects),
                      plan=ExperimentPlan("precision", split=split), state=state,
                      created_by="u", created_at=NOW - timedelta(days=age),
                      updated_at=NOW)  # fmt: skip


def test_the_split_holds_and_a_project_stays_in_its_arm() -> None:
    exp = _experiment("exp_a", split=20.0)
    arms = [arm_of(exp, f"project-{i}") for i in range(4000)]
    share = arms.count("candidate") / len(arms)
    assert 0.18 < share < 0.22  # 20 % within ~3 standard errors
    assert all(arm_of(exp, f"project-{i}") == arms[i] for i in range(0, 4000, 97))
    other = replace(exp, id="exp_b")  # another experiment draws its own arms
    assert [arm_of(other, f"project-{i}") for i in range(200)] != arms[:200]


def test_the_oldest_running_experiment_covering_the_project_decides() -> None:
    old = _experiment("exp_old", projects=("shop",), age=3)
    new = _experiment("exp_new", age=1)  # every project
    draft = _experiment("exp_draft", state="draft", age=9)
    assert experiment_for([new, old, draft], "shop") is old
    assert experiment_for([new, old, draft], "blog") is new
    assert experiment_for([new, old], None) is None


def test_the_router_hook_reads_running_experiments_once_per_ttl() -> None:
    reads: list[str] = []
    exp = _experiment("exp_a")

    def running(tenant: str) -> list[Experiment]:
        reads.append(tenant)
        return [exp]

    hook = ExperimentArms(running, ttl_s=3600)
    task = RouteTask(kind="review_chunk", language="python", input_tokens=10, tenant="acme",
                     project="shop")  # fmt: skip
    assert hook.assign(task) == arm_of(exp, "shop")
    assert hook.assign(task) == arm_of(exp, "shop") and reads == ["acme"]
    assert hook.assign(replace(task, project=None)) is None


def test_an_unavailable_store_leaves_routing_without_an_arm() -> None:
    def broken(tenant: str) -> list[Experiment]:
        raise CoderevError("database down")

    task = RouteTask(kind="review_chunk", language="python", input_tokens=10, project="shop")
    assert ExperimentArms(broken).assign(task) is None
