"""The invoker: runs one function of the template as Lambda would, in this process.

Owns an invocation's life: the function's environment (`environment`), its Lambda context
(`lambda_context`), timeout, memory and reserved concurrency, the worker threads handlers
run on (`threads`), and the asynchronous path's retries and dead letters (`dead_letters`,
on the in-process `queues` the event sources' destinations use too). It reads the
template's specs and knows nothing of the gateway, the event sources or the state machines,
which all call it.
"""

from coderev.runtime.invoker.local import (
    AsyncInvocation,
    DeadLetter,
    DeadLetterQueue,
    FunctionStats,
    InvocationResult,
    LocalInvoker,
)

__all__ = [
    "AsyncInvocation",
    "DeadLetter",
    "DeadLetterQueue",
    "FunctionStats",
    "InvocationResult",
    "LocalInvoker",
]
