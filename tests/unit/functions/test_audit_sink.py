"""functions/audit_sink: each CloudEvent of a Kafka batch is recorded once; a redelivery is a
duplicate (a metric, not an error); a record that is not a CloudEvent fails the batch after
the others were recorded, so Lambda retries it and then sends it to the OnFailure queue."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from coderev import bootstrap
from coderev.domain.events import cloud_event


def kafka_event(*values: bytes, topic: str = "coderev.analysis.completed") -> dict[str, Any]:
    """A self-managed Kafka event with one record per value, offsets from 10."""
    return {
        "eventSource": "SelfManagedKafka",
        "bootstrapServers": "embedded",
        "records": {
            f"{topic}-0": [
                {
                    "topic": topic,
                    "partition": 0,
                    "offset": 10 + number,
                    "timestamp": 1_768_473_005_123,
                    "timestampType": "CREATE_TIME",
                    "value": base64.b64encode(value).decode(),
                    "headers": [],
                }
                for number, value in enumerate(values)
            ]
        },
    }


def completed(analysis_id: str) -> bytes:
    event = cloud_event(
        "coderev.analysis.completed",
        "/coderev/analysis",
        {"analysis_id": analysis_id, "status": "SUCCEEDED"},
        subject=analysis_id,
        id=f"{analysis_id}:completed",
    )
    return json.dumps(event).encode()


def emitted_metrics(output: str) -> dict[str, float]:
    """The metric values of the EMF documents Powertools printed (summed per name)."""
    found: dict[str, float] = {}
    for line in output.splitlines():
        if not line.startswith("{") or "_aws" not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = document[metric["Name"]]
                total = sum(value) if isinstance(value, list) else value
                found[metric["Name"]] = found.get(metric["Name"], 0) + total
    return found


def test_the_sample_event_is_recorded(embedded, invoke, kit, capsys) -> None:
    result = invoke("audit_sink", kit.sample("audit_sink.json"))
    assert result == {"recorded": 1, "duplicates": 0}
    [entry] = bootstrap.audit_repository().list()
    assert entry.type == "coderev.analysis.completed"
    assert entry.analysis_id == "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert entry.event_id == f"{entry.analysis_id}:completed"
    assert entry.event["data"]["status"] == "SUCCEEDED"
    assert emitted_metrics(capsys.readouterr().out) == {
        "EventsRecorded": 1,
        "DuplicateEvents": 0,
    }


def test_a_duplicate_delivery_is_recorded_once_and_counted(embedded, invoke, capsys) -> None:
    event = kafka_event(completed("a1"), completed("a2"))
    assert invoke("audit_sink", event) == {"recorded": 2, "duplicates": 0}
    capsys.readouterr()
    again = copy.deepcopy(event)  # the same batch redelivered (at least once)
    again["records"]["coderev.analysis.completed-0"].append(
        kafka_event(completed("a3"))["records"]["coderev.analysis.completed-0"][0] | {"offset": 12}
    )
    assert invoke("audit_sink", again) == {"recorded": 1, "duplicates": 2}
    assert emitted_metrics(capsys.readouterr().out) == {"EventsRecorded": 1, "DuplicateEvents": 2}
    ids = sorted(entry.event_id for entry in bootstrap.audit_repository().list())
    assert ids == ["a1:completed", "a2:completed", "a3:completed"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json", "not JSON"),
        (b"", "not JSON"),  # a tombstone
        (b'{"specversion": "1.0", "type": "coderev.analysis.completed"}', "missing: id, source"),
        (b'["a", "list"]', "not an object"),
    ],
)
def test_a_malformed_record_fails_the_batch_after_the_others_are_recorded(
    embedded, invoke, capsys, value, reason
) -> None:
    event = kafka_event(completed("good-1"), value, completed("good-2"))
    with pytest.raises(Exception) as raised:  # MalformedRecordsError, of the loaded module
        invoke("audit_sink", event)
    assert type(raised.value).__name__ == "MalformedRecordsError"
    message = str(raised.value)
    assert "1 record(s) are not CloudEvents 1.0 events" in message
    assert "coderev.analysis.completed-0@11" in message and reason in message
    recorded = sorted(entry.event_id for entry in bootstrap.audit_repository().list())
    assert recorded == ["good-1:completed", "good-2:completed"]
    assert emitted_metrics(capsys.readouterr().out) == {
        "EventsRecorded": 2,
        "DuplicateEvents": 0,
        "MalformedRecords": 1,
    }
    # Lambda retries the whole batch: the good records are duplicates, the bad one fails again
    with pytest.raises(Exception, match=r"coderev\.analysis\.completed-0@11"):
        invoke("audit_sink", event)
    assert len(bootstrap.audit_repository().list()) == 2


def test_an_msk_event_with_several_partitions_is_read_the_same(embedded, invoke) -> None:
    first = kafka_event(completed("m1"))["records"]["coderev.analysis.completed-0"]
    failed = cloud_event(
        "coderev.analysis.failed",
        "/coderev/analysis",
        {"analysis_id": "m2", "status": "FAILED", "error": "ConfigError"},
        id="m2:failed",
    )
    second = kafka_event(json.dumps(failed).encode(), topic="coderev.analysis.failed")
    event = {
        "eventSource": "aws:kafka",
        "eventSourceArn": "arn:aws:kafka:us-east-1:123456789012:cluster/local/1",
        "bootstrapServers": "b-1:9092",
        "records": {"coderev.analysis.completed-0": first, **second["records"]},
    }
    assert invoke("audit_sink", event) == {"recorded": 2, "duplicates": 0}
    [entry] = bootstrap.audit_repository().list(type="coderev.analysis.failed")
    assert (entry.analysis_id, entry.event["data"]["error"]) == ("m2", "ConfigError")
