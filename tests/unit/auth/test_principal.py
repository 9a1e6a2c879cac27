"""Principal round-trips through the API Gateway authorizer context (strings only)."""

from __future__ import annotations

import pytest

from coderev.auth.errors import AuthenticationError
from coderev.auth.principal import LOCAL_ADMIN, Principal


def test_a_principal_survives_the_authorizer_context() -> None:
    p = Principal("u1", "org1", frozenset({"reviewer", "viewer"}), "api_key",
                  frozenset({"analyses:write"}), "k1")  # fmt: skip
    ctx = p.to_context()
    assert all(isinstance(v, str) for v in ctx.values())
    assert Principal.from_context(ctx) == p


def test_the_local_admin_is_an_admin_of_the_default_tenant() -> None:
    back = Principal.from_context(LOCAL_ADMIN.to_context())
    assert back == LOCAL_ADMIN
    assert back.tenant == "default" and back.has_role("admin") and back.token_id is None


@pytest.mark.parametrize(
    "ctx", [{}, {"subject": "u1"}, {"tenant": "t"}, {"subject": "u", "tenant": "t", "kind": "root"}]
)
def test_a_request_without_a_principal_is_unauthenticated(ctx: dict[str, str]) -> None:
    with pytest.raises(AuthenticationError):
        Principal.from_context(ctx)


def test_the_context_fits_api_gateway_event_models_and_keeps_an_api_keys_scopes() -> None:
    """Handlers' events are parsed by Powertools' APIGatewayProxyEventModel, whose
    `requestContext.authorizer.scopes` is a list: the context must not put a string there."""
    import json
    from pathlib import Path

    from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel

    key = Principal("key-1", "acme", frozenset({"reviewer"}), "api_key",
                    scopes=frozenset({"analyses:upload", "analyses:read"}))  # fmt: skip
    sample = Path(__file__).parents[3] / "events" / "analyses_status.json"
    event = json.loads(sample.read_text())
    event["requestContext"]["authorizer"] = key.to_context()
    APIGatewayProxyEventModel.model_validate(event)
    assert Principal.from_context(event["requestContext"]["authorizer"]) == key
