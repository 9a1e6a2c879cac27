"""The local platform put together, and the commands a developer runs on it.

Owns the composition of the other rooms for one template (`assembly.Platform`: invoker,
state machines, gateway, event sources and scheduler, started and stopped in an order that
loses no work), and what the CLI calls: `coderev serve` and `coderev review`'s platform
path (`serve`), the private platform a review runs on and removes (`ephemeral`),
`coderev invoke` (`invoke_local`), `coderev generate-event` (`sample_events`), `coderev gc`
(`reclaim`) and the SQLite execution store `coderev executions` reads (`execution_store`).
The only room that may import every other; none imports it.
"""
