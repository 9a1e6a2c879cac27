"""template.yaml's API behind the local gateway, as API Gateway serves it: the authorizer
function runs before every protected route (401 without a valid token, 403 when the policy
denies the route, the handler reached when it allows), the rate limit per principal answers
429 with Retry-After, and open local mode admits token-less requests as the local admin
while a token is still verified."""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coderev import bootstrap
from coderev.auth.tokens import TokenPolicy
from coderev.runtime.gateway import Gateway, RateLimiter
from coderev.runtime.invoker import LocalInvoker
from coderev.runtime.platform.assembly import HOST_VARIABLES
from coderev.runtime.platform.serve import open_local_mode

ROOT = Path(__file__).resolve().parents[3]
KEY = "g" * 48
_BACKENDS = ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS", "S3_ENDPOINT", "OPA_URL",
             "AWS_LAMBDA_RUNTIME_API", "STEPFUNCTIONS_ENDPOINT")  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def invoker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalInvoker]:
    for variable in _BACKENDS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JWT_SECRET_KEY", KEY)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    bootstrap.reset()
    with LocalInvoker(ROOT / "template.yaml", host_variables=HOST_VARIABLES) as local:
        yield local
    bootstrap.reset()


def bearer(*roles: str, tenant: str = "acme", key: str = KEY, subject: str = "user-1") -> str:
    issued = TokenPolicy(key=key.encode()).issue(subject, tenant, frozenset(roles), "s-1")
    return f"Bearer {issued.token}"


def call(gateway: Gateway, method: str, path: str, token: str | None = None,
         body: bytes | None = None) -> tuple[int, dict[str, str], Any]:  # fmt: skip
    connection = http.client.HTTPConnection(*gateway.address, timeout=30)
    headers = {"Authorization": token} if token else {}
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        connection.close()


def test_protected_routes_need_a_token_the_policy_allows(invoker: LocalInvoker) -> None:
    missing = f"/analyses/{uuid.uuid4()}"
    with Gateway(invoker, port=0) as gateway:
        assert call(gateway, "GET", "/health")[0] == 200
        status, _, body = call(gateway, "GET", missing)
        assert (status, body["error"]) == (401, "Unauthorized")
        status, _, body = call(gateway, "GET", missing, bearer("admin", key="f" * 48))
        assert (status, body["error"]) == (401, "Unauthorized")
        status, _, body = call(gateway, "GET", missing, bearer("viewer"))
        assert (status, body["error"]) == (404, "AnalysisNotFoundError")  # the handler answered
        status, _, body = call(gateway, "POST", "/analyses", bearer("viewer"), b"junk")
        assert (status, body["error"]) == (403, "AccessDenied")
        status, _, body = call(gateway, "POST", "/analyses", bearer("reviewer"), b"junk")
        assert status == 415  # allowed: the handler refused the body itself
        status, _, body = call(gateway, "GET", "/providers", bearer("maintainer"))
        assert (status, body["error"]) == (403, "AccessDenied")
        assert call(gateway, "GET", "/providers", bearer("admin"))[0] == 200


def test_the_rate_limit_is_per_principal(invoker: LocalInvoker) -> None:
    clock = Clock()
    limiter = RateLimiter(60, 3, clock=clock)
    path = f"/analyses/{uuid.uuid4()}"
    alice, bob = bearer("viewer", subject="alice"), bearer("viewer", subject="bob")
    with Gateway(invoker, port=0, rate_limiter=limiter) as gateway:
        assert [call(gateway, "GET", path, alice)[0] for _ in range(3)] == [404, 404, 404]
        status, headers, body = call(gateway, "GET", path, alice)
        assert (status, body["error"], headers["Retry-After"]) == (429, "TooManyRequests", "1")
        assert call(gateway, "GET", path, bob)[0] == 404
        clock.now += 1.0
        assert call(gateway, "GET", path, alice)[0] == 404
        assert call(gateway, "GET", path, alice)[0] == 429


def test_open_local_mode_is_the_local_admin_without_a_token(invoker: LocalInvoker) -> None:
    with Gateway(invoker, port=0, open_local_mode=True) as gateway:
        status, _, body = call(gateway, "GET", "/providers")
        assert status == 200, body
        status, _, body = call(gateway, "GET", f"/analyses/{uuid.uuid4()}")
        assert (status, body["error"]) == (404, "AnalysisNotFoundError")
        status, _, body = call(gateway, "GET", "/providers", bearer("admin", key="f" * 48))
        assert (status, body["error"]) == (401, "Unauthorized")  # a token is still verified
        status, _, body = call(gateway, "GET", "/providers", bearer("viewer"))
        assert (status, body["error"]) == (403, "AccessDenied")


@pytest.mark.parametrize(("secret", "host", "open_mode"), [
    (None, "127.0.0.1", True),
    (None, "localhost", True),
    (None, "::1", True),
    (None, "0.0.0.0", False),
    (None, "192.168.1.20", False),
    (KEY, "127.0.0.1", False),
])  # fmt: skip
def test_open_local_mode_only_without_a_key_on_loopback(
    monkeypatch: pytest.MonkeyPatch, secret: str | None, host: str, open_mode: bool
) -> None:
    from coderev.config import settings_for

    environ = {"JWT_SECRET_KEY": secret} if secret else {}
    assert open_local_mode(settings_for(environ), host) is open_mode


def test_open_local_mode_needs_the_embedded_backends() -> None:
    from coderev.config import settings_for

    assert not open_local_mode(settings_for({"DATABASE_URL": "postgresql://x/y"}), "127.0.0.1")
    assert not open_local_mode(settings_for({"REDIS_URL": "redis://127.0.0.1"}), "127.0.0.1")
