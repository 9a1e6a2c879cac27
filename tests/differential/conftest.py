"""Differential tier: one mock_aws world (moto's Step Functions interpreter plus the
DynamoDB table and Docker-less echo Lambda the corpus calls) per module, torn down after
it so mock_aws never intercepts another test's boto3 calls."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from tests.differential.engines import Engines, moto_world

from coderev.runtime.states import Interpreter


@pytest.fixture(scope="module")
def engines() -> Iterator[Engines]:
    # moto's interpreter logs every failure with a full repr of the state; keep output readable.
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    yield from moto_world()


@pytest.fixture(scope="module")
def interpreter(engines: Engines) -> Interpreter:
    return Interpreter(engines.invoker, sleeper=lambda _seconds: None, max_workers=4)
