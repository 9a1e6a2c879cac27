"""The CLI against a running platform (`coderev serve`, or a deployed API): `coderev login`,
`coderev projects ...`, and `coderev review PATH --project NAME --server URL`, the CI
pipeline's way in: upload the archive to the project (presigned: any size), wait for the
analysis, write its reports, print the link to the report, exit with the gate's code
(0 passed or no gate, 1 failed, 2 refused input, 3 the platform failed or cannot be reached).

Credentials, first found wins: `--token` / `--api-key`, the environment (`CODEREV_TOKEN`,
`CODEREV_API_KEY`), then what `coderev login` stored for that server in
`~/.config/coderev/credentials.json` (mode 0600; `CODEREV_CREDENTIALS` names another file).
A token or API key is sent as `Authorization: Bearer ...` and never printed.
Plain urllib: a handful of JSON calls and one PUT do not justify an HTTP client dependency.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["RemoteError", "Server", "login", "projects_app", "review_remote"]

DEFAULT_SERVER = "http://127.0.0.1:8080"
TERMINAL = ("SUCCEEDED", "FAILED")


class RemoteError(Exception):
    """The platform refused a call (`status` >= 400) or could not be reached (`status` 0)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)

    @property
    def exit_code(self) -> int:
        return 2 if 400 <= self.status < 500 else 3


def credentials_file() -> Path:
    configured = os.environ.get("CODEREV_CREDENTIALS")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "coderev" / "credentials.json"


def _stored() -> dict[str, Any]:
    try:
        loaded = json.loads(credentials_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def store_credentials(server: str, document: dict[str, Any]) -> Path:
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    everything = _stored() | {server: document}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(everything, handle, indent=2)
    os.chmod(path, 0o600)
    return path


class Server:
    """JSON calls to the platform at `url` with a bearer credential (or none)."""

    def __init__(self, url: str | None, token: str | None = None) -> None:
        self.url = (url or os.environ.get("CODEREV_API_URL") or DEFAULT_SERVER).rstrip("/")
        stored = _stored().get(self.url) or {}
        environment = os.environ.get("CODEREV_TOKEN") or os.environ.get("CODEREV_API_KEY")
        self._token = token or environment or stored.get("access_token")

    def __repr__(self) -> str:
        return f"Server({self.url!r})"  # never the token

    def call(self, method: str, path: str, body: Any = None, *, query: dict[str, Any] | None
             = None, data: bytes | None = None, headers: dict[str, str] | None = None,
             absolute: bool = False) -> Any:  # fmt: skip
        url = path if absolute else self.url + path
        if query:
            pairs = [(k, v) for k, v in query.items() if v not in (None, "", [])]
            url += "?" + urllib.parse.urlencode(pairs, doseq=True)
        sent = dict(headers or {})
        if body is not None:
            data, sent["Content-Type"] = json.dumps(body).encode(), "application/json"
        if self._token and not absolute:
            sent["Authorization"] = f"Bearer {self._token}"
        sent.setdefault("Accept", "application/json")
        request = urllib.request.Request(url, data=data, method=method, headers=sent)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                text = response.read()
        except urllib.error.HTTPError as error:
            raise RemoteError(error.code, _message(error.read()) or str(error.reason)) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise RemoteError(0, f"cannot reach {self.url}: {reason}") from None
        return json.loads(text) if text else None


def _message(body: bytes) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        return ""
    if isinstance(answer, dict):
        return f"{answer.get('error', 'Error')}: {answer.get('message', '')}"
    return ""


def _fail(error: RemoteError) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(error.exit_code)


SERVER = typer.Option("--server", help=f"The platform's URL (default: CODEREV_API_URL, else "
                      f"{DEFAULT_SERVER}, where `coderev serve` listens).")  # fmt: skip
TOKEN = typer.Option("--token", help="An access token or API key (default: CODEREV_TOKEN, "
                     "CODEREV_API_KEY, else what `coderev login` stored).")  # fmt: skip


def login(
    email: Annotated[str, typer.Option(prompt=True, help="Your account's email.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          help="Prompted when not given.")],
    server: Annotated[str | None, SERVER] = None,
    organization: Annotated[str | None, typer.Option(help="Your organization, when several."
                                                     )] = None,
) -> None:  # fmt: skip
    """Log in to a platform and keep its tokens for the other commands (file mode 0600)."""
    remote = Server(server)
    body = {"email": email, "password": password}
    if organization:
        body["organization"] = organization
    try:
        tokens = remote.call("POST", "/auth/login", body)
    except RemoteError as error:
        raise _fail(error) from None
    kept = {k: tokens.get(k) for k in ("access_token", "refresh_token", "tenant", "user_id")}
    path = store_credentials(remote.url, kept)
    typer.echo(f"logged in to {remote.url} as {email} (tenant {tokens.get('tenant')}); "
               f"tokens kept in {path}")  # fmt: skip


projects_app = typer.Typer(no_args_is_help=True, help="Projects on a running platform.")


def _show(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, sort_keys=True))


def _run(method: str, path: str, server: str | None, token: str | None, body: Any = None,
         query: dict[str, Any] | None = None) -> Any:  # fmt: skip
    try:
        return Server(server, token).call(method, path, body, query=query)
    except RemoteError as error:
        raise _fail(error) from None


def _q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


@projects_app.command("list")
def projects_list(server: Annotated[str | None, SERVER] = None,
                  token: Annotated[str | None, TOKEN] = None) -> None:  # fmt: skip
    """Your tenant's projects."""
    cursor = None
    while True:
        page = _run("GET", "/projects", server, token, query={"cursor": cursor, "limit": 200})
        for found in page["projects"]:
            typer.echo(f"{found['name']}\t{found['id']}\tbaseline={found['baseline_id'] or '-'}"
                       f"\tgate={found['settings']['fail_on']}")  # fmt: skip
        if not (cursor := page.get("next_cursor")):
            return


@projects_app.command("create")
def projects_create(
    name: Annotated[str, typer.Argument()],
    description: Annotated[str, typer.Option()] = "",
    fail_on: Annotated[str, typer.Option(help="The project's gate, e.g. new-high.")] = "none",
    ignore: Annotated[list[str] | None, typer.Option(help="A glob to ignore (repeatable).")]
    = None,
    server: Annotated[str | None, SERVER] = None, token: Annotated[str | None, TOKEN] = None,
) -> None:  # fmt: skip
    """Create a project."""
    settings = {"fail_on": fail_on, "ignore_paths": ignore or []}
    _show(_run("POST", "/projects", server, token,
               {"name": name, "description": description, "settings": settings}))  # fmt: skip


@projects_app.command("show")
def projects_show(project: Annotated[str, typer.Argument(help="Its name or id.")],
                  server: Annotated[str | None, SERVER] = None,
                  token: Annotated[str | None, TOKEN] = None) -> None:  # fmt: skip
    """A project, with your role on it."""
    _show(_run("GET", f"/projects/{_q(project)}", server, token))


@projects_app.command("delete")
def projects_delete(project: Annotated[str, typer.Argument(help="Its name or id.")],
                    server: Annotated[str | None, SERVER] = None,
                    token: Annotated[str | None, TOKEN] = None) -> None:  # fmt: skip
    """Delete a project (soft: its analyses and audit trail stay)."""
    _show(_run("DELETE", f"/projects/{_q(project)}", server, token))


@projects_app.command("baseline")
def projects_baseline(
    project: Annotated[str, typer.Argument(help="Its name or id.")],
    analysis_id: Annotated[str | None, typer.Argument(help="A SUCCEEDED analysis; none: clear")]
    = None,
    server: Annotated[str | None, SERVER] = None, token: Annotated[str | None, TOKEN] = None,
) -> None:  # fmt: skip
    """Mark an analysis as the project's baseline (every new analysis is compared with it)."""
    _show(_run("PUT", f"/projects/{_q(project)}/baseline", server, token,
               {"analysis_id": analysis_id}))  # fmt: skip


@projects_app.command("member")
def projects_member(
    project: Annotated[str, typer.Argument(help="Its name or id.")],
    subject: Annotated[str, typer.Argument(help="The user id.")],
    role: Annotated[str, typer.Argument(help="viewer, reviewer, maintainer, admin or remove")],
    server: Annotated[str | None, SERVER] = None, token: Annotated[str | None, TOKEN] = None,
) -> None:  # fmt: skip
    """Add a member to a project, change its role, or remove it (role `remove`)."""
    path = f"/projects/{_q(project)}/members/{_q(subject)}"
    if role == "remove":
        _run("DELETE", path, server, token)
        typer.echo(f"{subject} removed from {project}")
    else:
        _show(_run("PUT", path, server, token, {"role": role}))


def review_remote(
    archive: bytes, filename: str, project: str, server: str | None, token: str | None, *,
    out: Path, formats: tuple[str, ...], query: dict[str, Any], quiet: bool,
    timeout_s: float = 3600,
) -> int:  # fmt: skip
    """Upload `archive` to `project`, follow it to its end, write the reports to `out`;
    the exit code (see the module docstring)."""
    remote = Server(server, token)
    try:
        ticket = remote.call("POST", f"/projects/{_q(project)}/analyses/uploads",
                             query={"filename": filename, **query})  # fmt: skip
        upload = ticket["upload"]
        put_headers = {**upload["headers"], "Content-Type": "application/octet-stream"}
        remote.call("PUT", upload["url"], data=archive, headers=put_headers, absolute=True)
        status_url = ticket["status_url"]
        if not quiet:
            typer.echo(f"analysis {ticket['id']} uploaded to {project}: waiting", err=True)
        record = _follow(remote, status_url, timeout_s)
        if record["status"] != "SUCCEEDED":
            typer.echo(f"error: analysis {record['id']} FAILED with {record.get('error')}: "
                       f"{record.get('cause')}", err=True)  # fmt: skip
            return 3
        out.mkdir(parents=True, exist_ok=True)
        report: dict[str, Any] = {}
        for fmt in formats:
            link = remote.call("GET", f"{status_url}/report/{fmt}")
            body = _download(link["url"])
            (out / f"report.{fmt}").write_bytes(body)
            if fmt == "json":
                report = json.loads(body)
    except RemoteError as error:
        typer.echo(f"error: {error}", err=True)
        return error.exit_code
    gate = (report.get("summary") or {}).get("gate")
    typer.echo(f"report: {remote.url}{status_url}/report/html")
    typer.echo(f"drift: {remote.url}{status_url}/drift")
    if gate is not None:
        typer.echo(f"gate {gate['spec']}: {'passed' if gate['passed'] else 'FAILED'}"
                   + "".join(f"\n  {r}" for r in gate.get("reasons") or ()))  # fmt: skip
    return 0 if gate is None or gate["passed"] else 1


def _follow(remote: Server, status_url: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    pause = 0.2
    while True:
        record: dict[str, Any] = remote.call("GET", status_url)
        if record["status"] in TERMINAL:
            return record
        if time.monotonic() > deadline:
            raise RemoteError(0, f"analysis {record['id']} did not end within {timeout_s:.0f} s")
        time.sleep(pause)
        pause = min(pause * 1.5, 5.0)


def _download(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return bytes(response.read())
    except (urllib.error.URLError, OSError) as error:
        raise RemoteError(0, f"cannot download the report: {error}") from None
