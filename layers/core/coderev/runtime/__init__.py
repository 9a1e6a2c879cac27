"""The local function platform: runs what template.yaml declares, in-process.

A development tool (`coderev serve`, `coderev review`'s default path, `coderev invoke`,
`coderev generate-event`): Lambda never runs it, so `sam build` leaves it out of the layer.
Its rooms, each depending only on those below it (the `[tool.coderev]` contract in
pyproject.toml checks it):

- `platform` — the parts put together for one template (`Platform`), what `coderev serve`
  and `coderev review` run on it, and the other CLI-facing pieces: `coderev invoke`,
  `coderev generate-event`, the ephemeral platform of a review, reclaiming space, and the
  SQLite store of executions that `coderev executions` reads.
- `gateway` — API Gateway's REST proxy integration in front of the invoker.
- `event_sources` — the other triggers: S3 notifications, Kafka event source mappings (with
  their on-failure destinations) and EventBridge schedules.
- `invoker` — runs one function as Lambda would (environment, context, timeout, concurrency,
  asynchronous retries and dead letters).
- `template` — reads template.yaml into frozen specs; knows nothing of the rest.
- `states` — the Amazon States Language interpreter; knows nothing of the rest either: its
  Task states call whatever `TaskInvoker` it is given.
- `errors` — the error types every room raises.
"""
