"""Domain events: the CloudEvents 1.0 envelope and the topic each event type is published on.

Every event coderev publishes is a CloudEvents 1.0 JSON object (structured mode) whose `type`
is `coderev.<entity>.<verb>`, e.g. `coderev.analysis.completed`. The Kafka topic of an event
is its type, so a consumer subscribes to exactly the events it handles.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from coderev.domain.errors import CoderevError

__all__ = [
    "CONTENT_TYPE",
    "SPEC_VERSION",
    "InvalidEventError",
    "cloud_event",
    "read_cloud_event",
    "topic_for",
]

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json"  # Kafka header of a structured-mode event

# Lower-case words joined by "_" so a type is also a legal Kafka topic name (<= 249 chars).
_EVENT_TYPE = re.compile(r"^coderev\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_REQUIRED = ("specversion", "id", "source", "type")


class InvalidEventError(CoderevError, ValueError):
    """An event type or envelope does not follow CloudEvents 1.0 and `coderev.<entity>.<verb>`."""


def topic_for(event_type: str) -> str:
    """The topic an event type is published on: the type itself, once its form is checked."""
    if not isinstance(event_type, str) or not _EVENT_TYPE.fullmatch(event_type):
        raise InvalidEventError(
            f"event type {event_type!r} is not of the form coderev.<entity>.<verb> "
            "(lower-case letters, digits and '_')"
        )
    if len(event_type) > 249:
        raise InvalidEventError(f"event type is {len(event_type)} characters, Kafka allows 249")
    return event_type


def cloud_event(
    type: str,
    source: str,
    data: Mapping[str, Any],
    subject: str | None = None,
    id: str | None = None,
    time: datetime | None = None,
) -> dict[str, Any]:
    """Build a CloudEvents 1.0 envelope (a JSON-ready dict) around `data`.

    `id` defaults to a random UUID, `time` to now; an explicit `time` must be timezone-aware
    and is rendered in RFC 3339 as UTC with a `Z`. `data` must be JSON-serializable: the error
    is raised here, where the event is made, not later in a producer thread.
    """
    topic_for(type)
    if not source:
        raise InvalidEventError("source must be a non-empty URI-reference, e.g. /coderev/ingest")
    if id is not None and not id:
        raise InvalidEventError("id must be non-empty")
    if subject is not None and not subject:
        raise InvalidEventError("subject, when given, must be non-empty")
    if time is None:
        time = datetime.now(UTC)
    elif time.tzinfo is None or time.utcoffset() is None:
        raise InvalidEventError("time must be timezone-aware (RFC 3339 needs an offset)")
    payload = dict(data)
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidEventError(f"event data is not JSON-serializable: {exc}") from exc
    event: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": id or str(uuid.uuid4()),
        "source": source,
        "type": type,
        "time": _rfc3339(time),
        "datacontenttype": "application/json",
    }
    if subject is not None:
        event["subject"] = subject
    event["data"] = payload
    return event


def read_cloud_event(value: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    """Parse and check a structured-mode CloudEvent (a Kafka value or an already decoded dict)."""
    if isinstance(value, bytes | str):
        try:
            decoded = json.loads(value)
        except ValueError as exc:
            raise InvalidEventError(f"event is not JSON: {exc}") from exc
    else:
        decoded = dict(value)
    if not isinstance(decoded, dict):
        raise InvalidEventError(f"event is a JSON {type(decoded).__name__}, not an object")
    missing = [name for name in _REQUIRED if not decoded.get(name)]
    if missing:
        raise InvalidEventError(f"event lacks required attribute(s): {', '.join(missing)}")
    if decoded["specversion"] != SPEC_VERSION:
        raise InvalidEventError(f"specversion is {decoded['specversion']!r}, expected 1.0")
    topic_for(decoded["type"])
    return decoded


def _rfc3339(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    if utc.microsecond:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
