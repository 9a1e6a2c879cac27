"""The authenticated APIs keep the contract their OpenAPI documents state: schemathesis
generates requests from /projects/openapi.json, /auth/openapi.json and
/experiments/openapi.json against a running `coderev serve` with
JWT_SECRET_KEY (every request carries an admin's token; one without it is refused, 401) and
checks every answer: no server error, a documented status, content type and body schema, a
forbidden request refused with a 4xx. Bounded for CI (`MAX_EXAMPLES` each). The gateway's
per-principal rate limit is off here (its 429 is the gateway's, tested in
tests/unit/runtime/test_gateway_access.py, not an answer of these APIs)."""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.config import SchemathesisConfig
from tests.functional.conftest import Server, start_server

MAX_EXAMPLES = 15
SECRET = "openapi-contract-secret-0123456789abcdef"
_CONFIG = """
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415",
                     "422", "428", "429", "431", "5xx"]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("openapi-contracts") / "data",
                           JWT_SECRET_KEY=SECRET, CODEREV_RATE_LIMIT_PER_MINUTE="0")  # fmt: skip
    yield running
    running.stop()


def _token(server: Server) -> str:
    """An admin's access token: the first user of a new organization is its admin."""
    for path, body in (("/auth/register", {"email": "a@example.com", "organization": "acme",
                                           "password": "correct horse battery"}),
                       ("/auth/login", {"email": "a@example.com",
                                        "password": "correct horse battery"})):  # fmt: skip
        request = urllib.request.Request(server.url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:  # registered by the other document's run
            if exc.code != 409:
                raise
    return str(answer["access_token"])


# Lists filtered by optional query parameters answer a request with unknown extra parameters,
# as HTTP APIs do (API Gateway passes them on, the routes ignore them); schemathesis' negative
# mode may count such a request as "schema-violating" (when its generation adds one), so the
# rejection check is left out on them alone.
_OPEN_QUERIES = {
    "GET /projects", "GET /audits", "GET /projects/{project}/analyses",
    "GET /configurations", "GET /experiments", "GET /feedback/acceptance",
    "GET /experiments/{experiment_id}/observations",
}  # fmt: skip


def _check(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    # A valid body may still name no existing project, analysis, configuration or experiment
    # (404, documented):
    # "schema-valid data is accepted" cannot hold for references a schema cannot state
    excluded = [checks.positive_data_acceptance]
    if operation.label in _OPEN_QUERIES:
        excluded.append(checks.negative_data_rejection)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    check()


@pytest.mark.slow
@pytest.mark.parametrize(("document", "count"), [
    ("/projects/openapi.json", 11),
    # register, login, refresh, logout, whoami, members 2, API keys 3
    ("/auth/openapi.json", 10),
    ("/experiments/openapi.json", 13),  # configurations 3, experiments 8, feedback 2
])  # fmt: skip
def test_every_answer_is_the_documented_one(server: Server, document: str, count: int) -> None:
    config = SchemathesisConfig.from_str(_CONFIG)
    headers = {"Authorization": f"Bearer {_token(server)}"}
    schema = schemathesis.openapi.from_url(f"{server.url}{document}",
                                           config=config, headers=headers)  # fmt: skip
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: dict[str, str] = {}
    for operation, mode in itertools.product(operations, GenerationMode):
        try:
            _check(operation, mode, headers)
        except Unsatisfiable:
            continue
        except (Exception, BaseExceptionGroup) as failure:  # reported below, by operation
            failures[f"{operation.label} ({mode})"] = str(failure)[:2000]
    assert len(operations) == count
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
