"""The gateway's HTTP server: uvicorn (HTTP/1.1 by h11) on a socket it binds itself.

Why uvicorn with h11 and not the standard library's http.server (which it replaced):
http.server listens with a backlog of 5 (issue 9: ~9% of 140 concurrent uploads were
reset), accepts conflicting Content-Length headers, has no header or body timeouts and
reads bodies whole. h11 implements RFC 9112's framing rules; uvicorn adds a listen
backlog, flow control and graceful shutdown. Handlers stay synchronous: they run in a
thread pool (`ServerLimits.worker_threads`) as they ran in a thread per connection before.

The socket is bound in the constructor so the address (port 0: a free one) is known
before serving starts, and connections made before then wait in the backlog.
"""

from __future__ import annotations

import contextlib
import logging
import math
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import uvicorn

from coderev.runtime.gateway.asgi import GatewayApp, InFlight
from coderev.runtime.gateway.h11_protocol import protocol_with
from coderev.runtime.gateway.proxy import ProxyDispatcher
from coderev.runtime.gateway.server import ProxySettings, ServerLimits

__all__ = ["HttpServer"]

logger = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn's server without its signal handlers: `coderev serve` owns Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpServer:
    """Serves `settings` on (host, port) until `stop`."""

    def __init__(self, host: str, port: int, settings: ProxySettings, limits: ServerLimits):
        self.limits = limits
        self.socket = _listen(host, port, limits.backlog)
        bound_host, bound_port = self.socket.getsockname()[:2]
        self.address: tuple[str, int] = (str(bound_host), int(bound_port))
        self.in_flight = InFlight()
        self.stopping = threading.Event()
        self._executor = ThreadPoolExecutor(limits.worker_threads,
                                            thread_name_prefix="coderev-gateway")  # fmt: skip
        app = GatewayApp(settings, ProxyDispatcher(settings, self.address), limits,
                         self._executor, self.in_flight, self.stopping)  # fmt: skip
        config = uvicorn.Config(
            app, http=protocol_with(limits.header_timeout), ws="none", lifespan="off",
            loop="asyncio", interface="asgi3", backlog=limits.backlog,
            timeout_keep_alive=max(1, math.ceil(limits.keep_alive_seconds)),
            h11_max_incomplete_event_size=limits.max_header_bytes,
            server_header=False, log_config=None, access_log=False,
        )  # fmt: skip
        self._server = _EmbeddedServer(config)
        self._serving = threading.Event()
        self._finished = threading.Event()

    def serve_forever(self) -> None:
        """Serve in this thread until `stop()` is called from another."""
        self._serving.set()
        try:
            if not self.stopping.is_set():
                self._server.run(sockets=[self.socket])
        finally:
            self.socket.close()
            self._finished.set()

    def stop(self, timeout: float) -> bool:
        """Stop accepting, close idle connections, let in-flight requests finish within
        `timeout` (True if they all did)."""
        self.stopping.set()
        self._server.config.timeout_graceful_shutdown = max(1, math.ceil(timeout))
        self._server.should_exit = True
        if not self._serving.is_set():
            self.socket.close()
        drained = self.in_flight.wait_drained(timeout)
        if self._serving.is_set():
            self._finished.wait(timeout + 1.0)
        self._executor.shutdown(wait=False, cancel_futures=True)
        return drained


def _listen(host: str, port: int, backlog: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=backlog)
    return sock
