"""The gateway under load, measured from outside its process (issue 9, items 6 and 7):
a burst of concurrent requests loses none, and a 320 MiB presigned upload is streamed to
the store without the server's memory growing with it."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

ROOT = Path(__file__).parents[2]
SERVER = ROOT / "tests" / "fixtures" / "gateway_server.py"
MIB = 1024 * 1024


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "core")}
    process = subprocess.Popen(
        [sys.executable, str(SERVER), str(tmp_path / "objects"), "uploads/big.bin"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)  # fmt: skip
    try:
        assert process.stdout is not None
        started = json.loads(process.stdout.readline())
        yield {**started, "root": tmp_path / "objects"}
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def post(address: tuple[str, int], start: threading.Barrier, index: int) -> tuple[int, str]:
    start.wait()
    connection = http.client.HTTPConnection(*address, timeout=60)
    try:
        body = json.dumps({"upload": index}).encode()
        connection.request("POST", "/uploads", body=body,
                           headers={"Content-Type": "application/json"})  # fmt: skip
        response = connection.getresponse()
        event = json.loads(response.read())["event"]
        return response.status, event["body"]
    finally:
        connection.close()


def test_a_burst_of_150_concurrent_posts_loses_none(server: dict[str, Any]) -> None:
    tried = 150
    address = (server["address"][0], server["address"][1])
    start = threading.Barrier(tried)
    outcomes: list[tuple[int, str] | BaseException] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        try:
            outcome: tuple[int, str] | BaseException = post(address, start, index)
        except BaseException as exc:  # a reset is what this test counts
            outcome = exc
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(tried)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    handled = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    assert failures == []
    assert len(handled) == tried
    assert {status for status, _ in handled} == {201}
    # each handler saw its own request's body: none was lost, none answered twice
    assert sorted(json.loads(body)["upload"] for _, body in handled) == list(range(tried))


def test_a_320_mib_presigned_put_is_streamed_in_bounded_memory(server: dict[str, Any]) -> None:
    size = 320 * MIB
    piece = hashlib.sha256(b"coderev").digest() * (MIB // 32)
    process = psutil.Process(server["pid"])
    before = process.memory_info().rss
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, process.memory_info().rss)

    sampler = threading.Thread(target=sample)
    sampler.start()
    connection = http.client.HTTPConnection(*server["address"], timeout=120)
    try:
        connection.request("PUT", server["upload"], body=(piece for _ in range(size // MIB)),
                           headers={**server["headers"], "Content-Length": str(size)})
        response = connection.getresponse()
        answer = json.loads(response.read())
    finally:
        done.set()
        sampler.join()
        connection.close()
    assert response.status == 200, answer
    assert answer["size"] == size
    expected = hashlib.md5(usedforsecurity=False)
    for _ in range(size // MIB):
        expected.update(piece)
    assert answer["etag"] == expected.hexdigest()
    growth = peak - before
    print(f"server RSS {before / MIB:.0f} MiB before, {peak / MIB:.0f} MiB peak "
          f"(+{growth / MIB:.0f} MiB) for a {size // MIB} MiB upload")
    assert peak < 200 * MIB
    assert growth < 64 * MIB
