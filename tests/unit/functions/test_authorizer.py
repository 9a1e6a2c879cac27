"""The authorizer function, as API Gateway calls it: a REQUEST event with a bearer token in,
an IAM policy for the route with the principal as context out; "Unauthorized" (401) for no
token, a forged or a revoked one; the same decisions through an OPA server (OPA_URL) as
in-process; a policy engine that cannot answer fails the authorizer (fail closed)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures.opa_server import OpaTestServer

from coderev import bootstrap
from coderev.auth.principal import Principal
from coderev.auth.tokens import AccessToken, TokenPolicy
from coderev.config import get_settings
from coderev.policy import PolicyEngineError, policy_modules

KEY = "k" * 48
EVENTS = Path(__file__).resolve().parents[3] / "events"
ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/v1"

Invoke = Callable[[str, dict[str, Any]], Any]


@pytest.fixture
def keyed(embedded: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JWT_SECRET_KEY", KEY)
    monkeypatch.delenv("OPA_URL", raising=False)
    bootstrap.reset()
    return embedded


def token(*roles: str, tenant: str = "acme", key: str = KEY) -> AccessToken:
    return TokenPolicy(key=key.encode()).issue("user-1", tenant, frozenset(roles), "session-1")


def request(bearer: str | None, method: str = "GET", resource: str = "/analyses/{id}",
            path: str = "/analyses/3f2b") -> dict[str, Any]:  # fmt: skip
    event: dict[str, Any] = json.loads((EVENTS / "authorizer.json").read_text())
    event.update(httpMethod=method, resource=resource, path=path,
                 methodArn=f"{ARN}/{method}{path}")  # fmt: skip
    event["requestContext"].update(httpMethod=method, resourcePath=resource)
    headers = {k: v for k, v in event["headers"].items() if k != "Authorization"}
    if bearer is not None:
        headers["Authorization"] = bearer
    event["headers"] = headers
    event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    return event


def test_a_viewer_may_read_an_analysis(keyed: Path, invoke: Invoke) -> None:
    issued = token("viewer")
    answer = invoke("authorizer", request(f"Bearer {issued.token}"))
    assert answer["principalId"] == "user-1"
    [statement] = answer["policyDocument"]["Statement"]
    assert statement == {"Action": "execute-api:Invoke", "Effect": "Allow",
                         "Resource": f"{ARN}/GET/analyses/*"}  # fmt: skip
    assert Principal.from_context(answer["context"]) == issued.principal
    assert answer["context"]["action"] == "analyses:read"
    assert all(isinstance(value, str) for value in answer["context"].values())


def test_a_viewer_may_not_upload(keyed: Path, invoke: Invoke) -> None:
    answer = invoke("authorizer", request(f"Bearer {token('viewer').token}", "POST",
                                          "/analyses", "/analyses"))  # fmt: skip
    [statement] = answer["policyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Resource"] == f"{ARN}/POST/analyses"


@pytest.mark.parametrize("bearer", [
    None, "", "Bearer ", "Bearer not-a-jwt", f"Bearer {token('admin', key='x' * 48).token}",
    "Basic dXNlcjpwYXNz",
])  # fmt: skip
def test_no_valid_token_is_unauthorized(keyed: Path, invoke: Invoke, bearer: str | None,
                                        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        invoke("authorizer", request(bearer))
    if bearer and len(bearer) > 12:
        assert bearer.split()[-1] not in capsys.readouterr().out


def test_a_revoked_token_is_unauthorized(keyed: Path, invoke: Invoke) -> None:
    issued = token("admin")
    bearer = f"Bearer {issued.token}"
    assert invoke("authorizer", request(bearer))["policyDocument"]["Statement"][0]["Effect"] == (
        "Allow"
    )
    bootstrap.revocation_store().revoke(f"jti:{issued.principal.token_id}",
                                        datetime.now(UTC) + timedelta(hours=1))  # fmt: skip
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        invoke("authorizer", request(bearer))


def test_the_decision_is_logged_and_the_token_never(
    keyed: Path, invoke: Invoke, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    issued = token("reviewer")
    invoke("authorizer", request(f"Bearer {issued.token}", "POST", "/analyses", "/analyses"))
    [decided] = [record for record in caplog.records if record.getMessage() == "decided"]
    assert vars(decided)["allow"] is True and vars(decided)["action"] == "analyses:create"
    seen = capsys.readouterr().out + caplog.text + json.dumps([vars(r) for r in caplog.records],
                                                              default=str)  # fmt: skip
    assert issued.token not in seen and issued.token.split(".")[2] not in seen
    assert KEY not in seen


@pytest.mark.parametrize(("roles", "method", "resource"), [
    (("viewer",), "GET", "/analyses/{id}"),
    (("viewer",), "POST", "/analyses/{id}/rerun"),
    (("reviewer",), "POST", "/analyses/{id}/rerun"),
    (("maintainer",), "PUT", "/providers/{name}/key"),
    (("admin",), "PUT", "/providers/{name}/key"),
])  # fmt: skip
def test_an_opa_server_decides_as_regopy(keyed: Path, invoke: Invoke,
                                         monkeypatch: pytest.MonkeyPatch, roles: tuple[str],
                                         method: str, resource: str) -> None:  # fmt: skip
    event = request(f"Bearer {token(*roles).token}", method, resource, resource)
    embedded = invoke("authorizer", event)
    with OpaTestServer(policy_modules()) as server:
        monkeypatch.setenv("OPA_URL", server.url)
        bootstrap.reset()
        assert get_settings().opa_url == server.url
        remote = invoke("authorizer", event)
        assert server.requests == 1
    assert remote == embedded


def test_an_unreachable_opa_server_fails_the_authorizer(
    keyed: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpaTestServer(policy_modules()) as server:
        url = server.url
    monkeypatch.setenv("OPA_URL", url)  # nothing listens there any more
    bootstrap.reset()
    with pytest.raises(PolicyEngineError, match="did not answer"):
        invoke("authorizer", request(f"Bearer {token('admin').token}"))
