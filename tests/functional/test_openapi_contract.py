"""The analyses API keeps the contract its OpenAPI document states: schemathesis generates
requests from /openapi.json against a running `coderev serve`, both valid ones and ones the
document forbids, and checks every answer (no server error, a documented status, content
type, headers and body schema; a forbidden request refused with a 4xx).

Bounded for CI: a few examples per operation (`MAX_EXAMPLES`), no shrinking past a deadline.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.config import SchemathesisConfig
from tests.functional.conftest import Server, start_server

MAX_EXAMPLES = 25
# "Schema-valid data is accepted" cannot hold for what a JSON schema cannot say: the body of
# POST /analyses is "binary" but must be a zip, tar or tar.gz (junk bytes: 415, documented),
# and both POSTs' `baseline` must name an existing analysis and `fail_on` parse as a gate
# (else 422, documented). "Schema-violating data is rejected" cannot hold for `exclude`: a
# repeated query parameter whose items schemathesis makes non-strings arrives as strings all
# the same. Every other check runs on them, and every check on the other routes.
# A forbidden request refused by the gateway's own limits (request line 414, headers 431,
# documented on every route) is refused, which schemathesis' default list does not count.
_CONFIG = """
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415",
                     "422", "428", "429", "431", "5xx"]
"""
_ALL_POSTS = (
    "POST /analyses",
    "POST /analyses/uploads",
    "POST /projects/{project}/analyses",
    "POST /projects/{project}/analyses/uploads",
)
_EXCLUDED = {
    **{(label, GenerationMode.POSITIVE): [checks.positive_data_acceptance] for label in _ALL_POSTS},
    **{(label, GenerationMode.NEGATIVE): [checks.negative_data_rejection] for label in _ALL_POSTS},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("openapi") / "data")
    yield running
    running.stop()


def _check(operation: Any, mode: GenerationMode) -> Callable[[], None]:
    """MAX_EXAMPLES requests of `operation` in `mode`, each answer validated."""
    # `coderev serve` here is in open local mode (no JWT_SECRET_KEY: a request without a token
    # is the local admin's, coderev.runtime.gateway.open_local), so "accepts requests without
    # authentication" holds by design; with a token, the authorizer runs as on API Gateway
    excluded = [*_EXCLUDED.get((operation.label, mode), []), checks.ignored_auth]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(excluded_checks=excluded)

    return check


def test_every_answer_is_the_documented_one(server: Server) -> None:
    """Every operation, valid and forbidden requests (schemathesis' Python API with Hypothesis:
    its pytest plugin does not run under this pytest); failures are collected per operation
    and mode so one report names them all."""
    config = SchemathesisConfig.from_str(_CONFIG)
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: dict[str, str] = {}
    for operation, mode in itertools.product(operations, GenerationMode):
        try:
            _check(operation, mode)()
        except Unsatisfiable:  # nothing in the operation can be violated (a free string)
            continue
        except (Exception, BaseExceptionGroup) as failure:  # reported below, by operation
            failures[f"{operation.label} ({mode})"] = str(failure)[:2000]

    assert len(operations) == 12  # 5 of /analyses, 7 under /projects/{project}/analyses
    document = schema.raw_schema
    assert set(document["components"]["securitySchemes"]) == {"bearerAuth"}
    assert all(operation["security"] == [{"bearerAuth": []}]
               for path in document["paths"].values() for operation in path.values())  # fmt: skip
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
