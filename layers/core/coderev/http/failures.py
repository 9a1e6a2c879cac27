"""What a client is told about a FAILED analysis: a short sentence, never a stack trace.

A record keeps the failure as the state machine's Catch reported it (the error name and the
whole Cause: for a Lambda error, JSON with its `errorMessage`, `errorType` and `stackTrace`,
paths of the server included): operators read it there and in the logs. GET /analyses/{id}
serves instead what the client can act on, by the error's name in one table:

- errors of the client's input (a corrupt or oversized archive, a bad configuration, a
  baseline that is gone, an upload that never came): the name and the error's own message,
  its first line, capped, with absolute server paths cut to their last segment;
- a step out of time (`States.Timeout`, `Sandbox.Timedout`): `Timeout` and what to try;
- anything else (a Python exception such as FileExistsError, a tool that crashed, a backend
  outage): `InternalError` and a sentence naming the analysis id the logs carry.

Names, not classes: the records hold names (a Lambda error's `errorType`), and the classes
live in rooms the HTTP function never imports.
"""

from __future__ import annotations

import json
import re

__all__ = ["INPUT_ERRORS", "MAX_MESSAGE_CHARS", "public_failure"]

# Errors whose message is written for the client: it sent what caused them.
INPUT_ERRORS = frozenset({
    "ArchiveChangedError", "ArchiveLimitError", "BaselineError", "ConfigError",
    "CorruptArchiveError", "InputError", "RequestError", "UnsafePathError",
    "UnsupportedInputError", "UploadNotReceived",
})  # fmt: skip
TIMEOUTS = frozenset({"States.Timeout", "Sandbox.Timedout"})
MAX_MESSAGE_CHARS = 300
_ABSOLUTE_PATH = re.compile(r"(?<![\w.~])/(?:[^\s/'\"():,]+/)+([^\s/'\"():,]*)")


def public_failure(analysis_id: str, error: str | None, cause: str | None) -> tuple[str, str]:
    """(error, message) of a FAILED analysis as a client is to see them."""
    name = error or "Error"
    if name in INPUT_ERRORS:
        message = _first_line(_error_message(cause or "")) or "the upload cannot be analysed"
        return name, message
    if name in TIMEOUTS:
        return "Timeout", ("a step of the analysis ran out of time: exclude generated or "
                           "vendored code (exclude=...) or split the archive")  # fmt: skip
    return "InternalError", (
        f"the analysis failed on an internal error, logged with analysis id {analysis_id}; "
        f"POST /analyses/{analysis_id}/rerun tries again"
    )


def _error_message(cause: str) -> str:
    """A Lambda error's `errorMessage` when the cause is its JSON, else the cause."""
    try:
        decoded = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(decoded, dict) and isinstance(decoded.get("errorMessage"), str):
        return str(decoded["errorMessage"])
    return cause


def _first_line(text: str) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    line = _ABSOLUTE_PATH.sub(lambda found: found.group(1) or "/", line)
    return line if len(line) <= MAX_MESSAGE_CHARS else line[: MAX_MESSAGE_CHARS - 1] + "…"
