"""The analyses API keeps the contract its OpenAPI document states: schemathesis generates
requests from /openapi.json against a running `coderev serve` and checks every answer (no
server error, a documented status, content type, headers and body schema).

Bounded for CI: a few examples per operation (`MAX_EXAMPLES`), no shrinking past a deadline.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks
from tests.functional.conftest import Server, start_server

MAX_EXAMPLES = 25
# "Schema-valid data is accepted" cannot hold for what a JSON schema cannot say: the body of
# POST /analyses is "binary" but must be a zip, tar or tar.gz (junk bytes: 415, documented),
# and both POSTs' `baseline` must name an existing analysis and `fail_on` parse as a gate
# (else 422, documented). Every other check runs on them, and everything on the other routes.
_EXCLUDED = {
    "POST /analyses": [checks.positive_data_acceptance],
    "POST /analyses/uploads": [checks.positive_data_acceptance],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("openapi") / "data")
    yield running
    running.stop()


def test_every_answer_is_the_documented_one(server: Server) -> None:
    """Every operation, MAX_EXAMPLES generated requests each (schemathesis' Python API with
    Hypothesis: its pytest plugin does not run under this pytest); failures are collected
    per operation so one report names them all."""
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: dict[str, str] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(excluded_checks=_EXCLUDED.get(case.operation.label, []))

        try:
            check()
        except (Exception, BaseExceptionGroup) as failure:  # reported below, by operation
            failures[operation.label] = str(failure)[:2000]

    assert len(operations) == 5
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
