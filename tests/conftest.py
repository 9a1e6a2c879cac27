"""Shared test configuration. Tiers: unit (no I/O beyond tmp files), functional (whole commands
on embedded defaults), integration (real servers: Postgres, Redis, moto_server, Kafka).

A test run leaves the machine as it found it: the servers the integration fixtures start on
demand (tests/integration/services.py) are owned by this run, through the
CODEREV_TEST_SESSION variable the xdist workers inherit, and stopped when the run ends.
Servers that were already running (`.ci/services start`, a developer's) are reused and left.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from pathlib import Path
from types import ModuleType

import pytest

_SERVICES = Path(__file__).parent / "integration" / "services.py"
_OWNER = "CODEREV_TEST_SESSION"


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if not _is_xdist_worker(config) and not os.environ.get(_OWNER):
        os.environ[_OWNER] = f"pytest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        config.stash[_owned_key] = os.environ[_OWNER]


def pytest_unconfigure(config: pytest.Config) -> None:
    owner = config.stash.get(_owned_key, None)
    if owner is None:
        return
    stopped = load_services().stop_owned(owner)
    os.environ.pop(_OWNER, None)
    if stopped:
        print(f"\nstopped the servers this test run started: {', '.join(stopped)}")


def load_services() -> ModuleType:
    """tests/integration/services.py (tests/ is not a package: loaded by its path, once)."""
    name = "coderev_integration_services"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _SERVICES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_owned_key = pytest.StashKey[str]()
