"""The gateway's HTTP server on the wire: RFC 9112 framing, size limits, timeouts, backlog.

Raw sockets, because an HTTP client library would refuse to send most of these requests.
"""

from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from coderev.adapters.embedded.object_store import LocalObjectStore
from coderev.runtime.gateway import Gateway
from coderev.runtime.gateway.responses import gateway_error
from coderev.runtime.gateway.server import ServerLimits
from coderev.runtime.invoker import LocalInvoker

TEMPLATE = Path(__file__).parents[2] / "fixtures" / "templates" / "invoker.yaml"
LIMITS = ServerLimits(header_timeout=0.5, body_timeout=0.5, max_header_bytes=4096,
                      max_request_line_bytes=1024)  # fmt: skip


@pytest.fixture(scope="module")
def invoker():
    with LocalInvoker(TEMPLATE) as local:
        yield local


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "objects")


@pytest.fixture
def gateway(invoker: LocalInvoker, store: LocalObjectStore):
    with Gateway(invoker, port=0, object_store=store, limits=LIMITS) as running:
        yield running


def exchange(gateway: Gateway, raw: bytes, *, wait: float = 5.0) -> tuple[int, bytes]:
    """Send `raw`, read until the server closes (or `wait` passes); status and body."""
    with socket.create_connection(gateway.address, timeout=wait) as connection:
        connection.sendall(raw)
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, body


def presigned_put(store: LocalObjectStore, key: str, headers: str, body: bytes) -> bytes:
    upload = store.presign_put(key, expires_in=60)
    signed = "".join(f"{name}: {value}\r\n" for name, value in upload.headers.items())
    return (f"PUT {upload.url} HTTP/1.1\r\nHost: x\r\n{signed}{headers}\r\n").encode() + body


def test_conflicting_content_lengths_are_400_and_nothing_is_stored(gateway, store):
    body = b"x" * 3754
    raw = presigned_put(store, "uploads/a.zip", "Content-Length: 5\r\nContent-Length: 3754\r\n",
                        body)  # fmt: skip
    status, answer = exchange(gateway, raw)
    assert (status, json.loads(answer)) == (400, {"error": "BadRequest", "message": "Bad Request"})
    assert store.head("uploads/a.zip") is None
    status, _ = exchange(gateway, b"POST /uploads HTTP/1.1\r\nHost: x\r\n"
                                  b"Content-Length: 5, 7\r\n\r\nhello12")  # fmt: skip
    assert status == 400


def test_equal_duplicate_content_lengths_are_one(gateway, store):
    raw = presigned_put(store, "uploads/b.zip", "Content-Length: 5\r\nContent-Length: 5\r\n"
                        "Connection: close\r\n", b"hello")  # fmt: skip
    status, _ = exchange(gateway, raw)
    assert status == 200
    assert store.get("uploads/b.zip") == b"hello"


def test_content_length_with_transfer_encoding_is_400(gateway, store):
    raw = presigned_put(store, "uploads/c.zip", "Content-Length: 5\r\n"
                        "Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n")  # fmt: skip
    status, answer = exchange(gateway, raw)
    assert (status, json.loads(answer)) == (400, {"error": "BadRequest", "message": "Bad Request"})
    assert store.head("uploads/c.zip") is None


@pytest.mark.parametrize("coding", ["gzip", "chunked, chunked", "identity"])
def test_a_transfer_coding_other_than_chunked_is_refused(gateway, coding):
    status, _ = exchange(gateway, f"POST /uploads HTTP/1.1\r\nHost: x\r\n"
                                  f"Transfer-Encoding: {coding}\r\n\r\n".encode())  # fmt: skip
    assert status == 400


def test_headers_past_the_limit_are_refused_and_a_long_target_is_414(gateway):
    big = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n"
    status, answer = exchange(gateway, big)
    too_large = gateway_error(431, "Request Header Fields Too Large")
    assert (status, json.loads(answer)) == (431, too_large)
    with socket.create_connection(gateway.address, timeout=5) as connection:
        connection.sendall(big[:4500])  # incomplete past the limit: h11 refuses it
        time.sleep(0.1)
        connection.sendall(big[4500:])
        assert connection.makefile("rb").readline().startswith(b"HTTP/1.1 400 ")
    status, answer = exchange(gateway, b"GET /health?" + b"q" * 2000
                              + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")  # fmt: skip
    assert (status, json.loads(answer)) == (414, gateway_error(414, "Request-URI Too Long"))


def test_a_request_whose_headers_never_end_gets_408(gateway):
    started = time.monotonic()
    status, answer = exchange(gateway, b"GET /health HTTP/1.1\r\nHost: x\r\n")
    assert (status, json.loads(answer)) == (408, gateway_error(408, "Request Timeout"))
    assert time.monotonic() - started < 3


def test_a_body_that_stops_arriving_gets_408(gateway, store):
    status, _ = exchange(gateway, b"POST /uploads HTTP/1.1\r\nHost: x\r\n"
                                  b"Content-Length: 100\r\n\r\nonly ten b")  # fmt: skip
    assert status == 408
    raw = presigned_put(store, "uploads/d.zip", "Content-Length: 100\r\n", b"only ten b")
    status, answer = exchange(gateway, raw)
    assert (status, json.loads(answer)["error"]) == (408, "RequestTimeout")
    assert store.head("uploads/d.zip") is None
    assert not list((store.root).rglob("*.tmp"))


def test_a_refused_upload_closes_the_connection_instead_of_draining_it(gateway, store):
    forged = (b"PUT /_objects/uploads/e.zip?expires=1&signature=x HTTP/1.1\r\nHost: x\r\n"
              b"Content-Length: 1000000000\r\n\r\n" + b"x" * 1000)  # fmt: skip
    status, _ = exchange(gateway, forged)  # returns because the server closed
    assert status == 403


def test_the_backlog_is_an_argument_else_the_environment(invoker, monkeypatch):
    assert ServerLimits().backlog >= 128
    monkeypatch.setenv("CODEREV_GATEWAY_BACKLOG", "256")
    with Gateway(invoker, port=0) as running:
        assert running.limits.backlog == 256
    with Gateway(invoker, port=0, backlog=300) as running:
        assert running.limits.backlog == 300
    monkeypatch.setenv("CODEREV_GATEWAY_BACKLOG", "many")
    with pytest.raises(ValueError, match="CODEREV_GATEWAY_BACKLOG"):
        Gateway(invoker, port=0)


def test_a_function_at_its_reserved_concurrency_answers_429(tmp_path: Path):
    functions = TEMPLATE.parent.parent / "functions"
    template = tmp_path / "template.yaml"
    template.write_text(f"""\
Transform: AWS::Serverless-2016-10-31
Resources:
  SlowFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {functions / "api"}
      Handler: app.lambda_handler
      Runtime: python3.12
      ReservedConcurrentExecutions: 1
      Events:
        Slow:
          Type: Api
          Properties: {{Path: /slow, Method: GET}}
""")
    with LocalInvoker(template) as local, Gateway(local, port=0) as running:
        exchange(running, b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")  # warm
        with ThreadPoolExecutor(2) as pool:
            statuses = sorted(pool.map(lambda _: exchange(
                running, b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")[0],
                range(2)))  # fmt: skip
    assert statuses == [200, 429]
