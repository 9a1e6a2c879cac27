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
