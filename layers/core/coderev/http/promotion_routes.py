"""The promotion API's routes (Powertools `Router`, included by functions/promotion):

- POST /promotions {experiment_id}: start the promotion state machine (202, its promotion id
  and execution); the policy decides, the machine promotes or quarantines;
- GET /promotions/{id}: the decision record (input, policy version and bundle hash, answer)
  and the same input re-evaluated under the policy in force now;
- GET /production[?project=]: the configuration in force and the history, newest first;
- POST /production/rollback {project?, reason?}: the configuration in force before the
  current one, as a new version.

Every route acts in the caller's tenant (coderev.http.caller); the route's action is decided
by the authorizer (promotions:create / promotions:read / production:read /
production:rollback: approvers and admins), and the use cases check again where it matters
(the policy's approver rule, rollback's production:rollback).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from coderev import bootstrap
from coderev.http.caller import current_principal
from coderev.http.models import ErrorView

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

    from coderev.auth.principal import Principal

__all__ = ["router"]

router = Router()  # type: ignore[no-untyped-call]
_REQUEST = ConfigDict(extra="forbid", defer_build=True)
_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"
_PROJECT = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"


class PromotionStart(BaseModel):
    model_config = _REQUEST

    experiment_id: str = Field(pattern=_ID, description="an evaluated experiment of the tenant")


class Rollback(BaseModel):
    model_config = _REQUEST

    project: str | None = Field(
        default=None, pattern=_PROJECT, description="the project's production (else the tenant's)"
    )
    reason: str | None = Field(default=None, max_length=1000)


def _error(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": ErrorView}}}


ERRORS: dict[int, OpenAPIResponse] = {
    403: _error("the caller may not (the policy's reasons in the message)"),
    404: _error("no such experiment or promotion in the caller's tenant (or no route)"),
    409: _error("the experiment is not evaluated, or production has nothing to roll back to"),
    422: _error("the body or a parameter is invalid: the message names the field and rule"),
    503: _error("the database or the policy engine is unavailable"),
}


def _principal() -> Principal:
    return current_principal(router.current_event.raw_event)


@router.post("/promotions", status_code=202, responses=ERRORS,
             summary="Promote an evaluated experiment's candidate through the policy (starts "
             "the promotion state machine)")  # fmt: skip
def start(body: Annotated[PromotionStart, Body()]) -> Response[dict[str, Any]]:
    from coderev.promotion.errors import PromotionStoreError

    machine = os.environ.get("PROMOTION_STATE_MACHINE_ARN")
    if not machine:
        raise PromotionStoreError("PROMOTION_STATE_MACHINE_ARN is not set")
    promotion_id, execution = bootstrap.promotion_service().start(
        _principal(), body.experiment_id, bootstrap.state_machine_starter(), machine
    )
    return Response(202, "application/json",
                    {"promotion_id": promotion_id, "execution": execution},
                    headers={"Location": f"/promotions/{promotion_id}"})  # fmt: skip


@router.get("/promotions/<promotion_id>", responses=ERRORS,
            summary="A promotion's decision record, re-evaluated under today's policy")  # fmt: skip
def decision(promotion_id: Annotated[str, Path(pattern=_ID)]) -> dict[str, Any]:
    promotion = bootstrap.promotion_service()
    record = promotion.decision_of(_principal(), promotion_id)
    now = promotion.explain(record.promotion_id)
    return {**record.as_dict(), "now": {"allow": now.allow_now, "reasons": list(now.reasons_now),
                                        "same_answer": now.same_answer,
                                        "same_policy": now.same_policy}}  # fmt: skip


@router.get("/production", responses=ERRORS,
            summary="The configuration in force and production's history, newest first")
def production(
    project: Annotated[str | None, Query(pattern=_PROJECT)] = None,
) -> dict[str, Any]:
    history = bootstrap.promotion_repository().history(_principal().tenant, project)
    return {"current": history[0].as_dict() if history else None,
            "history": [r.as_dict() for r in history]}  # fmt: skip


@router.post("/production/rollback", responses=ERRORS,
             summary="Restore the configuration in force before the current one (a new version)")
def rollback(body: Annotated[Rollback, Body()]) -> dict[str, Any]:
    release = bootstrap.promotion_service().rollback(_principal(), body.project, body.reason)
    return release.as_dict()
