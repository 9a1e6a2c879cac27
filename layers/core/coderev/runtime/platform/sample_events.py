"""`coderev generate-event`: sample events in the exact shapes the local platform (and Lambda)
deliver, like `sam local generate-event`, from the same builders the platform uses: S3
notification records, API Gateway proxy events, self-managed Kafka and MSK batches, EventBridge
scheduled events."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from coderev.runtime.event_sources.schedules import scheduled_event
from coderev.runtime.gateway.proxy_event import ProxyRequest
from coderev.runtime.template.intrinsics import StackIdentity

__all__ = ["api_proxy", "kafka_batch", "s3_notification", "schedule"]


def s3_notification(bucket: str, key: str, *, removed: bool = False, size: int = 1024,
                    region: str = "us-east-1") -> dict[str, Any]:  # fmt: skip
    """An S3 event notification (`Records` with one ObjectCreated:Put or ObjectRemoved:Delete)."""
    from coderev.ports import ObjectInfo
    from coderev.runtime.event_sources.s3_notifications import s3_event_record

    etag = hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()
    info = ObjectInfo(key=key, size=size, etag=etag)
    name = "ObjectRemoved:Delete" if removed else "ObjectCreated:Put"
    return {"Records": [s3_event_record(bucket=bucket, info=info, event_name=name, region=region)]}


def api_proxy(method: str, path: str, *, resource: str | None = None, stage: str = "Prod",
              body: str = "", headers: Sequence[tuple[str, str]] = (),
              query: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:  # fmt: skip
    """An API Gateway REST proxy event (payload format 1.0) for one request."""
    now = datetime.now(UTC)
    return ProxyRequest(
        method=method.upper(), path=path, resource=resource or path, stage=stage,
        headers=headers, query=query, body=body.encode(),
        request_time=now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        request_epoch_ms=int(now.timestamp() * 1000),
    ).event()  # fmt: skip


def kafka_batch(topic: str, values: Sequence[str], *, key: str | None = None,
                partition: int = 0, offset: int = 0, msk: bool = False,
                bootstrap_servers: str = "127.0.0.1:9092") -> dict[str, Any]:  # fmt: skip
    """A self-managed Kafka (or, `msk`, an MSK) event holding `values` as consecutive records."""
    from coderev.adapters.embedded.event_bus import EventRecord, lambda_kafka_event

    stamp = int(datetime.now(UTC).timestamp() * 1000)
    records = [
        EventRecord(topic=topic, partition=partition, offset=offset + i, timestamp=stamp,
                    key=key.encode() if key is not None else None, value=value.encode())
        for i, value in enumerate(values)
    ]  # fmt: skip
    event = lambda_kafka_event(records, bootstrap_servers=bootstrap_servers)
    if not msk:
        return event
    arn = "arn:aws:kafka:us-east-1:123456789012:cluster/coderev/0000-example"
    return {"eventSource": "aws:kafka", "eventSourceArn": arn,
            "bootstrapServers": event["bootstrapServers"], "records": event["records"]}  # fmt: skip


def schedule(rule: str, *, when: datetime | None = None, scheduler: bool = False) -> dict[str, Any]:
    """The "Scheduled Event" a `rate()`/`cron()` rule (or a Scheduler schedule) sends."""
    return scheduled_event(StackIdentity(), rule, when or datetime.now(UTC), scheduler=scheduler)
