"""The `coderev` command. Exit codes: 0 pass, 1 quality gate failed, 2 input or usage error."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from coderev.domain.errors import CoderevError, InputError

if TYPE_CHECKING:
    from coderev.pipeline.request import ReviewRequest
    from coderev.reports.baseline_reader import Baseline

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="coderev: code review and architecture analysis.",
)
FORMATS = ("json", "sarif", "md", "html")
# From this archive size on (about a hundred Python files), a review starts its worker
# processes before it reads the archive (coderev.pipeline.parallel.warm_up).
WARM_POOL_FROM_BYTES = 256 * 1024


@app.command()
def review(
    path: Annotated[Path, typer.Argument(help="A directory, .zip, .tar, .tar.gz or .tgz.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the reports.")] = Path(
        "out"
    ),
    baseline: Annotated[
        Path | None,
        typer.Option(help="An earlier report.json: marks findings new/existing, adds drift."),
    ] = None,
    fail_on: Annotated[
        str, typer.Option(help="Quality gate, e.g. high, new-high, new-medium,architecture, none.")
    ] = "none",
    config: Annotated[
        Path | None,
        typer.Option(help="A pyproject.toml or .coderev.toml to use instead of the repo's."),
    ] = None,
    lint_config: Annotated[
        str,
        typer.Option(
            help="project: ruff with the reviewed tree's own configuration (pyproject.toml, "
            "ruff.toml, .ruff.toml; noqa and nosec), coderev's rules added where the project "
            "has not turned them off; isolated: coderev's rule selection alone."
        ),
    ] = "project",
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: json,sarif,md,html.")
    ] = ",".join(FORMATS),
    jobs: Annotated[int, typer.Option(help="Worker processes (0 = one per CPU).", min=0)] = 0,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Glob of paths to skip (repeatable).")
    ] = None,
    reviewer: Annotated[
        str | None,
        typer.Option(
            help="offline (rules, no model), auto (routed models, merged with the offline "
            "review; offline when no provider is configured), openai:MODEL, anthropic:MODEL or "
            "hf:MODEL. Default: CODEREV_REVIEWER, else offline.",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")
    ] = False,
    via: Annotated[
        str,
        typer.Option(
            help="platform: upload the archive to the embedded platform `coderev serve` runs "
            "(S3 trigger -> ingest -> analysis state machine) and fetch its reports; "
            "direct: run the engine in this process, without the platform."
        ),
    ] = "platform",
    template: Annotated[
        Path | None,
        typer.Option(
            help="The SAM template of the platform (default: ./template.yaml, else the checkout's)."
        ),
    ] = None,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep",
            help="Keep what the review builds besides its reports: run on the configured "
            "platform (data dir, backends) and keep the analysis and its code graph for "
            "`coderev executions show`; with --via direct, write the code graph to "
            "OUT/graph.sqlite. By default a review runs on a private embedded platform that is "
            "removed when it ends, and writes no code graph.",
        ),
    ] = False,
    allow_unsupported_contracts: Annotated[
        bool,
        typer.Option(
            "--allow-unsupported-contracts",
            help="Let the architecture gate pass although a configured contract could not be "
            "checked (a custom contract class); it is listed either way.",
        ),
    ] = False,
    project: Annotated[
        str | None,
        typer.Option(help="Review on a running platform, in this project (its name or id): "
                     "held to its settings, compared with its baseline; prints the report "
                     "link, exits with the gate's code. See --server."),
    ] = None,
    server: Annotated[
        str | None,
        typer.Option(help="The platform's URL with --project (default: CODEREV_API_URL, else "
                     "http://127.0.0.1:8080)."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(help="With --project: an access token (default: CODEREV_TOKEN, else "
                     "what `coderev login` stored)."),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="With --project: an API key (default: CODEREV_API_KEY).")
    ] = None,
    ref: Annotated[str | None, typer.Option(help="With --project: the version's ref.")] = None,
    commit: Annotated[str | None, typer.Option(help="With --project: its commit.")] = None,
    label: Annotated[str | None, typer.Option(help="With --project: its label.")] = None,
) -> None:  # fmt: skip
    """Review PATH and write report.json, report.sarif, report.md and report.html to --out."""
    console = Console(stderr=True)
    if project is not None:
        remote = _Remote(server, token or api_key, ref, commit, label)
        code = _review_remote(path, project, remote, out, fail_on, formats, exclude or [],
                              baseline, quiet, console)  # fmt: skip
        raise typer.Exit(code)
    try:
        if via not in ("direct", "platform"):
            raise InputError(f"--via {via!r}: choose platform or direct")
        ask = _ask(path, baseline, fail_on, config, formats, exclude or [], jobs, lint_config)
        if reviewer is not None:
            ask = replace(ask, request=replace(ask.request, reviewer=_reviewer(reviewer)))
        if allow_unsupported_contracts:
            ask = replace(ask, request=replace(ask.request, allow_unsupported_contracts=True))
        if via == "platform":
            code = _review_on_platform(ask, out, quiet, console, template, keep)
        else:
            code = _review(ask, out, quiet, console, keep)
    except InputError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    except CoderevError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(3) from None
    except KeyboardInterrupt:
        console.print("interrupted: the analysis was aborted", highlight=False)
        raise typer.Exit(130) from None
    raise typer.Exit(code)


@dataclass(frozen=True)
class _Remote:
    server: str | None
    token: str | None
    ref: str | None
    commit: str | None
    label: str | None


def _review_remote(path: Path, project: str, remote: _Remote, out: Path, fail_on: str,
                   formats: str, exclude: list[str], baseline: Path | None, quiet: bool,
                   console: Console) -> int:  # fmt: skip
    """`coderev review --project`: upload to a running platform (coderev.cli_remote)."""
    import io
    import tarfile

    from coderev.cli_remote import review_remote

    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    problem = None
    if not path.exists():
        problem = f"{path}: no such file or directory"
    elif baseline is not None:
        problem = "--baseline is a file; with --project the project's baseline applies"
    elif unknown := [f for f in chosen if f not in FORMATS]:
        problem = f"unknown report format(s) {', '.join(unknown)}"
    if problem is not None:
        console.print(f"[bold red]error:[/] {problem}", highlight=False)
        return 2
    if path.is_dir():
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            tar.add(path, arcname=path.resolve().name)
        archive, filename = buffer.getvalue(), f"{path.resolve().name}.tar.gz"
    else:
        archive, filename = path.read_bytes(), path.name
    query = {"ref": remote.ref, "commit": remote.commit, "label": remote.label,
             "fail_on": None if fail_on == "none" else fail_on, "exclude": exclude}  # fmt: skip
    return review_remote(archive, filename, project, remote.server, remote.token, out=out,
                         formats=("json", *(f for f in chosen if f != "json")), query=query,
                         quiet=quiet)  # fmt: skip


@dataclass(frozen=True)
class _Ask:
    """The review asked for on the command line, checked before any work starts."""

    path: Path
    formats: tuple[str, ...]
    request: ReviewRequest  # gate, exclusions, --config, --lint-config (baseline_key: runner)
    baseline: Baseline | None
    baseline_bytes: bytes | None
    jobs: int


def _ask(
    path: Path, baseline: Path | None, fail_on: str, config: Path | None, formats: str,
    exclude: list[str], jobs: int, lint_config: str = "project",
) -> _Ask:  # fmt: skip
    from coderev.architecture.config import load_config_file
    from coderev.domain.errors import ConfigError
    from coderev.pipeline.request import RequestError, ReviewRequest, lint_mode
    from coderev.reports import load_baseline
    from coderev.review.gate import parse_gate

    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    if unknown := [f for f in chosen if f not in FORMATS]:
        raise ConfigError(
            f"unknown report format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}"
        )
    gate = parse_gate(fail_on)
    try:
        lint = lint_mode(lint_config)
    except RequestError:
        raise ConfigError(f"--lint-config {lint_config!r}: choose project or isolated") from None
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    project = load_config_file(config) if config is not None else None
    base = load_baseline(baseline) if baseline is not None else None
    request = ReviewRequest(None, gate.text, tuple(exclude), project, lint_config=lint)
    base_bytes = baseline.read_bytes() if baseline is not None else None
    return _Ask(path, chosen, request, base, base_bytes, jobs)


def _reviewer(name: str) -> str:
    from coderev.review.ai.names import parse_reviewer

    return parse_reviewer(name)  # ConfigError (exit 2) naming the accepted forms


def _review(ask: _Ask, out: Path, quiet: bool, console: Console, keep: bool) -> int:
    from coderev import bootstrap
    from coderev.adapters.background_graph import in_background
    from coderev.analysis.archive import read_source
    from coderev.analysis.collector import long_lived_settled
    from coderev.config import get_settings
    from coderev.console import TerminalProgress, print_summary, print_unchecked_contracts
    from coderev.pipeline.options import BaselineInput, ReviewOptions
    from coderev.pipeline.parallel import running_pool
    from coderev.pipeline.run import run_review
    from coderev.reports import write_reports
    from coderev.reports.json_format import summary_of_result
    from coderev.review.gate import evaluate_gate, parse_gate

    settings = get_settings()
    request, base = ask.request, ask.baseline
    project = request.config
    if ask.path.is_file() and ask.path.stat().st_size >= WARM_POOL_FROM_BYTES:
        from coderev.pipeline.parallel import warm_up
        from coderev.reports.writer import WORKER_PRELOAD

        # the workers start while the archive is read: once the files are analysed one builds
        # and writes the code graph (coderev.pipeline.graph_writes), then they render reports
        warm_up(
            ask.jobs or settings.jobs, preload=("coderev.pipeline.graph_writes", WORKER_PRELOAD)
        )
    # the modules are imported: the collector leaves them be while the review runs
    with long_lived_settled():
        tree = read_source(ask.path, exclude=request.exclude + (project.exclude if project else ()))
        options = ReviewOptions(
            jobs=ask.jobs or settings.jobs,
            file_budget_seconds=settings.file_budget_seconds,
            reviewer=request.reviewer or settings.reviewer,
            models=bootstrap.review_models(),
            baseline=BaselineInput(base.fingerprints, base.architecture) if base else None,
            config=project,
            source_root=ask.path if ask.path.is_dir() else None,
            lint_config=request.lint_config,
        )
        # The code graph is written when asked for (--keep: OUT/graph.sqlite), or when a Cypher
        # store is configured (NEO4J_URI: the user's graph database, which the project's graph
        # rules query): as on the platform, whose default review keeps none. Django's is 100k rows,
        # about 1 s of the command's end spent waiting for the worker writing them.
        wanted = keep or bool(settings.neo4j_uri)
        store = bootstrap.graph_store(settings, out / "graph.sqlite") if wanted else None
        graph_writes = in_background(store)
        show = not quiet and console.is_terminal
        with TerminalProgress(console, enabled=show) as progress:
            result = run_review(tree, options, progress, graph_store=graph_writes or store)
        # no gate asked for: the report says so with `gate: null`, as the platform's report does
        spec = parse_gate(request.fail_on)
        allowed = request.allow_unsupported_contracts
        unchecked = () if allowed else result.architecture.contracts_unsupported
        gate = None
        if spec.enabled:
            gate = evaluate_gate(
                spec, result.findings, unchecked, roles=result.gate_roles,
                contract_warnings=result.architecture.contract_warnings,
            )  # fmt: skip
        # rendered on the workers warm_up started, if it did (a pool started now would cost more)
        submit = running_pool(options.jobs)
        written = write_reports(result, out, formats=ask.formats, gate=gate, submit=submit)
        if graph_writes is not None:
            graph_writes.close()  # the code graph was written beside the review and its reports
        if not quiet:
            print_summary(console, summary_of_result(result, gate), written)
        elif result.architecture.contracts_unsupported or result.architecture.contract_warnings:
            print_unchecked_contracts(console, summary_of_result(result, gate))
        return 0 if gate is None or gate.passed else 1


def _review_on_platform(ask: _Ask, out: Path, quiet: bool, console: Console,
                        template: Path | None, keep: bool) -> int:  # fmt: skip
    import contextlib
    import io
    import json
    import os
    import tarfile

    from coderev.console import StateProgress, print_summary, print_unchecked_contracts
    from coderev.reports.json_format import summary_of
    from coderev.runtime.platform.serve import review_on_platform

    if ask.jobs:  # the AnalyzeShard step's worker processes: the platform runs in this process
        os.environ["CODEREV_JOBS"] = str(ask.jobs)
    if ask.path.is_dir():
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            tar.add(ask.path, arcname=ask.path.resolve().name)
        archive = buffer.getvalue()
    else:
        archive = ask.path.read_bytes()
    if len(archive) >= WARM_POOL_FROM_BYTES:  # the AnalyzeShard steps' workers start now,
        from coderev.config import get_settings  # while the platform starts and Index runs
        from coderev.pipeline.parallel import warm_up
        from coderev.reports.writer import WORKER_PRELOAD  # (the Review step renders on them)

        warm_up(ask.jobs or get_settings().jobs, preload=("coderev.pipeline.steps", WORKER_PRELOAD))
    out.mkdir(parents=True, exist_ok=True)
    from coderev.runtime.platform.ephemeral import ephemeral_platform

    # The handlers log JSON lines to stdout, as on Lambda; here they go to a file.
    platform = contextlib.nullcontext() if keep else ephemeral_platform()
    uploaded = [archive]  # handed over, not kept: its bytes are freed once uploaded
    del archive
    # the status line (a rich Live) is started first: it takes over sys.stdout while it runs,
    # and the handlers' logs must still go to the file, not to the terminal above it
    progress = StateProgress(console, enabled=not quiet)
    with progress, platform, (out / "platform.log").open("w") as log, \
            contextlib.redirect_stdout(log):  # fmt: skip
        outcome = review_on_platform(
            uploaded.pop(), ask.path.resolve().name, ask.formats, request=ask.request,
            baseline=ask.baseline_bytes, template_path=template,
            on_event=lambda event: progress.event(event.type, event.details),
        )  # fmt: skip
    if outcome.status != "SUCCEEDED":
        _raise_failure(outcome.analysis_id, outcome.error or "Error", outcome.cause or "", keep)
    written: dict[str, Path] = {}
    for fmt in ask.formats:
        written[fmt] = out / f"report.{fmt}"
        written[fmt].write_bytes(outcome.reports[fmt])
    # the Review step's summary of report.json, else (a template whose Review returns none)
    # the whole report.json parsed for it
    summary = outcome.summary or summary_of(json.loads(outcome.reports["json"]))
    if not quiet:
        if keep:
            console.print(f"analysis {outcome.analysis_id} (kept: coderev executions show "
                          f"{outcome.analysis_id})", highlight=False)  # fmt: skip
        print_summary(console, summary, written)
    else:
        print_unchecked_contracts(console, summary)
    gate = summary["summary"]["gate"]
    return 0 if gate is None or gate["passed"] else 1


def _raise_failure(analysis_id: str, error: str, cause: str, kept: bool) -> None:
    """Raise what the direct engine would have raised for the step's error: an InputError
    (exit 2) when the error's type is one, else a CoderevError (exit 3); the message is the
    error's own, without the Lambda error document around it."""
    from coderev.pipeline.steps_finalize import cause_message

    def names(cls: type[Exception]) -> set[str]:
        return {cls.__name__}.union(*(names(sub) for sub in cls.__subclasses__()))

    see = (f"see `coderev executions show {analysis_id}`" if kept
           else "run again with --keep to inspect it with `coderev executions show`")  # fmt: skip
    message = f"{cause_message(cause)} (analysis {analysis_id} FAILED with {error}; {see})"
    if error in names(InputError):
        raise InputError(message)
    raise CoderevError(message)


@app.command()
def serve(
    template: Annotated[
        Path | None,
        typer.Option(
            "--template",
            "-t",
            help="The SAM template to run (default: ./template.yaml, else the checkout's).",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address the HTTP gateway listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the HTTP gateway (0: any free port).")] = 8080,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="A template parameter override K=V (repeatable)."),
    ] = None,
) -> None:
    """Run the template's functions, triggers and state machines locally until Ctrl-C."""
    from coderev.runtime.errors import RuntimePlatformError
    from coderev.runtime.platform.serve import default_template
    from coderev.runtime.platform.serve import serve as run_platform

    console = Console(stderr=True)
    overrides: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            console.print(f"[bold red]error:[/] --param {item!r} is not K=V", highlight=False)
            raise typer.Exit(2)
        overrides[key] = value
    try:
        code = run_platform(
            template or default_template(), host=host, port=port, parameters=overrides,
            echo=lambda line: typer.echo(line, err=False),
        )  # fmt: skip
    except (RuntimePlatformError, OSError) as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        console.print("interrupted: running executions abandoned", highlight=False)
        raise typer.Exit(130) from None
    raise typer.Exit(code)


executions_app = typer.Typer(no_args_is_help=True, help="State machine executions of `serve`.")
app.add_typer(executions_app, name="executions")


@executions_app.command("list")
def executions_list(
    status: Annotated[
        str | None, typer.Option(help="RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many, newest first.", min=1)] = 20,
) -> None:
    """List the executions the local platform ran, newest first."""
    from coderev.config import get_settings
    from coderev.runtime.platform.serve import execution_store
    from coderev.runtime.states import ExecutionStatus

    try:
        wanted = None if status is None else ExecutionStatus(status.upper())
    except ValueError:
        Console(stderr=True).print(f"[bold red]error:[/] unknown status {status!r}")
        raise typer.Exit(2) from None
    found = execution_store(get_settings()).list(status=wanted)[::-1][:limit]
    for item in found:
        ended = f"{item.stop_date:%Y-%m-%d %H:%M:%S}" if item.stop_date else "-"
        machine = item.state_machine_arn.rsplit(":", 1)[-1]
        typer.echo(f"{item.name}  {item.status.value:<9}  {machine}  "
                   f"started {item.start_date:%Y-%m-%d %H:%M:%S}  ended {ended}")  # fmt: skip
    if not found:
        typer.echo("no executions")


@executions_app.command("show")
def executions_show(
    execution: Annotated[str, typer.Argument(help="The execution's ARN or name.")],
) -> None:
    """Show an execution: status, input, output or error and cause, and its history."""
    import json

    from coderev.config import get_settings
    from coderev.runtime.platform.serve import execution_store
    from coderev.runtime.states import ExecutionNotFoundError

    store = execution_store(get_settings())
    arn = next((e.execution_arn for e in store.list() if execution in (e.name, e.execution_arn)),
               execution)  # fmt: skip
    try:
        found = store.get(arn)
    except ExecutionNotFoundError:
        Console(stderr=True).print(f"[bold red]error:[/] no execution {execution}")
        raise typer.Exit(2) from None
    typer.echo(f"execution: {found.execution_arn}")
    typer.echo(f"status: {found.status.value}")
    typer.echo(f"started: {found.start_date.isoformat()}")
    typer.echo(f"ended: {found.stop_date.isoformat() if found.stop_date else '-'}")
    typer.echo(f"input: {json.dumps(found.input)}")
    if found.output is not None:
        typer.echo(f"output: {json.dumps(found.output)}")
    if found.error is not None or found.cause is not None:
        typer.echo(f"error: {found.error}")
        typer.echo(f"cause: {found.cause}")
    typer.echo("history:")
    for event in found.history:
        name = event.details.get("name")
        typer.echo(f"  {event.id:>3} {event.timestamp:%H:%M:%S.%f}"[:-3] + f"  {event.type}"
                   + (f"  {name}" if name else ""))  # fmt: skip


@app.command()
def version() -> None:
    """Print coderev's version and the pinned ruff's."""
    from coderev import __version__
    from coderev.analysis.ruff_findings import ruff_version

    typer.echo(f"coderev {__version__} (ruff {ruff_version()})")


# --- coderev db: the records' database (its own sub-app; imports stay inside the commands) ---

db_app = typer.Typer(
    no_args_is_help=True, help="The records' database: DATABASE_URL, else SQLite in the data dir."
)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema (creating schemas and tables when absent)."""
    from coderev.migrations import upgrade

    url, shown = _database()
    try:
        revision = upgrade(url)
    except _database_failures() as exc:
        raise _database_exit(shown, exc) from None
    typer.echo(f"{shown}: at revision {revision} (head)")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the newest this coderev knows."""
    from coderev.migrations import HEAD, current

    url, shown = _database()
    try:
        revision = current(url)
    except _database_failures() as exc:
        raise _database_exit(shown, exc) from None
    if revision == HEAD:
        typer.echo(f"{shown}: at revision {revision} (head)")
    else:
        typer.echo(f"{shown}: at revision {revision or 'none'}, head is {HEAD}: "
                   "run `coderev db upgrade`")  # fmt: skip


def _database() -> tuple[str, str]:
    """The database's URL, and how to show it (without its password)."""
    import sqlalchemy as sa

    from coderev.analyses.sql_repository import database_url
    from coderev.config import get_settings

    try:
        settings = get_settings()
        url = database_url(settings.database_url, settings.data_dir)
        return url, sa.make_url(url).render_as_string(hide_password=True)
    except (CoderevError, sa.exc.ArgumentError) as exc:
        raise _database_exit("DATABASE_URL", exc) from None


def _database_failures() -> tuple[type[Exception], ...]:
    import sqlalchemy as sa

    return (CoderevError, sa.exc.SQLAlchemyError)


def _database_exit(shown: str, exc: Exception) -> typer.Exit:
    """Print why the database cannot be used; exit 2 for bad input, else 3."""
    import sqlalchemy as sa

    reason = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    Console(stderr=True).print(f"[bold red]error:[/] {shown}: {reason}", highlight=False)
    return typer.Exit(2 if isinstance(exc, InputError) else 3)


def _register_local_commands() -> None:
    from coderev.cli_analyses import analyses_app
    from coderev.cli_backup import backup, restore
    from coderev.cli_experiments import experiments_app
    from coderev.cli_local import gc, generate_event_app, invoke, model_server
    from coderev.cli_promote import promote
    from coderev.cli_remote import login, projects_app
    from coderev.cli_route import route

    app.command("invoke")(invoke)
    app.command("route")(route)
    app.command("promote")(promote)
    app.command("gc")(gc)
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("model-server")(model_server)
    app.add_typer(generate_event_app, name="generate-event")
    app.add_typer(analyses_app, name="analyses")
    app.command("login")(login)
    app.add_typer(projects_app, name="projects")
    app.add_typer(experiments_app, name="experiments")


_register_local_commands()


def main() -> None:
    """The `coderev` command. It ends without the interpreter's teardown of its heap (see
    _exit_now): after a review that took 0.4 s (--via direct) to 0.8 s (the platform) on
    Django, one core freeing objects the process was about to hand back to the system."""
    try:
        app(prog_name="coderev")
    except SystemExit as done:
        _exit_now(done)
        raise


def _exit_now(done: SystemExit) -> None:
    """End the process with `done`'s status once what an exit must do is done: the atexit
    handlers run (the worker pools' shutdown, which ends their manager threads; logging's
    flush; temporary folders' removal), then stdout and stderr are flushed, then os._exit
    skips the teardown of modules and objects, which has no effect outside the process.
    Only for an int or None status; and if a non-daemon thread still runs after the handlers
    (the interpreter would wait for it) the normal exit goes on: it waits for the thread, and
    the handlers, already run, are not run again."""
    import atexit
    import contextlib
    import os
    import threading

    code = done.code
    if not (code is None or isinstance(code, int)):
        return
    atexit._run_exitfuncs()
    if any(t is not threading.main_thread() and not t.daemon and t.is_alive()
           for t in threading.enumerate()):  # fmt: skip
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    main()
    sys.exit(0)
