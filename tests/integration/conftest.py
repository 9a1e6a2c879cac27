"""Integration tier: the real adapters against real servers on 127.0.0.1.

Each backend fixture reads its variable (`S3_ENDPOINT`, `KAFKA_BOOTSTRAP_SERVERS`,
`FALKORDB_URL`). Set (as `.ci/run` does after `.ci/services start`): the server must answer,
else the test FAILS — a CI that silently skips its integration tests proves nothing.
Unset (a developer's `pytest tests/integration`): the fixture starts the server itself with
the same code as `.ci/services` (tests/integration/services.py) and leaves it running for the
next run; `.ci/services stop` stops it.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest

HOW_TO_START = (
    "start the integration backends with `.ci/services start` and point the tests at them "
    'with `eval "$(.ci/services env)"` (or unset the variable to let the tests start them)'
)


def _load_services() -> ModuleType:
    # tests/ is not a package (importlib import mode), so load the launcher by its path.
    name = "coderev_integration_services"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("services.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _reachable(address: str) -> bool:
    """Every host:port of a URL or comma-separated bootstrap list accepts a TCP connection."""
    targets = []
    for part in address.split(","):
        parsed = urlsplit(part if "://" in part else f"tcp://{part.strip()}")
        if parsed.hostname is None or parsed.port is None:
            return False
        targets.append((parsed.hostname, parsed.port))
    for target in targets:
        try:
            with socket.create_connection(target, timeout=2):
                pass
        except OSError:
            return False
    return bool(targets)


def _backend(variable: str, service: str) -> str:
    import os

    configured = os.environ.get(variable)
    if configured:
        if not _reachable(configured):
            pytest.fail(f"{variable}={configured} does not answer: {HOW_TO_START}", pytrace=False)
        return configured
    services = _load_services()
    try:
        services.start([service])
    except services.ServiceStartError as exc:
        pytest.fail(f"{variable} is unset and starting {service} failed: {exc}", pytrace=False)
    value: str = services.environment([service])[variable]
    return value


@pytest.fixture(scope="session")
def s3_endpoint() -> str:
    """moto_server's URL (S3, SQS, KMS)."""
    return _backend("S3_ENDPOINT", "moto")


@pytest.fixture(scope="session")
def kafka_bootstrap_servers() -> str:
    """The Kafka (Tansu) broker's host:port."""
    return _backend("KAFKA_BOOTSTRAP_SERVERS", "kafka")


@pytest.fixture(scope="session")
def falkordb_url() -> str:
    """FalkorDB's redis:// URL."""
    return _backend("FALKORDB_URL", "falkordb")


@pytest.fixture
def fresh_name() -> Callable[[str], str]:
    """Unique names for buckets, queues, topics and consumer groups: tests never share state."""

    def make(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}"

    return make
