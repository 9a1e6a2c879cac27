"""The PolicyEngine on an OPA server's REST API (OPA_URL): `POST /v1/data/<path>` with
`{"input": ...}`, answered `{"result": ...}` (no `result`: the document is undefined, a
denial). Any other answer, a timeout or a refused connection is a PolicyEngineError: the
caller fails closed.

Why http.client rather than an HTTP library: one small JSON POST per decision over a
keep-alive connection per thread is all this needs, and the Lambda layer stays smaller.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from coderev.policy.decision import UNDEFINED, decision_from
from coderev.policy.errors import PolicyEngineError
from coderev.ports import Decision

__all__ = ["OpaRestPolicyEngine"]


class OpaRestPolicyEngine:
    """Decides by asking the OPA server at `url` (http or https), within `timeout` seconds."""

    def __init__(self, url: str, *, timeout: float = 2.0):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PolicyEngineError(f"OPA_URL must be an http(s) URL, not {url!r}")
        self.url = url.rstrip("/")
        self._parts = parts
        self._prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._local = threading.local()

    def decide(self, path: str, input: Mapping[str, Any]) -> Decision:
        target = f"{self._prefix}/v1/data/{quote(path.strip('/'))}"
        body = json.dumps({"input": dict(input)}).encode()
        status, raw = self._post(target, body)
        if status != 200:
            raise PolicyEngineError(f"OPA answered {status} for {path}: {raw[:300]!r}")
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            raise PolicyEngineError(f"OPA answered invalid JSON for {path}") from exc
        if not isinstance(answer, dict):
            raise PolicyEngineError(f"OPA answered {type(answer).__name__} for {path}")
        return decision_from(answer["result"]) if "result" in answer else UNDEFINED

    def _post(self, target: str, body: bytes) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        for attempt in (1, 2):  # a keep-alive connection the server closed: once more, anew
            connection = self._connection()
            try:
                connection.request("POST", target, body, headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                self._local.connection = None
                if attempt == 2 or isinstance(exc, TimeoutError):
                    raise PolicyEngineError(f"OPA at {self.url} did not answer: "
                                            f"{type(exc).__name__}") from exc  # fmt: skip
        raise AssertionError("unreachable")

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            kind = (http.client.HTTPSConnection if self._parts.scheme == "https"
                    else http.client.HTTPConnection)  # fmt: skip
            connection = kind(self._parts.hostname or "", self._parts.port, timeout=self.timeout)
            self._local.connection = connection
        return connection
