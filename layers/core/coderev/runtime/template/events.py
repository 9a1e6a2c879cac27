"""The event sources of a function (its `Events`) and its dead-letter target, as specs.

One frozen dataclass per event type the local platform serves: Api (the HTTP gateway),
S3 (object-store notifications), SelfManagedKafka and MSK (Kafka consumers), Schedule
and ScheduleV2 (the scheduler) and SQS. Any other type is a `TemplateError`: silently
skipping a trigger would make the local run differ from the cloud without a word.

Kafka events are checked as Lambda's CreateEventSourceMapping checks them: BatchSize
1-10000 (default 100), MaximumBatchingWindowInSeconds 0-300 (undeclared: Lambda's Kafka
default of 500 ms), StartingPosition TRIM_HORIZON or LATEST (AT_TIMESTAMP is not served
locally), and DestinationConfig.OnFailure naming an SQS queue (`!GetAtt Queue.Arn` or an
ARN); SNS, S3 and `kafka://` destinations are refused with the list of what is served.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coderev.runtime.errors import TemplateError
from coderev.runtime.template.intrinsics import IntrinsicResolver, logical_reference

__all__ = [
    "KAFKA_DEFAULT_BATCHING_WINDOW",
    "ApiEvent",
    "AuthorizerSpec",
    "DeadLetterTarget",
    "EventSpec",
    "KafkaEvent",
    "OnFailureDestination",
    "S3Event",
    "SQSEvent",
    "ScheduleEvent",
    "parse_authorizers",
    "parse_events",
]


@dataclass(frozen=True)
class EventSpec:
    """Base of every event source; `name` is the key under `Events`."""

    name: str


@dataclass(frozen=True)
class ApiEvent(EventSpec):
    path: str
    method: str
    authorizer: str | None = None
    rest_api: str | None = None
    stage: str = "Prod"


@dataclass(frozen=True)
class S3Event(EventSpec):
    bucket: str
    events: tuple[str, ...]
    prefix: str | None = None
    suffix: str | None = None

    def matches(self, event_name: str, key: str) -> bool:
        """Whether a notification `event_name` (`ObjectCreated:Put`) for `key` fires this."""
        qualified = event_name if event_name.startswith("s3:") else f"s3:{event_name}"
        return (
            any(fnmatch.fnmatchcase(qualified, pattern) for pattern in self.events)
            and key.startswith(self.prefix or "")
            and key.endswith(self.suffix or "")
        )


KAFKA_DEFAULT_BATCHING_WINDOW = 0.5  # seconds: Lambda's default for MSK and self-managed Kafka
KAFKA_BATCH_SIZES = (1, 10_000)
KAFKA_BATCHING_WINDOWS = (0, 300)
KAFKA_STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST")
SERVED_ON_FAILURE = "an SQS queue (!GetAtt <Queue>.Arn or arn:aws:sqs:...)"


@dataclass(frozen=True)
class OnFailureDestination:
    """Where an event source mapping sends the invocation record of a batch that failed every
    attempt (`DestinationConfig.OnFailure`). Only SQS is served locally."""

    kind: str
    arn: str
    logical_id: str | None = None

    @property
    def name(self) -> str:
        """The queue's name: the last part of its ARN."""
        return self.arn.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class KafkaEvent(EventSpec):
    source: str
    topics: tuple[str, ...]
    batch_size: int = 100
    starting_position: str = "TRIM_HORIZON"
    consumer_group_id: str | None = None
    bootstrap_servers: tuple[str, ...] = ()
    stream: str | None = None
    enabled: bool = True
    batching_window: int | None = None  # MaximumBatchingWindowInSeconds, None: undeclared
    on_failure: OnFailureDestination | None = None

    @property
    def batching_window_seconds(self) -> float:
        """The declared window, else Lambda's Kafka default (500 ms)."""
        if self.batching_window is None:
            return KAFKA_DEFAULT_BATCHING_WINDOW
        return float(self.batching_window)


@dataclass(frozen=True)
class ScheduleEvent(EventSpec):
    expression: str
    input: Any = None
    enabled: bool = True
    rule_name: str = ""
    timezone: str | None = None
    kind: str = "Schedule"


@dataclass(frozen=True)
class SQSEvent(EventSpec):
    queue: str
    batch_size: int = 10
    enabled: bool = True


@dataclass(frozen=True)
class AuthorizerSpec:
    """A Lambda authorizer declared under an Api's `Auth.Authorizers`."""

    name: str
    function_arn: str
    function: str | None = None
    payload_type: str = "TOKEN"
    header: str = "Authorization"
    validation_expression: str | None = None
    headers: tuple[str, ...] = ()
    query_strings: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()  # requestContext fields: httpMethod, resourcePath...
    reauthorize_every: int = 300


def parse_authorizers(
    resources: Mapping[str, Any], globals_section: Mapping[str, Any],
    resolver: IntrinsicResolver,
) -> dict[str, AuthorizerSpec]:
    """Every Lambda authorizer of the Globals.Api section and of each AWS::Serverless::Api."""
    owners = [("Globals", globals_section.get("Api") or {})] + [
        (logical_id, resource.get("Properties") or {})
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::Serverless::Api"
    ]
    found: dict[str, AuthorizerSpec] = {}
    for owner, properties in owners:
        for name, raw in ((properties.get("Auth") or {}).get("Authorizers") or {}).items():
            prop = f"Auth.Authorizers.{name}"
            if not isinstance(raw, dict) or "FunctionArn" not in raw:
                raise TemplateError("only Lambda authorizers (FunctionArn) run locally",
                                    resource=owner, prop=prop)
            resolved = resolver.resolve(raw, resource=owner, prop=prop)
            identity = resolved.get("Identity") or {}
            found[name] = AuthorizerSpec(
                name=name,
                function_arn=str(resolved["FunctionArn"]),
                function=logical_reference(raw["FunctionArn"]),
                payload_type=str(resolved.get("FunctionPayloadType", "TOKEN")).upper(),
                header=str(identity.get("Header", "Authorization")),
                validation_expression=identity.get("ValidationExpression"),
                headers=tuple(identity.get("Headers") or ()),
                query_strings=tuple(identity.get("QueryStrings") or ()),
                contexts=tuple(identity.get("Context") or ()),
                reauthorize_every=int(identity.get("ReauthorizeEvery", 300)),
            )
    return found


@dataclass(frozen=True)
class DeadLetterTarget:
    """Where a failed asynchronous event goes: DeadLetterQueue or OnFailure destination."""

    kind: str
    arn: str
    logical_id: str | None
    source: str

    @classmethod
    def from_properties(
        cls, function: str, raw: Mapping[str, Any], resolver: IntrinsicResolver
    ) -> DeadLetterTarget | None:
        """OnFailure is preferred: it carries the richer record on AWS too."""
        config = raw.get("EventInvokeConfig") or {}
        on_failure = ((config.get("DestinationConfig") or {}).get("OnFailure")) or None
        if on_failure:
            target = on_failure.get("Destination")
            kind = str(resolver.resolve(on_failure.get("Type", "SQS"), resource=function,
                                        prop="EventInvokeConfig.DestinationConfig"))
            if target is None:
                arn = f"{function}EventInvokeConfigOnFailureQueue"
                return cls(kind, arn, None, "OnFailure")
            arn = resolver.resolve(target, resource=function,
                                   prop="EventInvokeConfig.DestinationConfig.OnFailure")
            return cls(kind, str(arn), logical_reference(target), "OnFailure")
        dead_letter = raw.get("DeadLetterQueue")
        if not dead_letter:
            return None
        if not isinstance(dead_letter, dict) or "TargetArn" not in dead_letter:
            raise TemplateError("DeadLetterQueue needs Type and TargetArn", resource=function,
                                prop="DeadLetterQueue")
        arn = resolver.resolve(dead_letter["TargetArn"], resource=function,
                               prop="DeadLetterQueue.TargetArn")
        kind = str(dead_letter.get("Type", "SQS"))
        return cls(kind, str(arn), logical_reference(dead_letter["TargetArn"]), "DeadLetterQueue")


def parse_events(
    owner: str,
    events: Mapping[str, Any],
    resolver: IntrinsicResolver,
    globals_section: Mapping[str, Any],
    resources: Mapping[str, Any],
) -> tuple[EventSpec, ...]:
    """Every entry of a resource's `Events`, in order."""
    if not isinstance(events, dict):
        raise TemplateError("Events must be a mapping", resource=owner, prop="Events")
    parsed: list[EventSpec] = []
    for name, event in events.items():
        prop = f"Events.{name}"
        if not isinstance(event, dict):
            raise TemplateError("an event is a mapping with a Type", resource=owner, prop=prop)
        kind = str(event.get("Type"))
        raw = event.get("Properties") or {}

        def value(key: str, default: Any = None, *, _raw: Any = raw, _prop: str = prop) -> Any:
            if key not in _raw:
                return default
            return resolver.resolve(_raw[key], resource=owner, prop=f"{_prop}.Properties.{key}")

        if kind == "Api":
            path = value("Path")
            if not isinstance(path, str) or not path.startswith("/"):
                raise TemplateError(f"Path {path!r} is not an absolute path", resource=owner,
                                    prop=f"{prop}.Properties.Path")
            parsed.append(_api(name, value, raw, globals_section, resources, resolver))
        elif kind == "S3":
            parsed.append(_s3(owner, name, value, raw, prop))
        elif kind in ("SelfManagedKafka", "MSK"):
            parsed.append(_kafka(owner, kind, name, value, raw, prop))
        elif kind in ("Schedule", "ScheduleV2"):
            parsed.append(_schedule(owner, kind, name, value, resolver, prop))
        elif kind == "SQS":
            queue = raw.get("Queue")
            parsed.append(SQSEvent(name, queue=logical_reference(queue) or str(value("Queue")),
                                   batch_size=int(value("BatchSize", 10)),
                                   enabled=bool(value("Enabled", True))))
        else:
            raise TemplateError(f"event type {kind!r} is not served locally", resource=owner,
                                prop=f"{prop}.Type")
    return tuple(parsed)


def _api(
    name: str,
    value: Any,
    raw: Mapping[str, Any],
    globals_section: Mapping[str, Any],
    resources: Mapping[str, Any],
    resolver: IntrinsicResolver,
) -> ApiEvent:
    rest_api = logical_reference(raw.get("RestApiId"))
    api_properties = (resources.get(rest_api) or {}).get("Properties") or {} if rest_api else {}
    api_globals = globals_section.get("Api") or {}
    default_authorizer = ((api_properties.get("Auth") or {}).get("DefaultAuthorizer")
                          or (api_globals.get("Auth") or {}).get("DefaultAuthorizer"))
    authorizer = (value("Auth") or {}).get("Authorizer", default_authorizer)
    stage = api_properties.get("StageName") or api_globals.get("StageName") or "Prod"
    return ApiEvent(
        name,
        path=str(value("Path")),
        method=str(value("Method", "ANY")).upper(),
        authorizer=None if authorizer in (None, "NONE") else str(authorizer),
        rest_api=rest_api,
        stage=str(resolver.resolve(stage)),
    )


def _s3(owner: str, name: str, value: Any, raw: Mapping[str, Any], prop: str) -> S3Event:
    bucket = logical_reference(raw.get("Bucket"))
    if bucket is None:
        raise TemplateError("S3 events need the bucket as !Ref of a bucket in this template",
                            resource=owner, prop=f"{prop}.Properties.Bucket")
    kinds = value("Events", [])
    rules = ((value("Filter") or {}).get("S3Key") or {}).get("Rules") or []
    by_name = {str(rule.get("Name", "")).lower(): str(rule.get("Value", "")) for rule in rules}
    return S3Event(name, bucket=bucket,
                   events=tuple([kinds] if isinstance(kinds, str) else kinds),
                   prefix=by_name.get("prefix"), suffix=by_name.get("suffix"))


def _kafka(owner: str, kind: str, name: str, value: Any, raw: Mapping[str, Any],
           prop: str) -> KafkaEvent:
    def where(key: str) -> str:
        return f"{prop}.Properties.{key}"

    servers = (value("KafkaBootstrapServers") or [])
    config = value("SelfManagedKafkaEventSourceConfig") or value("AmazonManagedKafka"
                                                                 "EventSourceConfig") or {}
    topics = value("Topics", [])
    if isinstance(topics, str) or not topics:
        raise TemplateError("Topics must be a non-empty list of topic names", resource=owner,
                            prop=where("Topics"))
    starting = str(value("StartingPosition", "TRIM_HORIZON"))
    if starting not in KAFKA_STARTING_POSITIONS:
        raise TemplateError(f"StartingPosition {starting!r} is not served locally: use one of "
                            f"{', '.join(KAFKA_STARTING_POSITIONS)}", resource=owner,
                            prop=where("StartingPosition"))  # fmt: skip
    window = value("MaximumBatchingWindowInSeconds")
    return KafkaEvent(
        name,
        source=kind,
        topics=tuple(str(topic) for topic in topics),
        batch_size=_bounded(value("BatchSize", 100), KAFKA_BATCH_SIZES, owner,
                            where("BatchSize")),
        starting_position=starting,
        consumer_group_id=value("ConsumerGroupId") or config.get("ConsumerGroupId"),
        bootstrap_servers=tuple(
            part.strip() for server in servers for part in str(server).split(",") if part.strip()
        ),
        stream=value("Stream"),
        enabled=bool(value("Enabled", True)),
        batching_window=None if window is None else _bounded(
            window, KAFKA_BATCHING_WINDOWS, owner, where("MaximumBatchingWindowInSeconds")),
        on_failure=_on_failure(owner, value("DestinationConfig"), raw.get("DestinationConfig"),
                               where("DestinationConfig")),
    )


def _bounded(raw: Any, bounds: tuple[int, int], owner: str, prop: str) -> int:
    """A whole number within `bounds` (inclusive), as Lambda's API checks it."""
    low, high = bounds
    number: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    elif isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        number = int(raw)  # a parameter's value arrives as a string
    if number is None or not low <= number <= high:
        raise TemplateError(f"{raw!r} is not a whole number from {low} to {high}",
                            resource=owner, prop=prop)
    return number


def _on_failure(owner: str, resolved: Any, unresolved: Any,
                prop: str) -> OnFailureDestination | None:
    """`DestinationConfig: {OnFailure: {Type?, Destination}}` of an event source mapping."""
    if resolved is None:
        return None
    prop = f"{prop}.OnFailure"
    on_failure = resolved.get("OnFailure") if isinstance(resolved, dict) else None
    if not isinstance(on_failure, dict) or not on_failure.get("Destination"):
        raise TemplateError("DestinationConfig needs OnFailure.Destination", resource=owner,
                            prop=prop)
    arn = str(on_failure["Destination"])
    declared = on_failure.get("Type")
    kind = _destination_kind(arn)
    if declared is not None and str(declared) != kind:
        raise TemplateError(f"Type {declared!r} does not match the destination {arn!r}",
                            resource=owner, prop=f"{prop}.Type")
    if kind != "SQS":
        raise TemplateError(f"a {kind} on-failure destination is not served locally; "
                            f"the local platform serves {SERVED_ON_FAILURE}",
                            resource=owner, prop=f"{prop}.Destination")  # fmt: skip
    raw_destination = ((unresolved or {}).get("OnFailure") or {}).get("Destination")
    return OnFailureDestination(kind, arn, logical_reference(raw_destination))


def _destination_kind(arn: str) -> str:
    if arn.startswith("kafka://"):
        return "Kafka"
    parts = arn.split(":")
    service = parts[2] if len(parts) > 5 and parts[0] == "arn" else ""
    return {"sqs": "SQS", "sns": "SNS", "s3": "S3"}.get(service, f"unknown ({arn!r})")


def _schedule(owner: str, kind: str, name: str, value: Any, resolver: IntrinsicResolver,
              prop: str) -> ScheduleEvent:
    expression = value("Schedule" if kind == "Schedule" else "ScheduleExpression")
    if not isinstance(expression, str):
        raise TemplateError("a schedule needs an expression", resource=owner,
                            prop=f"{prop}.Properties")
    state = value("State")
    enabled = bool(value("Enabled", True)) if state is None else state == "ENABLED"
    payload = value("Input")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError:
            raise TemplateError("Input is not JSON", resource=owner,
                                prop=f"{prop}.Properties.Input") from None
    rule_name = value("Name") or f"{resolver.identity.stack_name}-{owner}{name}"
    return ScheduleEvent(name, expression=expression, input=payload, enabled=enabled,
                         rule_name=str(rule_name), timezone=value("ScheduleExpressionTimezone"),
                         kind=kind)
