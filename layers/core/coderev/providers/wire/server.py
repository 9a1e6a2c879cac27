"""The wire server on a port: WireApp under werkzeug's threaded WSGI server, in a thread.

werkzeug (the server pytest-httpserver runs) rather than the gateway's uvicorn: the app is a
plain WSGI handler the tests also mount in pytest-httpserver, streaming is a generator, and a
scripted disconnect is werkzeug closing the connection without the closing chunk. It is a
development tool for one user's demos and tests, listening on loopback by default.
"""

from __future__ import annotations

import threading
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, make_server

from coderev.providers.wire.app import Responder, WireApp, empty_review
from coderev.providers.wire.script import Script

__all__ = ["WireServer"]


class WireServer:
    """`with WireServer() as server:` serves until the block ends; `server.url` is its root
    (OpenAI base URL: url + "/v1"; Anthropic: url; Hugging Face endpoint: url + "/hf")."""

    def __init__(
        self,
        script: Script | None = None,
        *,
        responder: Responder = empty_review,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.app = WireApp(script, responder)
        self._server: BaseWSGIServer = make_server(host, port, self.app, threaded=True)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        shown = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{shown}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> WireServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="coderev-wire", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the CLI)."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving (from another thread than the one serving) and close the socket."""
        self._server.shutdown()
        self.stop_listening()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def stop_listening(self) -> None:
        self._server.server_close()

    def __enter__(self) -> WireServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
