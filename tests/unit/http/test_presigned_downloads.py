"""Presigned downloads from the embedded store through the gateway's GET /_objects/: what a
report too large for a Lambda response is fetched by (S3's presigned GetObject, locally)."""

from __future__ import annotations

import gzip
import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from coderev.adapters.embedded.object_store import LocalObjectStore
from coderev.runtime.gateway import Gateway
from coderev.runtime.invoker import LocalInvoker

TEMPLATE = Path(__file__).parents[2] / "fixtures" / "templates" / "invoker.yaml"
JSON = "application/json"


@pytest.fixture(scope="module")
def invoker() -> Iterator[LocalInvoker]:
    with LocalInvoker(TEMPLATE) as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "objects")


@pytest.fixture
def gateway(invoker: LocalInvoker, store: LocalObjectStore) -> Iterator[Gateway]:
    with Gateway(invoker, port=0, object_store=store) as running:
        yield running


def get(gateway: Gateway, url: str, headers: dict[str, str] | None = None,
        ) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    connection = http.client.HTTPConnection(*gateway.address, timeout=30)
    try:
        connection.request("GET", url, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_a_presigned_get_serves_the_object_with_its_content_type(
    gateway: Gateway, store: LocalObjectStore
) -> None:
    store.put("reports/1/report.json", b'{"findings": []}')
    link = store.presign_get("reports/1/report.json", expires_in=60, content_type=JSON)

    status, headers, body = get(gateway, link.url)

    assert (status, body, link.size) == (200, b'{"findings": []}', 16)
    assert headers["Content-Type"] == JSON and "Content-Encoding" not in headers


def test_a_50_mb_report_downloads_gzipped_when_the_client_accepts_it(
    gateway: Gateway, store: LocalObjectStore
) -> None:
    report = json.dumps({"findings": [{"id": n, "path": f"pkg/m{n}.py"} for n in range(1_300_000)]})
    assert len(report) > 50_000_000
    store.put("reports/2/report.json", report.encode())
    link = store.presign_get("reports/2/report.json", expires_in=60, content_type=JSON)

    status, headers, body = get(gateway, link.url, {"Accept-Encoding": "gzip, deflate"})

    assert (status, headers["Content-Encoding"]) == (200, "gzip")
    assert len(body) < len(report) / 5
    assert gzip.decompress(body) == report.encode()
    status, headers, body = get(gateway, link.url, {"Accept-Encoding": "gzip;q=0"})
    assert (status, len(body), "Content-Encoding" in headers) == (200, len(report), False)


def test_a_changed_content_type_or_expiry_is_refused(
    gateway: Gateway, store: LocalObjectStore
) -> None:
    store.put("reports/3/report.html", b"<p>hi</p>")
    link = store.presign_get("reports/3/report.html", expires_in=60, content_type="text/html")
    query = {name: values[-1] for name, values in parse_qs(urlsplit(link.url).query).items()}
    path = urlsplit(link.url).path

    later = str(int(query["expires"]) + 9)
    for changed in ({"content-type": "text/javascript"}, {"expires": later}):
        status, _, body = get(gateway, f"{path}?{urlencode(query | changed)}")
        assert (status, json.loads(body)["error"]) == (403, "SignatureDoesNotMatch")
    status, _, body = get(gateway, path)
    assert (status, json.loads(body)["error"]) == (403, "AccessDenied")


def test_an_upload_url_downloads_nothing_and_a_gone_object_is_404(
    gateway: Gateway, store: LocalObjectStore
) -> None:
    store.put("reports/4/report.md", b"# r")
    upload = store.presign_put("reports/4/report.md", expires_in=60)
    assert get(gateway, upload.url)[0] == 403
    link = store.presign_get("reports/4/report.md", expires_in=60, content_type="text/markdown")
    store.delete("reports/4/report.md")
    status, _, body = get(gateway, link.url)
    assert (status, json.loads(body)["error"]) == (404, "NoSuchKey")
    with pytest.raises(KeyError):
        store.presign_get("reports/4/report.md", expires_in=60, content_type="text/markdown")
