"""uvicorn's h11 protocol with what the gateway adds on the wire.

uvicorn and h11 do the HTTP/1.1 parsing (RFC 9112 framing: conflicting or malformed
Content-Length, unknown Transfer-Encoding, oversized request line and headers are
refused with 400 and the connection closed). Three things are added here, by subclassing
rather than by hand-writing a parser:

- header names in the client's case: API Gateway hands them to the handler as sent
  (`X-Multi`, not `x-multi`), and uvicorn lower-cases the ASGI scope's headers, so the
  raw names h11 keeps are passed along in the scope's `coderev.raw_headers` extension;
- a header timeout: uvicorn waits forever for a request that a client opened (or began)
  and never finished; here the connection gets a 408 and is closed after `header_timeout`;
- a JSON 400 in the API's error shape (`{"error":"BadRequest",...}`), not uvicorn's text.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["RAW_HEADERS", "GatewayH11Protocol", "protocol_with"]

logger = logging.getLogger(__name__)

RAW_HEADERS = "coderev.raw_headers"
_BAD_REQUEST = b'{"error":"BadRequest","message":"Bad Request"}'  # the API's error shape
_TIMED_OUT = b'{"error":"RequestTimeout","message":"Request Timeout"}'


class _RawHeaderConnection(h11.Connection):
    """Remembers the raw header names of the last request parsed."""

    raw_headers: list[tuple[bytes, bytes]] | None = None

    def next_event(self) -> Any:
        event = super().next_event()
        if isinstance(event, h11.Request):
            self.raw_headers = event.headers.raw_items()
        return event


class GatewayH11Protocol(H11Protocol):
    header_timeout: ClassVar[float] = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = self.config.h11_max_incomplete_event_size
        self.conn = (_RawHeaderConnection(h11.SERVER, limit) if limit is not None
                     else _RawHeaderConnection(h11.SERVER))
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        conn = self.conn
        assert isinstance(conn, _RawHeaderConnection)
        if conn.raw_headers is not None and self.scope is not None:
            extensions: dict[str, Any] = dict(self.scope.get("extensions") or {})
            extensions[RAW_HEADERS] = {"headers": conn.raw_headers}
            self.scope["extensions"] = extensions
            conn.raw_headers = None
        waiting_for_headers = conn.their_state is h11.IDLE and bool(conn.trailing_data[0])
        if waiting_for_headers:
            self._arm_header_timer()
        elif conn.their_state is not h11.IDLE:
            self._cancel_header_timer()

    def send_400_response(self, msg: str) -> None:
        logger.info("refused a malformed request: %s", msg)
        self._write_and_close(400, "Bad Request", _BAD_REQUEST)

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            logger.info("closed a connection that sent no complete request in %.0f s",
                        self.header_timeout)
            self._write_and_close(408, "Request Timeout", _TIMED_OUT)

    def _write_and_close(self, status: int, reason: str, body: bytes) -> None:
        """Written raw: h11 refuses to answer a request it has not parsed (the timeout case),
        and after a parse error its state allows no more than this either."""
        self._cancel_header_timer()
        head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
        if not self.transport.is_closing():
            self.transport.write(head.encode("ascii") + body)
            self.transport.close()


def protocol_with(header_timeout: float) -> type[GatewayH11Protocol]:
    """The protocol class for one server (uvicorn instantiates it per connection)."""
    return type("GatewayH11Protocol", (GatewayH11Protocol,), {"header_timeout": header_timeout})
