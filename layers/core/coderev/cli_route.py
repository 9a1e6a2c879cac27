"""`coderev route`: which models a review task would go to, in which order, and why.

Thin: the task from the options, bootstrap.router().route(task), the decision printed as
JSON (what POST /routes/preview answers) or, with --explain, as text. Nothing is called.
"""

from __future__ import annotations

import json
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from coderev.domain.errors import CoderevError, InputError

__all__ = ["route"]

_OPTIONS = {"input_tokens": "tokens", "budget_usd": "budget"}


def route(
    explain: Annotated[
        bool, typer.Option("--explain", help="Print the decision as text, with every reason.")
    ] = False,
    kind: Annotated[str, typer.Option(help="The task kind.")] = "review_chunk",
    language: Annotated[str, typer.Option(help="The chunk's language.")] = "python",
    tokens: Annotated[int, typer.Option(help="The chunk's input tokens.", min=0)] = 4000,
    reviewer: Annotated[
        str,
        typer.Option(help="auto (the rules choose), or openai:MODEL, anthropic:MODEL, hf:MODEL."),
    ] = "auto",
    tenant: Annotated[str, typer.Option(help="The tenant whose quotas apply.")] = "default",
    tier: Annotated[str, typer.Option(help="The tenant's tier: economy, standard, premium.")] = (
        "standard"
    ),
    project: Annotated[
        str | None, typer.Option(help="The project (keeps its experiment arm sticky).")
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(
            help="USD the analysis may still spend (default: CODEREV_ANALYSIS_BUDGET_USD)."
        ),
    ] = None,
) -> None:
    """Show which provider and model a review task would be routed to, and why."""
    from pydantic import ValidationError

    from coderev import bootstrap
    from coderev.routing.preview import RoutePreview, RoutePreviewRequest

    try:
        request = RoutePreviewRequest(kind=kind, language=language, input_tokens=tokens,
                                      tenant=tenant, tier=tier, project=project,  # type: ignore[arg-type]
                                      budget_usd=budget, reviewer=reviewer)  # fmt: skip
        decision = bootstrap.router().route(request.task())
    except ValidationError as exc:
        first = exc.errors()[0]
        option = _OPTIONS.get(str(first["loc"][0]), str(first["loc"][0]))
        _fail(InputError(f"--{option}: {first['msg']}"))
    except CoderevError as exc:
        _fail(exc)
    if explain:
        typer.echo(decision.explain())
    else:
        typer.echo(json.dumps(RoutePreview.of(decision).model_dump(mode="json"), indent=2))


def _fail(exc: CoderevError) -> NoReturn:
    Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
    raise typer.Exit(2 if isinstance(exc, InputError) else 3)
