"""Reading template.yaml: what the local platform runs, as frozen specs.

Owns the SAM template's meaning for this platform: `Globals` merged into functions, the
intrinsic functions of one local stack (`intrinsics`), each function's event sources and
authorizers (`events`), its state machines (`state_machines`) and the EventBridge schedule
expressions they may carry (`schedule_expressions`, also what the scheduler evaluates).
It imports nothing else of the runtime but its errors: the other rooms read these specs.
"""

from coderev.runtime.template.loader import (
    ApiEvent,
    AuthorizerSpec,
    BucketSpec,
    DeadLetterTarget,
    EventSpec,
    FunctionSpec,
    Handler,
    KafkaEvent,
    QueueSpec,
    S3Event,
    ScheduleEvent,
    SQSEvent,
    StateMachineSpec,
    Template,
    load_handler,
    load_template,
)

__all__ = [
    "ApiEvent",
    "AuthorizerSpec",
    "BucketSpec",
    "DeadLetterTarget",
    "EventSpec",
    "FunctionSpec",
    "Handler",
    "KafkaEvent",
    "QueueSpec",
    "S3Event",
    "SQSEvent",
    "ScheduleEvent",
    "StateMachineSpec",
    "Template",
    "load_handler",
    "load_template",
]
