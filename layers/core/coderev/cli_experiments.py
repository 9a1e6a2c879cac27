"""`coderev experiments ...`: review configurations, experiments, offline evaluation, the
comparison, and feedback, on this machine's data (the embedded database, or DATABASE_URL), as
the local admin of the default tenant (the HTTP API is the same use cases for a server).

Thin: options in, one use case of coderev.experiments out, JSON printed. Exit 2 on bad input
(an unknown configuration, an illegal step), 3 when a backend fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from coderev.domain.errors import CoderevError, InputError

__all__ = ["experiments_app"]

experiments_app = typer.Typer(
    no_args_is_help=True,
    help="Review configurations, experiments (candidate vs production), offline evaluation on "
    "the labelled corpus, comparison, and feedback on review comments.",
)
config_app = typer.Typer(no_args_is_help=True, help="Review configurations (versioned).")
experiments_app.add_typer(config_app, name="config")


def _fail(exc: CoderevError) -> NoReturn:
    Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
    raise typer.Exit(2 if isinstance(exc, InputError) else 3)


@contextmanager
def _reported() -> Iterator[None]:
    try:
        yield
    except CoderevError as exc:
        _fail(exc)


def _print(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def _service() -> Any:
    from coderev import bootstrap

    return bootstrap.experiments()


def _me() -> Any:
    from coderev.auth.principal import LOCAL_ADMIN

    return LOCAL_ADMIN


def _pairs(values: list[str] | None, what: str, convert: Callable[[str], Any]) -> dict[str, Any]:
    out = {}
    for item in values or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(InputError(f"--{what} takes KEY=VALUE, not {item!r}"))
        out[key] = convert(value)
    return out


def _configuration_view(c: Any) -> dict[str, Any]:
    return {"ref": c.ref, "digest": c.digest, "description": c.description,
            "spec": c.spec.as_dict(), "created_at": c.created_at, "used_at": c.used_at}  # fmt: skip


def _experiment_view(e: Any, history: list[Any] | None = None) -> dict[str, Any]:
    from coderev.experiments.lifecycle import allowed_from

    view = asdict(e) | {"allowed": list(allowed_from(e.state))}
    if history is not None:
        view["history"] = [asdict(t) for t in history]
    return view


@config_app.command("create")
def config_create(
    name: Annotated[str, typer.Argument(help="Its name: a new name is version 1, else the next.")],
    reviewer: Annotated[str, typer.Option(help="offline, auto, openai:MODEL, ...")] = "offline",
    model: Annotated[str | None, typer.Option(help="The model it names.")] = None,
    prompt_version: Annotated[str | None, typer.Option(help="The prompt version.")] = None,
    routing_rules_version: Annotated[str | None, typer.Option(help="Routing rules.")] = None,
    catalogue_version: Annotated[str | None, typer.Option(help="Rule catalogue.")] = None,
    threshold: Annotated[list[str] | None, typer.Option(
        help="NAME=VALUE, e.g. max_complexity=8 (repeatable).")] = None,
    min_severity: Annotated[str | None, typer.Option(
        help="Leave out findings below: info, low, medium, high, critical.")] = None,
    rule: Annotated[list[str] | None, typer.Option(
        help="RULE=SEVERITY or RULE=off, e.g. CR-MET-005=off (repeatable).")] = None,
    description: Annotated[str, typer.Option(help="What it changes and why.")] = "",
) -> None:  # fmt: skip
    """Write a review configuration (a version is never changed)."""
    from coderev.experiments.model import ConfigurationSpec

    policy: dict[str, Any] = {}
    if min_severity:
        policy["min_severity"] = min_severity
    if rule:
        policy["rules"] = _pairs(rule, "rule", str)
    spec = ConfigurationSpec(
        reviewer=reviewer, model=model, prompt_version=prompt_version,
        routing_rules_version=routing_rules_version, rule_catalogue_version=catalogue_version,
        thresholds=_pairs(threshold, "threshold", float), severity_policy=policy,
    )  # fmt: skip
    with _reported():
        _print(_configuration_view(_service().create_configuration(_me(), name, spec,
                                                                   description)))  # fmt: skip


@config_app.command("list")
def config_list(name: Annotated[str | None, typer.Argument(help="Only this name.")] = None) -> None:
    """Every configuration version."""
    with _reported():
        _print([_configuration_view(c) for c in _service().configurations("default", name)])


@experiments_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="What the experiment tries.")],
    baseline: Annotated[str, typer.Option(help="The configuration in force: NAME[@VERSION].")],
    candidate: Annotated[str, typer.Option(help="The candidate: NAME[@VERSION].")],
    primary: Annotated[str, typer.Option(help="The metric that decides, e.g. precision.")],
    guard: Annotated[list[str] | None, typer.Option(
        help="A metric that must not regress, e.g. cost_usd (repeatable).")] = None,
    mde: Annotated[float, typer.Option(help="Minimum detectable effect (absolute).")] = 0.05,
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
    power: Annotated[float, typer.Option(help="Power wanted at the MDE.")] = 0.8,
    split: Annotated[float, typer.Option(help="Percent of live projects on the candidate.")] = 50,
    project: Annotated[list[str] | None, typer.Option(
        help="Live analyses of this project (repeatable; none: every project).")] = None,
    corpus: Annotated[str | None, typer.Option(help="precision: the labelled corpus.")] = None,
    live: Annotated[bool, typer.Option(help="Also on live analyses.")] = True,
    description: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:  # fmt: skip
    """A draft experiment, its plan chosen up front."""
    from coderev.experiments.model import ExperimentPlan, Population

    with _reported():
        made = _service().create(
            _me(), name=name, baseline=baseline, candidate=candidate, description=description,
            plan=ExperimentPlan(primary, tuple(guard or ()), mde, alpha, power, split),
            population=Population(tuple(project or ()), corpus, live),
        )  # fmt: skip
        _print(_experiment_view(made))


@experiments_app.command("list")
def list_(state: Annotated[str | None, typer.Option(help="Only in this state.")] = None) -> None:
    """The experiments, newest first."""
    with _reported():
        found = _service().list("default", None if state is None else [state])
        _print([_experiment_view(e) for e in found])


@experiments_app.command("show")
def show(experiment_id: Annotated[str, typer.Argument(help="The experiment's id.")]) -> None:
    """One experiment with its history."""
    with _reported():
        service = _service()
        _print(_experiment_view(service.get("default", experiment_id),
                                service.history("default", experiment_id)))  # fmt: skip


def _step(verb: str) -> Callable[..., None]:
    def step(
        experiment_id: Annotated[str, typer.Argument(help="The experiment's id.")],
        reason: Annotated[str | None, typer.Option(help="Why, for the audit trail.")] = None,
    ) -> None:
        with _reported():
            _print(_experiment_view(_service().transition(_me(), experiment_id, verb, reason)))

    step.__doc__ = {"start": "Start it: draft -> running.",
                    "evaluate": "Close it: running -> evaluated (no more observations).",
                    "archive": "Archive it."}[verb]  # fmt: skip
    return step


for _verb in ("start", "evaluate", "archive"):
    experiments_app.command(_verb)(_step(_verb))


@experiments_app.command("evaluate-offline")
def evaluate_offline(
    experiment_id: Annotated[str, typer.Argument(help="The experiment's id.")],
    corpus: Annotated[Path, typer.Option(help="The labelled corpus (findings.csv, comments.csv, "
                                         "projects.toml).")] = Path("benchmarks/precision"),
    sources: Annotated[Path, typer.Option(help="Where the corpus projects' sdists are "
                                          "(make bench downloads them).")] = Path(
        "benchmarks/.cache"),
    project: Annotated[list[str] | None, typer.Option(
        help="Only this corpus project (repeatable; default: every one).")] = None,
) -> None:  # fmt: skip
    """Review the corpus projects with both configurations; keep each file as a pair."""
    from coderev import bootstrap
    from coderev.experiments.offline import evaluate_offline as run
    from coderev.experiments.offline import sdist_review
    from coderev.pipeline.options import ReviewOptions

    with _reported():
        found = _corpus_sources(corpus, sources, project)
        # an AI configuration's reviewer reaches the configured providers (OPENAI_BASE_URL: a
        # local OpenAI-compatible server, ...) through the router, as `coderev review` does
        review = sdist_review(found, base=ReviewOptions(models=bootstrap.review_models()))
        outcome = run(_service(), _me(), experiment_id, corpus, sorted(found), review)
        totals = {m: {arm: {"numerator": n, "denominator": d,
                            "value": None if d == 0 else round(n / d, 4)}
                      for arm, (n, d) in arms.items()}
                  for m, arms in outcome.totals.items()}  # fmt: skip
        _print({"projects": sorted(found), "tasks": outcome.tasks, "recorded": outcome.recorded,
                "pooled": totals})  # fmt: skip


def _corpus_sources(corpus: Path, sources: Path, only: list[str] | None) -> dict[str, Path]:
    """Corpus project -> its sdist in `sources` (named after projects.toml's pinned version)."""
    import tomllib

    try:
        listed = tomllib.loads((corpus / "projects.toml").read_text(encoding="utf-8"))["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read {corpus / 'projects.toml'}: {exc}") from None
    found: dict[str, Path] = {}
    for entry in listed:
        if only and entry["name"] not in only:
            continue
        dist, _, version = str(entry["requirement"]).partition("==")
        wanted = f"{dist}-{version}.tar.gz".lower()
        match = [p for p in sources.glob("*.tar.gz") if p.name.lower() == wanted]
        if not match:
            raise InputError(f"no sdist {wanted} in {sources} for corpus project {entry['name']}")
        found[entry["name"]] = match[0]
    if only and (unknown := set(only) - set(found)):
        raise InputError(f"not corpus projects: {', '.join(sorted(unknown))}")
    return found


@experiments_app.command("compare")
def compare(
    experiment_id: Annotated[str, typer.Argument(help="The experiment's id.")],
    source: Annotated[str | None, typer.Option(help="live or offline (default: both).")] = None,
    seed: Annotated[int, typer.Option(help="The bootstrap's seed.")] = 0,
) -> None:
    """The paired comparison of its observations under its plan: estimates, confidence
    intervals, p-values, guard regressions and a recommendation."""
    from pydantic import ValidationError

    from coderev.comparison.models import ComparisonRequest
    from coderev.comparison.paired_comparison import compare as run

    with _reported():
        body = _service().comparison_request("default", experiment_id, source, seed)
        try:
            request = ComparisonRequest.model_validate(body)
        except ValidationError as exc:
            raise InputError(f"cannot compare yet: {exc.errors()[0]['msg']}") from None
        _print(run(request.paired_metrics(), request.plan()).as_dict())


@experiments_app.command("feedback")
def feedback(
    analysis_id: Annotated[str, typer.Argument(help="The analysis.")],
    fingerprint: Annotated[str, typer.Argument(help="The finding's or comment's fingerprint.")],
    verdict: Annotated[str, typer.Argument(help="accepted, dismissed (noise) or wrong.")],
    rule: Annotated[str | None, typer.Option(help="Its rule id.")] = None,
    project: Annotated[str | None, typer.Option(help="Its project.")] = None,
    configuration: Annotated[str | None, typer.Option(help="The configuration.")] = None,
    model: Annotated[str | None, typer.Option(help="The model that wrote it.")] = None,
) -> None:
    """Mark a review comment accepted, dismissed (noise) or wrong."""
    with _reported():
        item = _service().record_feedback(
            _me(), analysis_id=analysis_id, fingerprint=fingerprint, verdict=verdict,
            rule_id=rule, project=project, configuration=configuration, model=model,
        )  # fmt: skip
        _print(asdict(item))


@experiments_app.command("acceptance")
def acceptance(
    by: Annotated[str, typer.Option(help="rule, model, configuration or project.")] = "rule",
    project: Annotated[str | None, typer.Option(help="One project's feedback.")] = None,
) -> None:
    """Acceptance (accepted / verdicts), and the rules a project's reports show collapsed."""
    from coderev.config import get_settings
    from coderev.domain.report import ReviewContext
    from coderev.experiments.feedback import GROUPS, collapsed_rules
    from coderev.experiments.feedback import acceptance as count

    if by not in GROUPS:
        _fail(InputError(f"--by takes one of {', '.join(GROUPS)}"))
    with _reported():
        items = _service().feedback("default", project)
        rows = [asdict(r) | {"verdicts": r.verdicts, "acceptance": round(r.share, 4)}
                for r in count(items, by)]  # fmt: skip
        collapsed = collapsed_rules(items, get_settings().feedback_min_votes) if project else {}
        _print({"by": by, "project": project, "rows": rows, "collapsed_rules": collapsed,
                "note": ReviewContext().collapse_note})  # fmt: skip
