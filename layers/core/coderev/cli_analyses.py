"""`coderev analyses rerun ID`: run a FAILED analysis again, through the analyses API of a
running `coderev serve` (or a deployed API): `POST /analyses/ID/rerun`.

Through the API rather than the data dir, because the rerun is an upload: only the process
serving the store notifies ingest. Prints the new analysis id and its status URL; exit 0
when accepted, 1 when the API refuses (not FAILED, the archive gone, no such analysis: its
message on stderr), 3 when the API cannot be reached.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Annotated

import typer

__all__ = ["analyses_app"]

DEFAULT_API_URL = "http://127.0.0.1:8080"

analyses_app = typer.Typer(
    no_args_is_help=True, help="Analyses on a running coderev serve (or a deployed API)."
)


@analyses_app.command("rerun")
def rerun(
    analysis_id: Annotated[str, typer.Argument(help="The id of a FAILED analysis.")],
    api_url: Annotated[str | None, typer.Option(
        "--api-url", help="The API's base URL (default: CODEREV_API_URL, else "
        f"{DEFAULT_API_URL}, where `coderev serve` listens).")] = None,
) -> None:  # fmt: skip
    """Run a FAILED analysis again on the same archive, as a new analysis."""
    from urllib.parse import quote

    base = (api_url or os.environ.get("CODEREV_API_URL") or DEFAULT_API_URL).rstrip("/")
    url = f"{base}/analyses/{quote(analysis_id, safe='')}/rerun"
    request = urllib.request.Request(url, data=b"", method="POST")  # noqa: S310 - the API URL given
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            accepted = json.loads(response.read())
    except urllib.error.HTTPError as error:
        typer.echo(f"error: {_message(error.read()) or error.reason} ({error.code})", err=True)
        raise typer.Exit(1) from None
    except (urllib.error.URLError, OSError) as error:
        typer.echo(f"error: cannot reach {base}: {getattr(error, 'reason', error)}", err=True)
        raise typer.Exit(3) from None
    typer.echo(f"{accepted['id']} (rerun of {analysis_id}): {base}{accepted['status_url']}")


def _message(body: bytes) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        return ""
    return str(answer.get("message") or "") if isinstance(answer, dict) else ""
