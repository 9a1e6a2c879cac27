"""Both policy engines on the packaged policies: regopy in-process, and the OPA REST adapter
against a local server evaluating with OPA's Go engine (tests/fixtures/opa_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.fixtures.opa_server import OpaTestServer

from coderev.adapters.opa_rest import OpaRestPolicyEngine
from coderev.adapters.regopy_policy import RegoPolicyEngine
from coderev.policy import policy_modules
from coderev.ports import PolicyEngine


@pytest.fixture(scope="session")
def opa_server() -> Iterator[OpaTestServer]:
    with OpaTestServer(policy_modules()) as server:
        yield server


@pytest.fixture(scope="session")
def engines(opa_server: OpaTestServer) -> dict[str, PolicyEngine]:
    return {"regopy": RegoPolicyEngine(policy_modules()),
            "opa": OpaRestPolicyEngine(opa_server.url)}  # fmt: skip
