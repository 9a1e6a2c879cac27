"""The CloudEvents 1.0 envelope and the `coderev.<entity>.<verb>` topic names."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from coderev.domain.events import (
    InvalidEventError,
    cloud_event,
    read_cloud_event,
    topic_for,
)


def test_envelope_has_every_required_attribute_and_the_data() -> None:
    event = cloud_event("coderev.analysis.completed", "/coderev/finalize", {"analysis_id": "a1"})

    assert event["specversion"] == "1.0"
    assert event["type"] == "coderev.analysis.completed"
    assert event["source"] == "/coderev/finalize"
    assert event["datacontenttype"] == "application/json"
    assert event["data"] == {"analysis_id": "a1"}
    assert uuid.UUID(event["id"]).version == 4
    assert "subject" not in event


def test_ids_are_unique_and_an_explicit_id_is_kept() -> None:
    first = cloud_event("coderev.analysis.started", "/s", {})
    second = cloud_event("coderev.analysis.started", "/s", {})
    assert first["id"] != second["id"]
    assert cloud_event("coderev.analysis.started", "/s", {}, id="fixed-1")["id"] == "fixed-1"


def test_time_is_rfc3339_utc_with_z() -> None:
    paris = timezone(timedelta(hours=1))
    at = datetime(2026, 3, 1, 13, 30, 5, tzinfo=paris)
    assert cloud_event("coderev.a.b", "/s", {}, time=at)["time"] == "2026-03-01T12:30:05Z"

    with_micros = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert cloud_event("coderev.a.b", "/s", {}, time=with_micros)["time"] == (
        "2026-03-01T12:00:00.123456Z"
    )


def test_default_time_is_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    stamp = cloud_event("coderev.a.b", "/s", {})["time"]
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert before <= parsed <= datetime.now(UTC)


def test_naive_time_is_refused() -> None:
    with pytest.raises(InvalidEventError, match="timezone-aware"):
        cloud_event("coderev.a.b", "/s", {}, time=datetime(2026, 1, 1))


def test_subject_is_carried() -> None:
    event = cloud_event("coderev.analysis.completed", "/s", {}, subject="uploads/a.zip")
    assert event["subject"] == "uploads/a.zip"


def test_data_is_copied_and_must_be_json() -> None:
    data = {"n": 1}
    event = cloud_event("coderev.a.b", "/s", data)
    data["n"] = 2
    assert event["data"] == {"n": 1}
    with pytest.raises(InvalidEventError, match="JSON-serializable"):
        cloud_event("coderev.a.b", "/s", {"when": datetime.now(UTC)})
    with pytest.raises(InvalidEventError, match="JSON-serializable"):
        cloud_event("coderev.a.b", "/s", {"x": float("nan")})


def test_envelope_round_trips_through_json() -> None:
    event = cloud_event("coderev.review.completed", "/s", {"comments": [{"line": 3, "é": "ü"}]})
    assert read_cloud_event(json.dumps(event).encode()) == event
    assert read_cloud_event(event) == event


@pytest.mark.parametrize(
    "event_type",
    ["coderev.analysis.completed", "coderev.provider_key.rotated", "coderev.quota2.exceeded"],
)
def test_topic_is_the_event_type(event_type: str) -> None:
    assert topic_for(event_type) == event_type


@pytest.mark.parametrize(
    "event_type",
    [
        "",
        "analysis.completed",
        "coderev.analysis",
        "coderev.analysis.completed.extra",
        "coderev.Analysis.completed",
        "coderev.analysis.completed ",
        "coderev..completed",
        "coderev.analysis.1completed",
        "coderev.analysis-x.completed",
        "other.analysis.completed",
        "coderev.analysis.completed\n",
    ],
)
def test_malformed_event_types_are_refused(event_type: str) -> None:
    with pytest.raises(InvalidEventError):
        topic_for(event_type)
    with pytest.raises(InvalidEventError):
        cloud_event(event_type, "/s", {})


def test_overlong_type_is_refused() -> None:
    with pytest.raises(InvalidEventError, match="249"):
        topic_for("coderev." + "a" * 240 + ".done")


def test_error_is_a_value_error_for_callers_outside_coderev() -> None:
    assert issubclass(InvalidEventError, ValueError)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not an object"),
        ({"specversion": "1.0", "type": "coderev.a.b", "source": "/s"}, "id"),
        ({"specversion": "0.3", "id": "1", "type": "coderev.a.b", "source": "/s"}, "1.0"),
        ({"specversion": "1.0", "id": "1", "type": "bad", "source": "/s"}, "coderev."),
    ],
)
def test_reading_refuses_what_is_not_a_coderev_cloud_event(value: object, message: str) -> None:
    with pytest.raises(InvalidEventError, match=message):
        read_cloud_event(value)  # type: ignore[arg-type]


def test_empty_source_is_refused() -> None:
    with pytest.raises(InvalidEventError, match="source"):
        cloud_event("coderev.a.b", "", {})
