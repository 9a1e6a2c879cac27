"""One HTTP exchange as the gateway sees it, independent of the server carrying it.

The HTTP server (`http_server`, `asgi`) turns the wire into a `GatewayRequest`; the proxy
(`proxy`) and the upload endpoint answer with a `GatewayReply`. Header names keep the case
the client sent them in, because API Gateway passes them to the handler that way.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

__all__ = ["GatewayReply", "GatewayRequest"]


@dataclass(frozen=True)
class GatewayRequest:
    """The request line and headers; the body travels beside it (bytes or a stream)."""

    method: str
    path: str  # as sent, still percent-encoded
    query: str
    headers: tuple[tuple[str, str], ...]  # in order, names in the client's case
    client_ip: str
    protocol: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        """The first value of `name` (case-insensitive), as http.server's message gives it."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def message(self) -> Message:
        """The headers as an email `Message` (case-insensitive `get`, ordered `items`)."""
        message = Message()
        for name, value in self.headers:
            message[name] = value
        return message


@dataclass(frozen=True)
class GatewayReply:
    """What goes back: status, headers (hop-by-hop ones are the server's), body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    close: bool = False  # the connection cannot carry another request (body left unread)
