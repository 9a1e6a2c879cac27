"""`coderev promote`: promote an experiment's candidate configuration through the promotion
state machine, run on this machine's platform (the template's PromotionStateMachine, its
functions in-process, on the configured backends), or roll production back, or explain a
past decision.

    coderev promote EXPERIMENT              Compare -> PolicyDecision -> Promote | Quarantine
    coderev promote --redrive PROMOTION     the same promotion again after a failure
    coderev promote --rollback [--project P] [--reason TEXT]
    coderev promote --explain PROMOTION     the decision record, re-evaluated now
    coderev promote --history [--project P] production's versions, newest first

The requester is the local admin (the embedded CLI). Exit codes: 0 promoted (or rolled back,
explained, listed), 1 quarantined by the policy, 2 bad input (no such experiment, nothing
to roll back, a state production moved from), 3 the promotion failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from coderev.promotion.model import Release

__all__ = ["promote", "run_promotion"]

MACHINE = "PromotionStateMachine"
_PARAMETERS = {"PromotionFreezeWindows": "CODEREV_FREEZE_WINDOWS",
               "PromotionCostCeilingUsd": "CODEREV_PROMOTION_COST_CEILING_USD"}  # fmt: skip


def promote(
    experiment: Annotated[str | None, typer.Argument(
        help="The experiment whose candidate configuration to promote.")] = None,
    rollback: Annotated[bool, typer.Option(
        "--rollback", help="Restore the configuration in force before the current one.")] = False,
    redrive: Annotated[str | None, typer.Option(
        "--redrive", help="Run a failed promotion again (same promotion id: nothing is "
        "decided or written twice).")] = None,
    explain: Annotated[str | None, typer.Option(
        "--explain", help="Show a promotion's decision record, re-evaluated under the policy "
        "in force now.")] = None,
    history: Annotated[bool, typer.Option(
        "--history", help="List production's versions, newest first.")] = False,
    project: Annotated[str | None, typer.Option(
        help="The project's production (default: the tenant's).")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (kept with a rollback).")] = None,
    template: Annotated[Path | None, typer.Option(
        "--template", "-t", help="The SAM template (default: ./template.yaml, else the "
        "checkout's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:  # fmt: skip
    """Promote an experiment through the policy, roll production back, or explain a decision."""
    from coderev.auth.principal import LOCAL_ADMIN
    from coderev.domain.errors import InputError

    chosen = [bool(experiment), rollback, bool(redrive), bool(explain), history]
    if sum(chosen) != 1:
        _fail("give one of EXPERIMENT, --rollback, --redrive, --explain or --history", 2)
    try:
        if rollback:
            _show_release(_service().rollback(LOCAL_ADMIN, project, reason), as_json)
            return
        if history:
            _history(project, as_json)
            return
        if explain:
            _explain(explain, as_json)
            return
        code = _run(experiment, redrive, template, as_json)
    except InputError as exc:
        _fail(str(exc), 2)
    raise typer.Exit(code)


def _service() -> Any:
    from coderev import bootstrap

    return bootstrap.promotion_service()


def run_promotion(
    experiment_id: str | None, *, redrive: str | None = None, template: Path | None = None,
    timeout: float = 300.0,
) -> dict[str, Any]:  # fmt: skip
    """Run the promotion machine to its end on a local platform; the execution's status,
    output or error and cause, and its promotion id. Redriving takes the experiment and
    requester from the promotion's first execution input (its decision record)."""
    import os

    from coderev.auth.principal import LOCAL_ADMIN
    from coderev.promotion.tasks import new_promotion_id, promotion_input
    from coderev.runtime.platform.serve import build_platform, default_template

    if redrive is not None:
        record = _service().repository.decision(redrive)
        if record is None:
            from coderev.promotion.errors import DecisionNotFoundError

            raise DecisionNotFoundError(
                f"no promotion {redrive} got as far as its decision; start a new one with "
                "coderev promote EXPERIMENT"
            )
        experiment_id, promotion_id = record.experiment_id, redrive
    else:
        promotion_id = new_promotion_id()
    assert experiment_id is not None
    _service().experiments.experiment(experiment_id)  # not found: an input error, before any run
    # the policy's settings from this environment, as the template's parameters
    parameters = {name: os.environ[variable] for name, variable in _PARAMETERS.items()
                  if os.environ.get(variable)}  # fmt: skip
    platform = build_platform(template or default_template(), port=0, parameters=parameters)
    platform.start(http=False)
    try:
        import uuid

        name = promotion_id if redrive is None else f"{promotion_id}-redrive-{uuid.uuid4().hex[:6]}"
        arn = platform.starter.start(MACHINE, name, promotion_input(promotion_id, experiment_id,
                                                                    LOCAL_ADMIN))  # fmt: skip
        platform.starter.wait(timeout)
        found = platform.interpreter.describe(arn)
    finally:
        platform.stop(30.0)
    return {"promotion_id": promotion_id, "execution": arn, "status": found.status.value,
            "output": found.output, "error": found.error, "cause": found.cause}  # fmt: skip


def _run(experiment: str | None, redrive: str | None, template: Path | None,
         as_json: bool) -> int:  # fmt: skip
    import contextlib
    import sys

    with contextlib.redirect_stdout(sys.stderr):  # the handlers' JSON log lines
        result = run_promotion(experiment, redrive=redrive, template=template)
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
    output = result["output"] or {}
    outcome = output.get("outcome") or {}
    decision = output.get("decision") or {}
    if result["status"] != "SUCCEEDED":
        if not as_json:
            typer.echo(f"promotion {result['promotion_id']} FAILED: {result['error']}: "
                       f"{_cause(result['cause'])}", err=True)  # fmt: skip
            typer.echo(f"run `coderev promote --redrive {result['promotion_id']}` once fixed; "
                       f"`coderev executions show {result['execution']}`", err=True)  # fmt: skip
        return 3
    if not as_json:
        typer.echo(f"promotion {result['promotion_id']}: {outcome.get('status')}")
        typer.echo(f"  policy {decision.get('policy', {}).get('version')} "
                   f"(bundle {str(decision.get('policy', {}).get('bundle_hash'))[:12]}): "
                   + ", ".join(decision.get("reasons", [])))  # fmt: skip
        if outcome.get("status") == "promoted":
            config = outcome.get("config", {})
            typer.echo(f"  production version {outcome.get('version')}: "
                       f"{config.get('id')} v{config.get('version')}")  # fmt: skip
    return 0 if outcome.get("status") == "promoted" else 1


def _cause(cause: str | None) -> str:
    try:
        value = json.loads(cause or "")
    except ValueError:
        return cause or ""
    return str(value.get("errorMessage", cause)) if isinstance(value, dict) else str(cause)


def _show_release(release: Release, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(release.as_dict(), indent=2))
        return
    typer.echo(
        f"production version {release.version} ({release.kind}): {release.config.id} "
        f"v{release.config.version}" + (f" - {release.reason}" if release.reason else "")
    )


def _history(project: str | None, as_json: bool) -> None:
    from coderev.auth.principal import LOCAL_ADMIN

    releases = _service().repository.history(LOCAL_ADMIN.tenant, project)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in releases], indent=2))
        return
    for release in releases:
        _show_release(release, False)
    if not releases:
        typer.echo("no production configuration yet")


def _explain(promotion_id: str, as_json: bool) -> None:
    explanation = _service().explain(promotion_id)
    record = explanation.record
    if as_json:
        typer.echo(json.dumps({"record": record.as_dict(), "allow_now": explanation.allow_now,
                               "reasons_now": list(explanation.reasons_now),
                               "same_answer": explanation.same_answer,
                               "same_policy": explanation.same_policy}, indent=2))  # fmt: skip
        return
    verdict = "allowed" if record.allow else "refused"
    typer.echo(f"promotion {record.promotion_id} of experiment {record.experiment_id}: {verdict} "
               f"at {record.decided_at.isoformat()} by {record.requester}")  # fmt: skip
    typer.echo(f"  policy {record.policy.version}, bundle {record.policy.bundle_hash}")
    typer.echo("  reasons: " + ", ".join(record.reasons))
    now = "the same answer" if explanation.same_answer else (
        f"{'allowed' if explanation.allow_now else 'refused'}: "
        + ", ".join(explanation.reasons_now))  # fmt: skip
    changed = "" if explanation.same_policy else " (the policy changed since)"
    typer.echo(f"  re-evaluated now{changed}: {now}")


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
