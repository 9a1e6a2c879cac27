"""The local gateway under a burst and hostile framing, against a real `coderev serve`.

Starts `coderev serve` on a fresh data dir (loopback, a free port), then:
  - fires `--uploads` POST /analyses at once (a barrier releases every thread together;
    each its own connection) with a one-file archive, and counts tried / 202 / errors
    (resets) / records (each returned id answers GET /analyses/{id} with 200);
  - sends a presigned PUT with conflicting Content-Length headers (5 and 3754), expects 400
    and the analysis still awaiting its upload (nothing stored);
  - streams a `--put-mib` MiB presigned PUT to the gateway alone in its own process (no
    ingest behind it, so only the server's memory is measured) and samples its RSS.
Then stops the server (SIGINT, as Ctrl-C; the analyses still queued are abandoned).
With `--baseline-source DIR` (the `layers/core` of another checkout, e.g. a worktree of the
commit before the gateway moved to uvicorn) the burst also runs against that code first.

    python benchmarks/bench_gateway.py [--uploads 120] [--put-mib 320] [--baseline-source DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).parents[1]
MIB = 1024 * 1024


def archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        code = b"def f(x):\n    return x + 1\n"
        info = tarfile.TarInfo("tiny/a.py")
        info.size = len(code)
        tar.addfile(info, io.BytesIO(code))
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(address: tuple[str, int], method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:  # fmt: skip
    connection = http.client.HTTPConnection(*address, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        connection.close()


def burst(address: tuple[str, int], tried: int) -> dict[str, int]:
    body = archive()
    start = threading.Barrier(tried)
    ids: list[str] = []
    errors: list[str] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def one() -> None:
        start.wait()
        try:
            status, answer = call(address, "POST", "/analyses?filename=tiny.tar.gz", body,
                                  {"Content-Type": "application/gzip"})  # fmt: skip
        except OSError as exc:
            with lock:
                errors.append(type(exc).__name__)
            return
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
            if status == 202:
                ids.append(answer["id"])

    threads = [threading.Thread(target=one) for _ in range(tried)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    records = sum(call(address, "GET", f"/analyses/{id_}")[0] == 200 for id_ in ids)
    return {"tried": tried, "accepted_202": statuses.get(202, 0), "other_status": tried
            - statuses.get(202, 0) - len(errors), "resets_or_errors": len(errors),
            "distinct_ids": len(set(ids)), "records": records,
            "lost": tried - records}  # fmt: skip


def conflicting_length(address: tuple[str, int]) -> dict[str, Any]:
    status, answer = call(address, "POST", "/analyses/uploads?filename=c.tar.gz")
    assert status in (200, 201, 202), answer
    upload = answer["upload"]
    signed = "".join(f"{name}: {value}\r\n" for name, value in upload["headers"].items())
    request = (f"PUT {upload['url']} HTTP/1.1\r\nHost: x\r\n{signed}Content-Length: 5\r\n"
               f"Content-Length: 3754\r\n\r\n").encode() + b"x" * 3754  # fmt: skip
    with socket.create_connection(address, timeout=10) as raw:
        raw.sendall(request)
        reply = raw.makefile("rb").readline().decode().strip()
    _, view = call(address, "GET", f"/analyses/{answer['id']}")
    return {"answer": reply, "still_awaiting_upload": view["awaiting_upload"]}


def streamed_put(mib: int, data_dir: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "core")}
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "fixtures" / "gateway_server.py"),
         str(data_dir / "objects"), "uploads/big.bin"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)  # fmt: skip
    try:
        assert server.stdout is not None
        started = json.loads(server.stdout.readline())
        process = psutil.Process(started["pid"])
        before = peak = process.memory_info().rss
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.02):
                peak = max(peak, process.memory_info().rss)

        sampler = threading.Thread(target=sample)
        sampler.start()
        piece = hashlib.sha256(b"bench").digest() * (MIB // 32)
        began = time.perf_counter()
        try:
            status, answer = call(tuple(started["address"]), "PUT", started["upload"],
                                  (piece for _ in range(mib)),  # type: ignore[arg-type]
                                  {**started["headers"], "Content-Length": str(mib * MIB)})
        finally:
            done.set()
            sampler.join()
        seconds = time.perf_counter() - began
        return {"status": status, "stored_bytes": answer.get("size"), "mib": mib,
                "seconds": round(seconds, 2), "mib_per_s": round(mib / seconds, 1),
                "rss_before_mib": round(before / MIB), "rss_peak_mib": round(peak / MIB)}
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(30)


def against_serve(source: Path, data_dir: Path, uploads: int) -> dict[str, Any]:
    """The burst and the conflicting length against `coderev serve` run from `source`."""
    port = free_port()
    address = ("127.0.0.1", port)
    env = {**os.environ, "CODEREV_DATA_DIR": str(data_dir), "PYTHONPATH": str(source)}
    coderev = [sys.executable, "-c", "from coderev.cli import main; main()"]
    serve = subprocess.Popen([*coderev, "serve", "--port", str(port)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if call(address, "GET", "/health")[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline or serve.poll() is not None:
                    raise
                time.sleep(0.2)
        return {"burst": burst(address, uploads),
                "conflicting_content_length": conflicting_length(address)}
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(120)
        except subprocess.TimeoutExpired:
            serve.terminate()
            serve.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=120)
    parser.add_argument("--put-mib", type=int, default=320)
    parser.add_argument("--baseline-source", type=Path)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="coderev-bench-gateway-") as tmp:
        data_dir = Path(tmp)
        if args.baseline_source is not None:
            results["baseline"] = against_serve(args.baseline_source, data_dir / "baseline",
                                                args.uploads)  # fmt: skip
        results["current"] = against_serve(ROOT / "layers" / "core", data_dir / "current",
                                           args.uploads)  # fmt: skip
        results["streamed_put"] = streamed_put(args.put_mib, data_dir)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
