"""The feedback routes of the experiments API: verdicts on review comments and acceptance.

- POST /feedback (JSON, 201); GET /feedback/acceptance?by=rule|model|configuration|project;
- GET /feedback/new?analysis=&fingerprint=&rule=&verdict=...: the page a report's link opens,
  a one-button form (a link only shows the form: following a link must not change anything),
  which POSTs to /feedback/new (form-encoded) and answers a short page.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from coderev import bootstrap
from coderev.http import experiment_models as models
from coderev.http.caller import current_principal

__all__ = ["router"]

router = Router()  # type: ignore[no-untyped-call]

_FIELDS = ("analysis", "fingerprint", "verdict", "rule", "project", "configuration", "model")
_VERDICT_TEXT = {"accepted": "accept", "dismissed": "dismiss as noise", "wrong": "mark as wrong"}


@router.post("/feedback", status_code=201,
             responses=models.answer(201, models.FeedbackView, "the verdict kept"),
             summary="Mark a finding or review comment accepted, dismissed (noise) or wrong; "
             "the caller's later verdict replaces an earlier one")  # fmt: skip
def give_feedback(body: Annotated[models.FeedbackIn, Body()]) -> Response[models.FeedbackView]:
    item = bootstrap.experiments().record_feedback(
        current_principal(router.current_event.raw_event), **body.model_dump()
    )
    view = models.FeedbackView(analysis_id=item.analysis_id, fingerprint=item.fingerprint,
                               verdict=item.verdict, actor=item.actor, rule_id=item.rule_id,
                               project=item.project, at=item.at)  # fmt: skip
    return Response(201, "application/json", view)


@router.get("/feedback/acceptance",
            responses=models.answer(200, models.AcceptanceView, "acceptance, most verdicts first"),
            summary="Acceptance (accepted / verdicts) per rule, model, configuration or project, "
            "and the rules a project's reports show collapsed")  # fmt: skip
def acceptance(
    by: Annotated[Literal["rule", "model", "configuration", "project"], Query()] = "rule",
    project: Annotated[str | None, Query(max_length=128)] = None,
) -> models.AcceptanceView:
    from coderev.domain.report import ReviewContext
    from coderev.experiments.feedback import acceptance as count
    from coderev.experiments.feedback import collapsed_rules

    tenant = current_principal(router.current_event.raw_event).tenant
    items = bootstrap.experiments().feedback(tenant, project)
    rows = [models.AcceptanceRow(key=r.key, accepted=r.accepted, dismissed=r.dismissed,
                                 wrong=r.wrong, verdicts=r.verdicts, acceptance=r.share)
            for r in count(items, by)]  # fmt: skip
    from coderev.config import get_settings

    collapsed = collapsed_rules(items, get_settings().feedback_min_votes) if project else {}
    return models.AcceptanceView(by=by, project=project, rows=rows, collapsed_rules=collapsed,
                                 note=ReviewContext().collapse_note)  # fmt: skip


@router.get("/feedback/new", include_in_schema=False)
def feedback_form() -> Response[str]:
    """The page a report's link opens: what is about to be recorded, and one button."""
    from markupsafe import escape

    given = router.current_event.query_string_parameters or {}
    fields = {k: given[k] for k in _FIELDS if given.get(k)}
    verdict = fields.get("verdict", "")
    if verdict not in _VERDICT_TEXT or not fields.get("analysis") or not fields.get("fingerprint"):
        return _page(422, "This link does not name an analysis, a finding and a verdict.")
    hidden = "".join(f'<input type="hidden" name="{k}" value="{escape(v)}">'
                     for k, v in fields.items())  # fmt: skip
    what = escape(fields.get("rule") or fields["fingerprint"])
    return _page(200, f'<form method="post">{hidden}<p>{escape(_VERDICT_TEXT[verdict])} '
                      f"<code>{what}</code> in analysis <code>{escape(fields['analysis'])}</code>?"
                      '</p><button type="submit">Record</button></form>')  # fmt: skip


@router.post("/feedback/new", include_in_schema=False)
def feedback_form_post() -> Response[str]:
    """The form's POST (application/x-www-form-urlencoded): record it, say so."""
    from markupsafe import escape

    event = router.current_event
    form = {k: v[0] for k, v in parse_qs(event.decoded_body or "").items() if k in _FIELDS}
    if form.get("verdict") not in _VERDICT_TEXT:
        return _page(422, "The form does not carry a verdict.")
    item = bootstrap.experiments().record_feedback(
        current_principal(event.raw_event), analysis_id=form.get("analysis", ""),
        fingerprint=form.get("fingerprint", ""), verdict=form["verdict"],
        rule_id=form.get("rule"), project=form.get("project"), model=form.get("model"),
        configuration=form.get("configuration"),
    )  # fmt: skip
    return _page(201, f"Recorded: <b>{escape(item.verdict)}</b>. Thank you.")


def _page(status: int, body: str) -> Response[str]:
    page = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>coderev '
            f"feedback</title></head><body>{body}</body></html>")  # fmt: skip
    return Response(status, "text/html; charset=utf-8", page)
