"""What the analyses API reads from a request besides its routes' path parameters: the query
parameters both POSTs share, the upload's file name and the absolute form of an upload URL.

Importing this costs what the handler imports anyway (Powertools' OpenAPI `Query`); the
header parsing (`email.message`) is imported only when a Content-Disposition is sent.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_lambda_powertools.event_handler.openapi.params import Query

__all__ = [
    "ALLOW_UNSUPPORTED_CONTRACTS",
    "BASELINE",
    "EXCLUDE",
    "FAIL_ON",
    "FILENAME",
    "LINT_CONFIG",
    "REVIEWER",
    "absolute_url",
    "upload_filename",
    "wants_json",
]

FILENAME = Query(
    description="the archive's file name (the report's source); the upload key becomes "
    "uploads/<uuid>/<filename>. Also read from a Content-Disposition header.",
    max_length=1024,
)
BASELINE = Query(description="the id of an earlier analysis whose report.json is the baseline")
FAIL_ON = Query(description="quality gate, as coderev review --fail-on (e.g. high, new-high)")
EXCLUDE = Query(description="a glob of paths to skip (repeatable)")
ALLOW_UNSUPPORTED_CONTRACTS = Query(
    description="true: the architecture gate passes although a configured contract could not "
    "be checked (as coderev review --allow-unsupported-contracts); it is listed either way"
)
LINT_CONFIG = Query(
    description="whose ruff configuration applies, as coderev review --lint-config: project "
    "(default: the archive's own pyproject.toml/ruff.toml, with coderev's security rules added "
    "where the project has not turned them off) or isolated (coderev's rule selection alone)",
    pattern="^(project|isolated)$",
)

REVIEWER = Query(
    description="who reviews, as coderev review --reviewer: offline (rules, no model), auto "
    "(routed AI models merged with the offline review; offline when no provider is "
    "configured, and the report says so), or a pinned model openai:MODEL, anthropic:MODEL, "
    "hf:MODEL. Default: the Review function's CODEREV_REVIEWER.",
    pattern="^(offline|auto|(openai|anthropic|hf):[^\\s]+)$",
)


def upload_filename(given: str | None, headers: Mapping[str, str]) -> str | None:
    """The `filename` parameter, else the Content-Disposition header's file name."""
    if given:
        return given
    disposition = headers.get("content-disposition")
    if not disposition:
        return None
    from email.message import Message

    header = Message()
    header["content-disposition"] = disposition
    return header.get_filename()


def absolute_url(url: str, headers: Mapping[str, str]) -> str:
    """S3's URLs are absolute; the embedded store's are relative to the gateway serving this
    API (`coderev serve`): resolved against the host the client called."""
    if "://" in url:
        return url
    host = headers.get("host")
    if not host:
        return url
    return f"{headers.get('x-forwarded-proto') or 'http'}://{host}{url}"


def wants_json(headers: Mapping[str, str]) -> bool:
    """Whether the Accept header asks for JSON (the report link) rather than the report:
    `application/json` named with a quality above 0; `*/*` and browsers' lists do not."""
    for item in (headers.get("accept") or "").lower().split(","):
        media, _, parameters = item.strip().partition(";")
        if media.strip() == "application/json":
            quality = parameters.strip().removeprefix("q=").strip() or "1"
            try:
                return float(quality) > 0
            except ValueError:
                return True
    return False
