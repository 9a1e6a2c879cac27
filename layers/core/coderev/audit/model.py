"""An audit entry: one CloudEvent the platform published, kept whole with what it is about.

The audit sink records every event it consumes. An entry is identified the way CloudEvents
identifies an event, by `source` + `id`: a redelivered event is the same entry, recorded once.
`analysis_id`, `tenant_id` and `actor_id` are lifted out of the event so the trail can be
searched by them: the extension attributes `analysisid` / `tenantid` / `actorid` when present,
else `data.analysis_id` / `data.tenant_id` / `data.actor_id` (the platform's
`coderev.analysis.*` events carry `data.analysis_id`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from coderev.audit.errors import InvalidCloudEventError

__all__ = ["MAX_LENGTHS", "AuditEntry"]

SPEC_VERSION = "1.0"
_REQUIRED = ("id", "source", "type")
# The widths of the audit table's columns (an event that does not fit is refused, whole).
MAX_LENGTHS = {"id": 255, "source": 1024, "type": 255, "subject": 1024}
MAX_ID_LENGTH = 128  # analysis_id, tenant_id
# CloudEvents attribute names are lower-case letters and digits; the JSON format adds these.
_ATTRIBUTE_NAME = re.compile(r"^[a-z0-9]+$")
_JSON_MEMBERS = frozenset({"data", "data_base64"})


@dataclass(frozen=True)
class AuditEntry:
    event_id: str
    type: str
    source: str
    event: Mapping[str, Any] = field(repr=False)
    """The whole CloudEvent, as received (a JSON object)."""
    subject: str | None = None
    time: datetime | None = None
    """The event's `time` attribute (when the occurrence happened), timezone-aware."""
    analysis_id: str | None = None
    tenant_id: str | None = None
    actor_id: str | None = None
    """Who did it (extension `actorid`, else `data.actor_id`): a principal's subject."""
    recorded_at: datetime | None = None
    """When the repository recorded the entry; None until it is recorded."""
    seq: int | None = field(default=None, compare=False)
    """Its place in the trail (grows with each entry recorded); None until it is recorded."""

    @classmethod
    def from_cloudevent(cls, value: Mapping[str, Any] | str | bytes) -> AuditEntry:
        """The entry of a CloudEvents 1.0 event in JSON (structured mode): a decoded object,
        or its JSON text. Raises InvalidCloudEventError naming every problem found."""
        event = _decode(value)
        problems: list[str] = []
        if "specversion" not in event:
            problems.append("specversion is missing (expected '1.0')")
        elif event["specversion"] != SPEC_VERSION:
            problems.append(f"specversion is {event['specversion']!r}, expected '1.0'")
        missing = [name for name in _REQUIRED if name not in event]
        if missing:
            problems.append(f"required attribute(s) missing: {', '.join(missing)}")
        for name in (*_REQUIRED, "subject"):
            if name in event:
                problems.extend(_string_problem(name, event[name], MAX_LENGTHS[name]))
        for name in ("datacontenttype", "dataschema"):
            if name in event and not isinstance(event[name], str):
                problems.append(f"{name} must be a string")
        time = _time(event.get("time"), problems)
        bad_names = sorted(
            name
            for name in event
            if name not in _JSON_MEMBERS and not _ATTRIBUTE_NAME.fullmatch(str(name))
        )
        if bad_names:
            problems.append(
                "attribute names must be lower-case letters and digits: "
                + ", ".join(repr(name) for name in bad_names)
            )
        if event.keys() >= _JSON_MEMBERS:
            problems.append("data and data_base64 must not both be present")
        try:
            json.dumps(event, allow_nan=False)
        except (TypeError, ValueError) as exc:
            problems.append(f"not JSON-serializable: {exc}")
        analysis_id = _reference(event, "analysisid", "analysis_id", problems)
        tenant_id = _reference(event, "tenantid", "tenant_id", problems)
        actor_id = _reference(event, "actorid", "actor_id", problems)
        if problems:
            event_id = event.get("id")
            described = f" {event_id!r}" if isinstance(event_id, str) and event_id else ""
            raise InvalidCloudEventError(
                f"event{described} is not a CloudEvents 1.0 event: {'; '.join(problems)}"
            )
        return cls(
            event_id=event["id"],
            type=event["type"],
            source=event["source"],
            event=event,
            subject=event.get("subject"),
            time=time,
            analysis_id=analysis_id,
            tenant_id=tenant_id,
            actor_id=actor_id,
        )


def _decode(value: Mapping[str, Any] | str | bytes) -> dict[str, Any]:
    if isinstance(value, str | bytes):
        try:
            decoded = json.loads(value)
        except ValueError as exc:
            raise InvalidCloudEventError(f"event is not JSON: {exc}") from None
    elif isinstance(value, Mapping):
        decoded = dict(value)
    else:
        raise InvalidCloudEventError(f"event is a {type(value).__name__}, not a JSON object")
    if not isinstance(decoded, dict):
        raise InvalidCloudEventError(f"event is a JSON {type(decoded).__name__}, not an object")
    return decoded


def _string_problem(name: str, value: Any, maximum: int) -> list[str]:
    if not isinstance(value, str) or not value:
        return [f"{name} must be a non-empty string, not {value!r}"]
    if len(value) > maximum:
        return [f"{name} is {len(value)} characters, at most {maximum} are kept"]
    return []


def _time(value: Any, problems: list[str]) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None and moment.utcoffset() is not None:
                return moment
    problems.append(f"time {value!r} is not an RFC 3339 timestamp with an offset")
    return None


def _reference(event: Mapping[str, Any], attribute: str, key: str, problems: list[str]) -> Any:
    data = event.get("data")
    if attribute in event:
        value = event[attribute]
    elif isinstance(data, Mapping) and data.get(key) is not None:
        value, attribute = data[key], f"data.{key}"
    else:
        return None
    problems.extend(_string_problem(attribute, value, MAX_ID_LENGTH))
    return value
