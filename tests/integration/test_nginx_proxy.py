"""The local stack's nginx config on a real nginx (Debian's package) in front of `coderev serve`.

infrastructure/nginx/templates/coderev.conf.template is rendered as the nginx image renders it
(only `${NGINX_*}` replaced, from the nginx service's environment in docker-compose.yml),
with what cannot be the same here changed: the upstream (`coderev serve` on a free port
instead of coderev:8080), the listen ports (free ones instead of 80/443), the certificate
directory (a certificate made by infrastructure/nginx/make-dev-cert.sh) and the access log's
directory. It is wrapped in a minimal main config (the image's nginx.conf includes conf.d/*.conf
inside `http`, as this one does). Then `nginx -t`, and a live nginx: HTTPS to coderev, the
redirect from HTTP, and the rate limit answering 429 past rate + burst.

nginx missing: the test skips, except under CI (`CI` set), where it fails (.ci/run installs
the package).
"""

from __future__ import annotations

import getpass
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from tests.functional.conftest import Server, free_port, start_server

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "infrastructure/nginx/templates/coderev.conf.template"
MAKE_CERT = REPO / "infrastructure/nginx/make-dev-cert.sh"
DEFAULT = re.compile(r"^\$\{\w+:-(.*)\}$")


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs nginx (apt-get install nginx; .ci/run installs it)", False)
        pytest.skip("needs nginx (apt-get install nginx)")
    return found


def compose_nginx_environment() -> dict[str, str]:
    """The nginx service's environment, `${VAR:-default}` taken at its default."""
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    environment: dict[str, str] = {}
    for name, value in compose["services"]["nginx"]["environment"].items():
        match = DEFAULT.match(str(value))
        environment[name] = match.group(1) if match else str(value)
    return environment


def render(directory: Path, **overrides: str) -> Path:
    """The template rendered into directory/conf.d/coderev.conf, and a main config including
    it: the path of the main config."""
    values = {**compose_nginx_environment(), **overrides}
    text = TEMPLATE.read_text()
    names = set(re.findall(r"\$\{(\w+)\}", text))
    assert names <= set(values), names - set(values)
    # what the image's envsubst does with NGINX_ENVSUBST_FILTER=^NGINX_
    text = re.sub(r"\$\{(NGINX_\w+)\}", lambda m: values[m.group(1)], text)
    text = text.replace("/var/log/nginx/", f"{directory}/")
    (directory / "conf.d").mkdir(parents=True)
    (directory / "conf.d" / "coderev.conf").write_text(text)
    main = directory / "nginx.conf"
    temp = {
        name: directory / "temp" / name
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    }
    for path in temp.values():
        path.mkdir(parents=True)
    main.write_text(
        f"""user {getpass.getuser()};
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {directory}/access.log;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {directory}/conf.d/*.conf;
}}
"""
    )
    return main


def make_certificate(directory: Path) -> Path:
    subprocess.run([MAKE_CERT, directory], check=True, capture_output=True, timeout=60)
    assert (directory / "coderev.key").stat().st_mode & 0o077 == 0
    return directory


def nginx_test(main: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [nginx_binary(), "-t", "-c", str(main), "-e", str(main.parent / "error.log")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_nginx_accepts_the_config_with_the_compose_values(tmp_path: Path) -> None:
    certs = make_certificate(tmp_path / "certs")
    main = render(
        tmp_path / "nginx", NGINX_UPSTREAM="127.0.0.1:8080", NGINX_LISTEN_HTTP=str(free_port()),
        NGINX_LISTEN_HTTPS=str(free_port()), NGINX_CERT_DIR=str(certs),
    )  # fmt: skip
    result = nginx_test(main)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_refuses_a_config_whose_certificate_is_missing(tmp_path: Path) -> None:
    """The check is real: without `make stack-certs` nginx would not start."""
    main = render(
        tmp_path / "nginx", NGINX_UPSTREAM="127.0.0.1:8080", NGINX_LISTEN_HTTP=str(free_port()),
        NGINX_LISTEN_HTTPS=str(free_port()), NGINX_CERT_DIR=str(tmp_path / "no-certs"),
    )  # fmt: skip
    result = nginx_test(main)
    assert result.returncode != 0
    assert "coderev.crt" in result.stderr


# --- a live nginx in front of coderev serve ---------------------------------------------------

BURST = 5  # with 1r/m: 1 + BURST requests from one address pass, the next are refused


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]


@dataclass
class Proxy:
    http_port: int
    https_port: int
    certificate: Path
    directory: Path
    server: Server

    def request(self, path: str, *, tls: bool = True, source: str = "127.0.0.1") -> Reply:
        connection: http.client.HTTPConnection
        if tls:
            context = ssl.create_default_context(cafile=str(self.certificate))
            connection = http.client.HTTPSConnection(
                "127.0.0.1", self.https_port, context=context, timeout=30,
                source_address=(source, 0),
            )  # fmt: skip
        else:
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.http_port, timeout=30, source_address=(source, 0)
            )
        connection.request("GET", path)
        response = connection.getresponse()
        reply = Reply(response.status, response.read(), dict(response.getheaders()))
        connection.close()
        return reply


def wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"nginx exited {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nginx did not listen on {port}:\n{log.read_text()}")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    binary = nginx_binary()
    root = tmp_path_factory.mktemp("nginx-proxy")
    server = start_server(root / "data")
    try:
        certs = make_certificate(root / "certs")
        http_port, https_port = free_port(), free_port()
        main = render(
            root / "nginx", NGINX_UPSTREAM=server.url.removeprefix("http://"),
            NGINX_LISTEN_HTTP=str(http_port), NGINX_LISTEN_HTTPS=str(https_port),
            NGINX_PUBLIC_HTTPS_PORT=str(https_port), NGINX_CERT_DIR=str(certs),
            NGINX_RATE_LIMIT="1r/m", NGINX_RATE_BURST=str(BURST),
        )  # fmt: skip
        log = main.parent / "error.log"
        process = subprocess.Popen(
            [binary, "-c", str(main), "-e", str(log), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_listening(https_port, process, log)
            yield Proxy(http_port, https_port, certs / "coderev.crt", main.parent, server)
        finally:
            process.send_signal(signal.SIGQUIT)  # graceful shutdown
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
    finally:
        server.stop()


def test_https_reaches_coderev_serve_with_the_dev_certificate(proxy: Proxy) -> None:
    response = proxy.request("/health", source="127.0.0.1")
    direct_status, direct_body = proxy.server.request("GET", "/health")
    assert (response.status, response.body) == (direct_status, direct_body)
    assert response.status == 200
    # and the route coderev does not have is coderev's 404, not nginx's
    missing = proxy.request("/no/such/route", source="127.0.0.1")
    assert missing.status == 404
    assert missing.body == proxy.server.request("GET", "/no/such/route")[1]


def test_http_redirects_to_https_and_answers_its_own_health(proxy: Proxy) -> None:
    redirect = proxy.request("/analyses?limit=1", tls=False, source="127.0.0.4")
    assert redirect.status == 308
    location = redirect.headers.get("Location")
    assert location == f"https://127.0.0.1:{proxy.https_port}/analyses?limit=1"
    health = proxy.request("/nginx-health", tls=False, source="127.0.0.4")
    assert (health.status, health.body) == (200, b"ok\n")


def test_past_rate_and_burst_nginx_answers_429_without_asking_coderev(proxy: Proxy) -> None:
    source = "127.0.0.3"  # an address of its own: its bucket is full
    statuses, bodies, retry_after = [], [], []
    for _ in range(BURST + 4):
        response = proxy.request("/health", source=source)
        statuses.append(response.status)
        bodies.append(response.body)
        retry_after.append(response.headers.get("Retry-After"))
    assert statuses == [200] * (BURST + 1) + [429] * 3
    assert bodies[-1] == b'{"message":"Too Many Requests"}\n'
    assert retry_after[-1] == "1"
    # nginx refused them itself, and says so in its log; another address is not limited
    log = (proxy.directory / "error.log").read_text()
    assert log.count("limiting requests, excess: ") >= 3
    assert f"client: {source}" in log
    assert proxy.request("/health", source="127.0.0.5").status == 200
    # its own health is never limited
    assert proxy.request("/nginx-health", source=source).status == 200
