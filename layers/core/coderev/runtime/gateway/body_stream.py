"""A request body read from a worker thread while the event loop receives it.

The upload endpoint and the object store are synchronous (they run in a worker thread);
the body arrives on the event loop through ASGI `receive()`. `BodyStream.read` asks the
loop for the next piece and waits for it, so a 900 MiB upload passes through in pieces of
uvicorn's buffer size (64 KiB) and is never held whole: uvicorn stops reading the socket
while a piece waits, which is the back-pressure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["BodyStream", "BodyTimeoutError", "ClientDisconnectedError", "next_body_message"]


class BodyTimeoutError(Exception):
    """The client sent no more of the body within the body timeout (the answer is 408)."""


class ClientDisconnectedError(Exception):
    """The client went away before the body ended: nothing is left to answer."""


Receive = Callable[[], Awaitable[Any]]


async def next_body_message(receive: Receive, timeout: float) -> dict[str, Any]:
    """The next `http.request` message, or the error saying why none will come."""
    try:
        async with asyncio.timeout(timeout):
            message: dict[str, Any] = await receive()
    except TimeoutError:
        raise BodyTimeoutError(f"no body bytes for {timeout:.0f} s") from None
    if message["type"] == "http.disconnect":
        raise ClientDisconnectedError("the client closed the connection mid-body")
    return message


class BodyStream:
    """`read(size)` over the body of one request; at most `limit` bytes, else `too_large`."""

    def __init__(self, receive: Receive, loop: asyncio.AbstractEventLoop, *, limit: int,
                 timeout: float, too_large: type[Exception]) -> None:  # fmt: skip
        self._receive = receive
        self._loop = loop
        self._limit = limit
        self._timeout = timeout
        self._too_large = too_large
        self._buffer = bytearray()
        self.received = 0
        self.ended = False

    def read(self, size: int = -1, /) -> bytes:
        while size < 0 and not self.ended:
            self._fill()
        while not self._buffer and not self.ended:  # an empty piece is not the end
            self._fill()
        size = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        piece = bytes(self._buffer[:size])
        del self._buffer[:size]
        return piece

    def _fill(self) -> None:
        future = asyncio.run_coroutine_threadsafe(
            next_body_message(self._receive, self._timeout), self._loop)
        # The loop enforces the timeout; this one only guards against a loop that stopped.
        message = future.result(self._timeout + 5.0)
        piece: bytes = message.get("body", b"")
        self.received += len(piece)
        if self.received > self._limit:
            raise self._too_large(f"the body is over {self._limit:,} bytes")
        self._buffer += piece
        self.ended = not message.get("more_body", False)
