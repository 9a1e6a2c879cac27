"""`coderev invoke` and `coderev generate-event`: one function of the template run locally the
way `sam local invoke` runs it (without Docker), and the sample events to run it with.

Output as `sam local invoke` prints it: the handler's result (or Lambda's error object) as JSON
on stdout; the function's logs and the START/END/REPORT lines on stderr. Exit codes: 0 the
handler returned, 1 it raised or timed out (its error type and message on stderr), 2 bad input
(no such function, an event or env-vars file that is not JSON, a template that cannot run).
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["gc", "generate_event_app", "invoke", "model_server"]


def invoke(
    function: Annotated[str, typer.Argument(
        help="Logical id, FunctionName, ARN or functions/<folder> name, e.g. analysis_index.")],
    event: Annotated[str | None, typer.Option(
        "--event", "-e", help="A JSON event file, or - to read it from standard input "
        "(default: {}).")] = None,
    env_vars: Annotated[Path | None, typer.Option(
        "--env-vars", "-n", help='SAM\'s env-vars JSON: {"Parameters": {...}, '
        '"<LogicalId>": {...}}.')] = None,
    template: Annotated[Path | None, typer.Option(
        "--template", "-t", help="The SAM template (default: ./template.yaml, else the "
        "checkout's).")] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", help="A template parameter override K=V (repeatable).")] = None,
) -> None:  # fmt: skip
    """Invoke one function of the template once, locally, like `sam local invoke`."""
    from coderev.runtime.errors import RuntimePlatformError
    from coderev.runtime.platform.invoke_local import (
        invoke_function,
        read_env_vars,
        read_event,
        report_lines,
    )
    from coderev.runtime.platform.serve import default_template, read_template

    try:
        loaded = read_template(template or default_template(), _overrides(param))
        payload = read_event(event)
        variables = read_env_vars(env_vars)
        # The handler's logs (JSON lines on stdout, as on Lambda) go to stderr, as SAM shows
        # them: stdout carries only the result.
        with contextlib.redirect_stdout(sys.stderr):
            done = invoke_function(loaded, function, payload, variables)
    except RuntimePlatformError as exc:
        _fail(str(exc), 2)
    for name in done.ignored_variables:
        typer.echo(f"--env-vars: {name} is not declared by {done.function.logical_id}; "
                   "ignored (as SAM does)", err=True)  # fmt: skip
    for line in report_lines(done):
        typer.echo(line, err=True)
    typer.echo(json.dumps(done.result.payload))
    if not done.result.ok:
        _fail(f"{done.result.error_type}: {done.result.error_message}", 1)


def gc(
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Measure and list what would go; delete nothing.")] = False,
) -> None:  # fmt: skip
    """Reclaim the data dir's space: what retention no longer needs (CODEREV_RETENTION_DAYS,
    CODEREV_UPLOAD_HOURS), work files of ended analyses, old executions; then VACUUM."""
    from coderev.config import get_settings
    from coderev.runtime.platform.reclaim import reclaim

    data_dir = get_settings().data_dir
    done = reclaim(dry_run=dry_run)
    typer.echo(f"data dir {data_dir}")
    parts = sorted(set(done.before.parts) | set(done.after.parts if done.after else {}))
    for part in parts:
        before = done.before.parts.get(part, 0)
        after = "" if done.after is None else f" -> {_size(done.after.parts.get(part, 0))}"
        typer.echo(f"  {part:<22} {_size(before):>10}{after}")
    verb = "would delete" if dry_run else "deleted"
    listed = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in done.counts.items() if n)
    typer.echo(f"{verb}: {listed or 'nothing'}")
    if done.after is None:
        typer.echo(f"total {_size(done.before.total)}; objects to delete: "
                   f"{_size(done.planned_bytes)} (database files shrink on VACUUM)")  # fmt: skip
    else:
        freed = done.before.total - done.after.total
        typer.echo(f"total {_size(done.before.total)} -> {_size(done.after.total)} "
                   f"({_size(freed)} reclaimed)")  # fmt: skip


def model_server(
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8765,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    script: Annotated[Path | None, typer.Option(
        "--script", help="A JSON list of replies and faults, answered in order (see "
        "coderev.providers.wire.script); then the scripted reviewer answers.")] = None,
) -> None:  # fmt: skip
    """A scripted model speaking the OpenAI, Anthropic and Hugging Face APIs, for demos and
    tests: with no script it answers coderev's review prompt with valid review comments
    (on the chunk's first static finding). Runs until Ctrl-C."""
    from coderev.providers.wire import Call, WireServer, load_script
    from coderev.review.ai.scripted import scripted_reply

    def review(call: Call) -> str:
        return scripted_reply(call.user, call.model)

    try:
        steps = load_script(script) if script is not None else None
        server = WireServer(steps, responder=review, host=host, port=port)
    except (OSError, ValueError) as exc:
        _fail(str(exc), 2)
    url = server.url
    typer.echo(f"coderev model-server on {url} ({len(steps or ())} scripted steps)")
    typer.echo(f"  OPENAI_BASE_URL={url}/v1 OPENAI_API_KEY=any")
    typer.echo(f"  ANTHROPIC_BASE_URL={url} ANTHROPIC_API_KEY=any")
    typer.echo(f"  CODEREV_HF_ENDPOINT_URL={url}/hf")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
    finally:
        server.stop_listening()


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


generate_event_app = typer.Typer(
    no_args_is_help=True,
    help="Print a sample event for a trigger, like `sam local generate-event`.",
)


@generate_event_app.command("s3")
def generate_s3(
    kind: Annotated[str, typer.Argument(help="put or delete.")] = "put",
    bucket: Annotated[str, typer.Option(help="The bucket.")] = "coderev-uploads",
    key: Annotated[str, typer.Option(help="The object key.")] = "uploads/repo.tar.gz",
    size: Annotated[int, typer.Option(help="The object's size in bytes.")] = 1024,
    region: Annotated[str, typer.Option(help="The bucket's region.")] = "us-east-1",
) -> None:  # fmt: skip
    """An S3 event notification: ObjectCreated:Put or ObjectRemoved:Delete."""
    from coderev.runtime.platform.sample_events import s3_notification

    _choice(kind, ("put", "delete"))
    _print(s3_notification(bucket, key, removed=kind == "delete", size=size, region=region))


@generate_event_app.command("apigateway")
def generate_apigateway(
    kind: Annotated[str, typer.Argument(help="aws-proxy (REST API, payload format 1.0).")] = (
        "aws-proxy"),
    method: Annotated[str, typer.Option(help="The HTTP method.")] = "GET",
    path: Annotated[str, typer.Option(help="The request path.")] = "/analyses/ID",
    resource: Annotated[str | None, typer.Option(
        help="The route's resource template, e.g. /analyses/{id} (default: the path).")] = None,
    stage: Annotated[str, typer.Option(help="The API stage.")] = "Prod",
    body: Annotated[str, typer.Option(help="The request body.")] = "",
    header: Annotated[list[str] | None, typer.Option(help="A header Name:Value.")] = None,
    query: Annotated[list[str] | None, typer.Option(help="A query parameter K=V.")] = None,
) -> None:  # fmt: skip
    """An API Gateway REST proxy event."""
    from coderev.runtime.platform.sample_events import api_proxy

    _choice(kind, ("aws-proxy",))
    headers = [_pair(h, ":", "--header") for h in header or []]
    pairs = [_pair(q, "=", "--query") for q in query or []]
    _print(api_proxy(method, path, resource=resource, stage=stage, body=body,
                     headers=headers, query=pairs))  # fmt: skip


@generate_event_app.command("kafka")
def generate_kafka(
    kind: Annotated[str, typer.Argument(help="self-managed or msk.")] = "self-managed",
    topic: Annotated[str, typer.Option(help="The topic.")] = "coderev.analysis.completed",
    value: Annotated[list[str] | None, typer.Option(
        help="A record's value (repeatable; default: one CloudEvent).")] = None,
    key: Annotated[str | None, typer.Option(help="The records' key.")] = None,
    partition: Annotated[int, typer.Option(help="The partition.")] = 0,
    offset: Annotated[int, typer.Option(help="The first record's offset.")] = 0,
) -> None:  # fmt: skip
    """A batch of Kafka records as Lambda's self-managed Kafka or MSK trigger delivers it."""
    from coderev.runtime.platform.sample_events import kafka_batch

    _choice(kind, ("self-managed", "msk"))
    values = value or [json.dumps({
        "specversion": "1.0", "id": "00000000-0000-4000-8000-000000000001",
        "source": "coderev/analyses", "type": topic, "datacontenttype": "application/json",
        "data": {"analysis_id": "3f2b8c1e-6d4a-4b7e-9c1a-2e5f7a9b0c11"}})]  # fmt: skip
    _print(kafka_batch(topic, values, key=key, partition=partition, offset=offset,
                       msk=kind == "msk"))  # fmt: skip


@generate_event_app.command("schedule")
def generate_schedule(
    kind: Annotated[str, typer.Argument(
        help="scheduled-event (an EventBridge rule) or scheduler (EventBridge Scheduler).")] = (
        "scheduled-event"),
    rule: Annotated[str, typer.Option(help="The rule's or schedule's name.")] = (
        "coderev-HousekeepingFunctionHourly"),
) -> None:  # fmt: skip
    """The event an EventBridge rate()/cron() rule sends."""
    from coderev.runtime.platform.sample_events import schedule

    _choice(kind, ("scheduled-event", "scheduler"))
    _print(schedule(rule, scheduler=kind == "scheduler"))


def _print(event: object) -> None:
    typer.echo(json.dumps(event, indent=2))


def _choice(kind: str, allowed: tuple[str, ...]) -> None:
    if kind not in allowed:
        _fail(f"unknown event {kind!r}; choose one of: {', '.join(allowed)}", 2)


def _pair(text: str, separator: str, option: str) -> tuple[str, str]:
    name, sep, value = text.partition(separator)
    if not sep or not name:
        _fail(f"{option} {text!r} is not NAME{separator}VALUE", 2)
    return name, value


def _overrides(params: list[str] | None) -> dict[str, str]:
    return dict(_pair(item, "=", "--param") for item in params or [])


def _fail(message: str, code: int) -> None:
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)
