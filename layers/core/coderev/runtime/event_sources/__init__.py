"""The triggers other than HTTP, each delivering its events to the invoker as AWS does.

Owns S3 bucket notifications (`s3_notifications`: the embedded store's own, or S3's through
SQS), Kafka event source mappings (`kafka_source`: batches, retries, bisecting, offsets;
`kafka_destinations`: their on-failure destinations) and EventBridge schedules
(`schedules`). `sources.EventSources` starts and stops the S3 and Kafka ones together; the
platform runs the scheduler beside them. None of them imports the gateway.
"""

from coderev.runtime.event_sources.sources import (
    EventSourceBackends,
    EventSourceConfigError,
    EventSources,
    EventSourceWorker,
    InMemoryDeadLetterTopics,
    KafkaProducerDeadLetters,
    consumer_group,
    consumer_settings,
)

__all__ = [
    "EventSourceBackends",
    "EventSourceConfigError",
    "EventSourceWorker",
    "EventSources",
    "InMemoryDeadLetterTopics",
    "KafkaProducerDeadLetters",
    "consumer_group",
    "consumer_settings",
]
