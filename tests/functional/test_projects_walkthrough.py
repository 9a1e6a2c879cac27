"""The README's walkthrough on `coderev serve` with JWT_SECRET_KEY set (every protected route
needs a token, as on API Gateway): register, log in, create a project, upload an archive, read
the report, mark it the baseline, upload again and read the drift; another organization's
user, with a token of its own, finds none of it; a viewer's token cannot write; a request
without a token is 401; the audit trail names who did each thing."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from tests.functional.conftest import Server, sample_archive, start_server

SECRET = "walkthrough-secret-key-of-at-least-32-bytes"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("walkthrough") / "data", JWT_SECRET_KEY=SECRET)
    yield running
    running.stop()


def call(server: Server, method: str, path: str, token: str | None = None, body: Any = None,
         data: bytes | None = None) -> tuple[int, Any]:  # fmt: skip
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    request = urllib.request.Request(server.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text else None


def register(server: Server, email: str, organization: str) -> str:
    status, tokens = call(
        server,
        "POST",
        "/auth/register",
        body={"email": email, "password": "correct horse battery", "organization": organization},
    )
    assert status == 201, tokens
    status, tokens = call(
        server, "POST", "/auth/login", body={"email": email, "password": "correct horse battery"}
    )
    assert status == 200, tokens
    return str(tokens["access_token"])


def finished(server: Server, token: str, path: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        _, record = call(server, "GET", path, token)
        if record["status"] in ("SUCCEEDED", "FAILED"):
            return dict(record)
        time.sleep(0.2)
    raise AssertionError(f"{path} did not finish")


def test_from_registration_to_drift_and_nobody_else_sees_it(server: Server) -> None:
    ada = register(server, "ada@example.com", "acme")
    assert call(server, "GET", "/projects")[0] == 401  # no token
    status, made = call(server, "POST", "/projects", ada,
                        {"name": "shop", "settings": {"fail_on": "new-high"}})  # fmt: skip
    assert status == 201, made

    archive = sample_archive()
    status, first = call(server, "POST", "/projects/shop/analyses?filename=shop.tar.gz&label=v1",
                         ada, data=archive)  # fmt: skip
    assert status == 202, first
    assert finished(server, ada, first["status_url"])["status"] == "SUCCEEDED"
    status, link = call(server, "GET", f"{first['status_url']}/report/json", ada)
    assert status == 200 and link["url"]
    with urllib.request.urlopen(link["url"], timeout=60) as response:
        assert json.loads(response.read())["summary"]["gate"]["spec"] == "new-high"

    status, marked = call(server, "PUT", "/projects/shop/baseline", ada,
                          {"analysis_id": first["id"]})  # fmt: skip
    assert status == 200, marked
    status, second = call(server, "POST", "/projects/shop/analyses?filename=shop.tar.gz&commit=b2",
                          ada, data=archive)  # fmt: skip
    assert finished(server, ada, second["status_url"])["status"] == "SUCCEEDED"
    status, drift = call(server, "GET", f"{second['status_url']}/drift", ada)
    assert status == 200, drift
    assert drift["baseline_id"] == first["id"] and drift["gate"]["passed"] is True
    assert drift["drift"]["findings"]["new"] == 0

    eve = register(server, "eve@example.org", "other")
    for path in ("/projects/shop", f"/projects/{made['id']}", first["status_url"],
                 f"/analyses/{first['id']}", f"/analyses/{first['id']}/report/json",
                 f"{second['status_url']}/drift"):  # fmt: skip
        assert call(server, "GET", path, eve)[0] in (403, 404), path
    assert call(server, "GET", "/projects", eve)[1]["projects"] == []
    status, _ = call(server, "POST", f"/analyses/uploads?baseline={first['id']}", eve)
    assert status == 422  # another tenant's analysis is no baseline

    status, trail = call(server, "GET", "/audits?type=coderev.project.created", ada)
    assert status == 200, trail
    [created] = trail["entries"]
    assert created["data"]["tenant"] != "default" and created["actor"] == created[
        "data"]["actor"]["subject"]  # fmt: skip
