"""AuditEntry.from_cloudevent: what is lifted out of a CloudEvent, and what is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from coderev.audit import AuditEntry, InvalidCloudEventError
from coderev.domain.errors import InputError
from coderev.domain.events import InvalidEventError, cloud_event

WHEN = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)


def completed(**attributes: Any) -> dict[str, Any]:
    event = cloud_event(
        "coderev.analysis.completed",
        "/coderev/finalize",
        {"analysis_id": "a-1", "status": "SUCCEEDED", "counts": {"high": 2}},
        subject="a-1",
        id="a-1:completed",
        time=WHEN,
    )
    event.update(attributes)
    return event


def test_a_platform_event_becomes_an_entry() -> None:
    event = completed()
    entry = AuditEntry.from_cloudevent(event)
    assert (entry.event_id, entry.type, entry.source, entry.subject) == (
        "a-1:completed",
        "coderev.analysis.completed",
        "/coderev/finalize",
        "a-1",
    )
    assert entry.time == WHEN and entry.time.tzinfo is not None
    assert entry.analysis_id == "a-1" and entry.tenant_id is None
    assert entry.event == event  # kept whole
    assert entry.recorded_at is None  # until a repository records it


def test_json_text_and_bytes_are_read() -> None:
    event = completed()
    from_text = AuditEntry.from_cloudevent(json.dumps(event))
    from_bytes = AuditEntry.from_cloudevent(json.dumps(event).encode())
    assert from_text == from_bytes == AuditEntry.from_cloudevent(event)


def test_only_the_required_attributes_are_needed() -> None:
    entry = AuditEntry.from_cloudevent(
        {"specversion": "1.0", "id": "1", "source": "urn:x", "type": "com.example.ping"}
    )
    assert (entry.subject, entry.time, entry.analysis_id, entry.tenant_id) == (None,) * 4


def test_extension_attributes_name_the_analysis_and_tenant() -> None:
    entry = AuditEntry.from_cloudevent(
        completed(analysisid="a-2", tenantid="t-9", data={"analysis_id": "a-1", "tenant_id": "x"})
    )
    assert (entry.analysis_id, entry.tenant_id) == ("a-2", "t-9")
    from_data = AuditEntry.from_cloudevent(completed(data={"tenant_id": "t-1"}))
    assert (from_data.analysis_id, from_data.tenant_id) == (None, "t-1")


def test_times_with_other_offsets_are_the_same_instant() -> None:
    entry = AuditEntry.from_cloudevent(completed(time="2026-03-01T14:00:00.25+02:00"))
    assert entry.time == WHEN
    assert entry.time.utcoffset() == timedelta(hours=2)
    assert entry.time.tzinfo == timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("{not json", "event is not JSON"),
        ("[1, 2]", "event is a JSON list, not an object"),
        (42, "event is a int, not a JSON object"),
        ({"id": "1", "source": "s", "type": "t"}, "specversion is missing (expected '1.0')"),
        (completed(specversion="0.3"), "specversion is '0.3', expected '1.0'"),
        ({"specversion": "1.0", "type": "t"}, "required attribute(s) missing: id, source"),
        (completed(id=""), "id must be a non-empty string, not ''"),
        (completed(source=7), "source must be a non-empty string, not 7"),
        (completed(type=None), "type must be a non-empty string, not None"),
        (completed(subject=""), "subject must be a non-empty string"),
        (completed(id="x" * 256), "id is 256 characters, at most 255 are kept"),
        (completed(time="yesterday"), "time 'yesterday' is not an RFC 3339 timestamp"),
        (completed(time="2026-03-01T12:00:00"), "is not an RFC 3339 timestamp with an offset"),
        (completed(datacontenttype=1), "datacontenttype must be a string"),
        (completed(Tenant="t"), "attribute names must be lower-case letters and digits: 'Tenant'"),
        (completed(data_base64="AA=="), "data and data_base64 must not both be present"),
        (completed(data={"when": datetime.now(UTC)}), "not JSON-serializable"),
        (completed(data={"n": float("nan")}), "not JSON-serializable"),
        (completed(data={"analysis_id": 7}), "data.analysis_id must be a non-empty string"),
        (completed(tenantid="t" * 129), "tenantid is 129 characters, at most 128"),
    ],
)
def test_malformed_events_are_refused_clearly(event: Any, message: str) -> None:
    with pytest.raises(InvalidCloudEventError) as caught:
        AuditEntry.from_cloudevent(event)
    assert message in str(caught.value)


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(InvalidCloudEventError) as caught:
        AuditEntry.from_cloudevent({"specversion": "0.3", "id": "e-7", "time": "soon"})
    assert str(caught.value) == (
        "event 'e-7' is not a CloudEvents 1.0 event: specversion is '0.3', expected '1.0'; "
        "required attribute(s) missing: source, type; "
        "time 'soon' is not an RFC 3339 timestamp with an offset"
    )


def test_the_error_is_an_input_error_and_an_invalid_event() -> None:
    with pytest.raises(InvalidCloudEventError) as caught:
        AuditEntry.from_cloudevent({})
    assert isinstance(caught.value, InputError)
    assert isinstance(caught.value, InvalidEventError)
    assert isinstance(caught.value, ValueError)
