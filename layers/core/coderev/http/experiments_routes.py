"""The experiments API's routes (Powertools `Router`, included by functions/experiments):
review configurations, experiments and their lifecycle steps, both arms' observations.

Every route acts in the caller's tenant (coderev.http.caller); the use cases are
`coderev.experiments.service.Experiments` (bootstrap.experiments). Promote and quarantine are
not routes: they are the promotion state machine's steps, after the policy decided.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from coderev import bootstrap
from coderev.http import experiment_models as models
from coderev.http.caller import current_principal

if TYPE_CHECKING:
    from coderev.auth.principal import Principal

__all__ = ["router"]

router = Router()  # type: ignore[no-untyped-call]

EXPERIMENT = Path(pattern=r"^exp_[0-9a-f]{1,36}$", description="the experiment's id")
REF = Path(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}(@[1-9][0-9]{0,8})?$",
           description="NAME (its newest version) or NAME@VERSION")  # fmt: skip


STEP = models.answer(200, models.ExperimentView, "the experiment after the step", conflict=True)


def _principal() -> Principal:
    return current_principal(router.current_event.raw_event)


@router.get("/configurations", summary="The tenant's review configurations, every version",
            responses=models.answer(200, models.ConfigurationList, "every version"))  # fmt: skip
def list_configurations(
    name: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")] = None,
) -> models.ConfigurationList:
    found = bootstrap.experiments().configurations(_principal().tenant, name)
    return models.ConfigurationList(configurations=[models.ConfigurationView.of(c) for c in found])


@router.post("/configurations", status_code=201,
             responses=models.answer(201, models.ConfigurationView, "the version written"),
             summary="Write a review configuration: a new name is version 1, an existing one "
             "gets its next version (a version never changes)")  # fmt: skip
def create_configuration(
    body: Annotated[models.ConfigurationCreate, Body()],
) -> Response[models.ConfigurationView]:
    from coderev.experiments.model import ConfigurationSpec

    made = bootstrap.experiments().create_configuration(
        _principal(), body.name, ConfigurationSpec.of(body.spec_values()), body.description
    )
    view = models.ConfigurationView.of(made)
    return Response(201, "application/json", view,
                    headers={"Location": f"/configurations/{made.ref}"})  # fmt: skip


@router.get("/configurations/<ref>",
            responses=models.answer(200, models.ConfigurationView, "the version"),
            summary="One configuration version (NAME: its newest)")  # fmt: skip
def get_configuration(ref: Annotated[str, REF]) -> models.ConfigurationView:
    found = bootstrap.experiments().configuration(_principal().tenant, ref)
    return models.ConfigurationView.of(found)


@router.get(
    "/experiments",
    summary="The tenant's experiments",
    responses=models.answer(200, models.ExperimentList, "newest first"),
)
def list_experiments(
    state: Annotated[str | None, Query(pattern=r"^[a-z]{1,16}$")] = None,
) -> models.ExperimentList:
    found = bootstrap.experiments().list(_principal().tenant, None if state is None else [state])
    return models.ExperimentList(experiments=[models.ExperimentView.of(e) for e in found])


@router.post("/experiments", status_code=201,
             responses=models.answer(201, models.ExperimentView, "the draft"),
             summary="A draft experiment: a candidate configuration against the baseline, "
             "on a population, with its primary and guard metrics, MDE and alpha chosen up "
             "front")  # fmt: skip
def create_experiment(
    body: Annotated[models.ExperimentCreate, Body()],
) -> Response[models.ExperimentView]:
    from coderev.experiments.model import ExperimentPlan, Population

    plan = body.plan.model_dump()
    plan["guard_metrics"] = tuple(plan["guard_metrics"])
    made = bootstrap.experiments().create(
        _principal(), name=body.name, baseline=body.baseline, candidate=body.candidate,
        plan=ExperimentPlan(**plan), description=body.description,
        population=Population(projects=tuple(body.population.projects),
                              live=body.population.live, corpus=body.population.corpus),
    )  # fmt: skip
    view = models.ExperimentView.of(made, bootstrap.experiments().history(made.tenant, made.id))
    return Response(201, "application/json", view, headers={"Location": f"/experiments/{made.id}"})


@router.get("/experiments/<experiment_id>",
            responses=models.answer(200, models.ExperimentView, "the experiment"),
            summary="One experiment with its history of lifecycle steps")  # fmt: skip
def get_experiment(experiment_id: Annotated[str, EXPERIMENT]) -> models.ExperimentView:
    tenant = _principal().tenant
    service = bootstrap.experiments()
    return models.ExperimentView.of(service.get(tenant, experiment_id),
                                    service.history(tenant, experiment_id))  # fmt: skip


def _step(experiment_id: str, verb: str, body: models.StepIn | None) -> models.ExperimentView:
    principal = _principal()
    service = bootstrap.experiments()
    moved = service.transition(principal, experiment_id, verb,
                               None if body is None else body.reason)  # fmt: skip
    return models.ExperimentView.of(moved, service.history(principal.tenant, experiment_id))


@router.post("/experiments/<experiment_id>/start", responses=STEP,
             summary="Start: draft -> running (its configurations are in use from then on)",
             )  # fmt: skip
def start_experiment(
    experiment_id: Annotated[str, EXPERIMENT],
    body: Annotated[models.StepIn | None, Body()] = None,
) -> models.ExperimentView:
    return _step(experiment_id, "start", body)


@router.post("/experiments/<experiment_id>/evaluate", responses=STEP,
             summary="Evaluate: running -> evaluated (no more observations are taken)")  # fmt: skip
def evaluate_experiment(
    experiment_id: Annotated[str, EXPERIMENT],
    body: Annotated[models.StepIn | None, Body()] = None,
) -> models.ExperimentView:
    return _step(experiment_id, "evaluate", body)


@router.post("/experiments/<experiment_id>/archive", responses=STEP,
             summary="Archive: from any state but archived")  # fmt: skip
def archive_experiment(
    experiment_id: Annotated[str, EXPERIMENT],
    body: Annotated[models.StepIn | None, Body()] = None,
) -> models.ExperimentView:
    return _step(experiment_id, "archive", body)


@router.get("/experiments/<experiment_id>/observations",
            responses=models.answer(200, models.PairList, "the pairs, in task order"),
            summary="Paired observations: the tasks both arms were observed on")  # fmt: skip
def list_pairs(
    experiment_id: Annotated[str, EXPERIMENT],
    source: Annotated[Literal["live", "offline"] | None, Query()] = None,
) -> models.PairList:
    pairs = bootstrap.experiments().pairs(_principal().tenant, experiment_id, source)
    return models.PairList(experiment_id=experiment_id, pairs=pairs)


@router.post("/experiments/<experiment_id>/observations", status_code=201,
             responses=models.answer(201, models.ObservationRecorded, "kept (200: already kept)",
                                   conflict=True),
             summary="Record one arm's outcome on a task (once per source, task and arm)",
             )  # fmt: skip
def record_observation(
    experiment_id: Annotated[str, EXPERIMENT],
    body: Annotated[models.ObservationIn, Body()],
) -> Response[models.ObservationRecorded]:
    kept = bootstrap.experiments().record(
        _principal().tenant, experiment_id, source=body.source, task=body.task, arm=body.arm,
        metrics={k: list(v) if isinstance(v, tuple) else v for k, v in body.metrics.items()},
        project=body.project, analysis_id=body.analysis_id,
    )  # fmt: skip
    view = models.ObservationRecorded(recorded=kept)
    return Response(201 if kept else 200, "application/json", view)
