"""A presigned upload through `coderev serve`, over HTTP as a client would do it: ask for an
upload URL, PUT the archive to it (the gateway checks the signature and writes it through the
notifying store, so ingest runs as for any upload), follow the reserved analysis to its end
and fetch its report, which names the client's file as its source."""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.functional.conftest import coderev
from tests.functional.test_serve import Server, sample_archive, start_server, without_volatile


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("presigned") / "data")
    yield running
    if running.process.poll() is None:
        running.process.send_signal(signal.SIGTERM)
        running.process.wait(60)


def put(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def follow(server: Server, status_url: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, record = server.json("GET", status_url)
        if record["status"] not in ("QUEUED", "RUNNING"):
            return dict(record)
        time.sleep(0.1)
    raise AssertionError(f"{status_url} did not end")


def test_presign_put_analyse_and_fetch_the_report(server: Server, tmp_path: Path) -> None:
    status, ticket = server.json("POST", "/analyses/uploads?filename=shop-1.4.tar.gz")
    assert status == 201, ticket
    upload = ticket["upload"]
    assert upload["url"].startswith(f"{server.url}/_objects/uploads/")
    _, waiting = server.json("GET", ticket["status_url"])
    assert (waiting["status"], waiting["awaiting_upload"]) == ("QUEUED", True)

    archive = sample_archive()
    stored, answer = put(upload["url"], archive,
                         {**upload["headers"], "Content-Type": "application/gzip"})  # fmt: skip
    assert stored == 200, answer
    assert answer["key"] == ticket["upload_key"] and answer["size"] == len(archive)

    record = follow(server, ticket["status_url"])
    assert record["status"] == "SUCCEEDED", record
    assert (record["id"], record["awaiting_upload"]) == (ticket["id"], False)
    assert record["source"] == "shop-1.4.tar.gz"
    status, report = server.json("GET", f"/analyses/{ticket['id']}/report/json")
    assert status == 200
    assert report["source"] == "shop-1.4.tar.gz"

    direct_archive = tmp_path / "shop-1.4.tar.gz"
    direct_archive.write_bytes(archive)
    direct = coderev("review", direct_archive, "--format", "json", "-q",
                     "--out", tmp_path / "direct", out=tmp_path / "direct")  # fmt: skip
    assert direct.code == 0, direct.stderr
    assert without_volatile(report) == without_volatile(direct.report())


def test_the_request_signed_into_the_url_cannot_be_changed(server: Server) -> None:
    status, ticket = server.json("POST", "/analyses/uploads?fail_on=high&exclude=docs/*")
    assert status == 201, ticket
    upload = ticket["upload"]
    assert set(upload["headers"]) == {"x-amz-meta-coderev-request"}

    tampered = {"x-amz-meta-coderev-request": '{"fail_on":"none"}'}
    assert put(upload["url"], sample_archive(), tampered)[0] == 403
    status, answer = put(upload["url"], sample_archive(), {})  # the header left out
    assert (status, answer["error"]) == (403, "SignatureDoesNotMatch")
    forged = upload["url"].replace(ticket["upload_key"], "uploads/someone-else.tar.gz")
    assert put(forged, sample_archive(), upload["headers"])[0] == 403

    _, record = server.json("GET", ticket["status_url"])
    assert record["awaiting_upload"] is True  # nothing was stored: still waiting


def test_malformed_parameters_are_422(server: Server) -> None:
    for query in ("fail_on=catastrophic", "baseline=no-such-analysis", "filename=.."):
        status, answer = server.json("POST", f"/analyses/uploads?{query}")
        assert status == 422, (query, answer)
        assert answer["message"]


def test_a_re_upload_to_a_used_url_answers_with_the_analysis_it_created(server: Server) -> None:
    _, ticket = server.json("POST", "/analyses/uploads?filename=shop.tar.gz")
    upload, archive = ticket["upload"], sample_archive()
    headers = {**upload["headers"], "Content-Type": "application/gzip"}

    first = put(upload["url"], archive, headers)
    again = put(upload["url"], archive, headers)  # the same URL, still valid: a new version

    assert first == (200, first[1]) and first[1]["analysis_id"] == ticket["id"]
    assert again[0] == 200 and again[1]["analysis_id"] not in (ticket["id"], None)
    assert again[1]["status_url"] == f"/analyses/{again[1]['analysis_id']}"
    assert follow(server, ticket["status_url"])["status"] == "SUCCEEDED"
    assert follow(server, again[1]["status_url"])["status"] == "SUCCEEDED"
