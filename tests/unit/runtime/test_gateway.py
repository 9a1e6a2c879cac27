"""The HTTP gateway end to end over a real loopback socket."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel

from coderev.runtime.errors import GatewayConfigurationError
from coderev.runtime.gateway import Allow, AuthorizerRequest, Deny, Gateway
from coderev.runtime.gateway.responses import gateway_error
from coderev.runtime.gateway.routes import Route, RouteMatch, RouteTable
from coderev.runtime.invoker import LocalInvoker
from coderev.runtime.template import ApiEvent

TEMPLATE = Path(__file__).parents[2] / "fixtures" / "templates" / "invoker.yaml"


@pytest.fixture(scope="module")
def invoker():
    with LocalInvoker(TEMPLATE) as local:
        yield local


@pytest.fixture
def seen_requests():
    return []


@pytest.fixture
def gateway(invoker, seen_requests):
    def authorizer(request: AuthorizerRequest) -> Allow | Deny:
        seen_requests.append(request)
        if request.token is None:
            return Deny(401)
        if request.token == "Bearer deny":
            return Deny()
        if request.token == "Bearer crash":
            raise RuntimeError("authorizer bug")
        return Allow("user-1", {"roles": "admin", "tenant": 7})

    with Gateway(invoker, port=0, authorizer=authorizer, max_body_bytes=4096) as running:
        yield running


def request(gateway, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(*gateway.address, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def proxy_event(gateway, method, path, body=None, headers=None):
    status, _, raw = request(gateway, method, path, body, headers)
    assert status in (200, 201), raw
    return json.loads(raw)["event"]


def test_a_get_becomes_the_rest_proxy_event_lambda_receives(gateway):
    status, headers, raw = request(gateway, "GET", "/analyses/a%201?tag=x&tag=y&empty=",
                                   headers={"Authorization": "Bearer ok", "X-Multi": "1"})
    assert status == 200
    event = json.loads(raw)["event"]
    assert set(event) == {
        "resource", "path", "httpMethod", "headers", "multiValueHeaders",
        "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
        "stageVariables", "requestContext", "body", "isBase64Encoded"}
    assert event["resource"] == "/analyses/{id}"
    assert event["path"] == "/analyses/a%201"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "a 1"}
    assert event["queryStringParameters"] == {"tag": "y", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y"], "empty": [""]}
    assert event["headers"]["X-Multi"] == "1"
    assert event["multiValueHeaders"]["X-Multi"] == ["1"]
    assert event["stageVariables"] is None
    assert (event["body"], event["isBase64Encoded"]) == (None, False)
    context = event["requestContext"]
    assert (context["stage"], context["resourcePath"], context["httpMethod"]) == (
        "Prod", "/analyses/{id}", "GET")
    assert context["path"] == "/Prod/analyses/a%201"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert abs(context["requestTimeEpoch"] - time.time() * 1000) < 60_000
    assert context["authorizer"]["principalId"] == "user-1"
    assert (context["authorizer"]["roles"], context["authorizer"]["tenant"]) == ("admin", 7)
    assert dict(headers)["x-amzn-RequestId"] == context["requestId"]
    assert [value for name, value in headers if name == "Set-Cookie"] == ["a=1", "b=2"]
    assert dict(headers)["X-Handler"] == "api"
    parsed = APIGatewayProxyEventModel.model_validate(event)
    assert parsed.requestContext.authorizer is not None
    assert parsed.pathParameters == {"id": "a 1"}


def test_events_parse_with_the_model_powertools_handlers_use(gateway):
    for method, path, body in [("GET", "/analyses", None), ("POST", "/uploads", b"\x00\xff"),
                               ("PUT", "/files/x/y?q=1", b"text")]:
        event = proxy_event(gateway, method, path, body=body)
        parsed = APIGatewayProxyEventModel.model_validate(event)
        assert parsed.httpMethod == method


def test_literal_paths_beat_parameters_and_proxy_paths_are_greedy(gateway):
    assert proxy_event(gateway, "GET", "/analyses/latest")["resource"] == "/analyses/latest"
    listing = proxy_event(gateway, "GET", "/analyses")
    assert (listing["resource"], listing["pathParameters"]) == ("/analyses", None)
    files = proxy_event(gateway, "DELETE", "/files/a/b/c%20d.txt")
    assert files["resource"] == "/files/{proxy+}"
    assert files["pathParameters"] == {"proxy": "a/b/c d.txt"}


def test_bodies_are_text_or_base64_as_api_gateway_sends_them(gateway):
    text = proxy_event(gateway, "POST", "/uploads", body=b'{"name": "r\xc3\xa9sum\xc3\xa9"}',
                       headers={"Content-Type": "application/json"})
    assert (text["body"], text["isBase64Encoded"]) == ('{"name": "résumé"}', False)
    payload = bytes(range(256))
    binary = proxy_event(gateway, "POST", "/uploads", body=payload,
                         headers={"Content-Type": "application/zip"})
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == payload
    invalid_utf8 = proxy_event(gateway, "POST", "/uploads", body=b"\xff\xfe",
                               headers={"Content-Type": "text/plain"})
    assert invalid_utf8["isBase64Encoded"] is True


def test_a_chunked_body_is_read(gateway):
    connection = http.client.HTTPConnection(*gateway.address, timeout=10)
    connection.request("POST", "/uploads", body=iter([b"hello ", b"chunks"]),
                       encode_chunked=True, headers={"Content-Type": "text/plain"})
    event = json.loads(connection.getresponse().read())["event"]
    connection.close()
    assert event["body"] == "hello chunks"


def test_a_base64_response_is_decoded(gateway):
    status, headers, raw = request(gateway, "GET", "/binary")
    assert (status, raw) == (200, bytes(range(256)))
    assert dict(headers)["Content-Type"] == "application/octet-stream"


@pytest.mark.parametrize(("method", "path", "status", "message"), [
    ("GET", "/nowhere", 404, "Not Found"),
    ("POST", "/analyses/latest", 404, "Missing Authentication Token"),
    ("GET", "/boom", 502, "Internal server error"),
    ("GET", "/malformed", 502, "Internal server error"),
])
def test_api_gateway_answers_when_no_handler_response_can(gateway, method, path, status,
                                                         message):
    got, headers, raw = request(gateway, method, path)
    assert (got, json.loads(raw)) == (status, gateway_error(status, message))
    assert dict(headers)["Content-Type"] == "application/json"


def test_a_body_over_the_limit_is_413(gateway):
    status, _, raw = request(gateway, "POST", "/uploads", body=b"x" * 5000)
    answer = json.loads(raw)
    assert (status, answer["error"]) == (413, "RequestTooLarge")
    assert "POST /analyses/uploads" in answer["message"]  # where a large archive goes
    assert request(gateway, "POST", "/uploads", body=b"x" * 4000)[0] == 201


@pytest.mark.parametrize("length", ["abc", "-5"])
def test_a_malformed_content_length_is_400(gateway, length):
    with socket.create_connection(gateway.address, timeout=5) as raw:
        raw.sendall(f"POST /uploads HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
                    .encode())
        answer = raw.makefile("rb").read()
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 400 Bad Request"
    assert rest.endswith(b'{"error":"BadRequest","message":"Bad Request"}')


def test_health_answers_200_json(gateway):
    status, _, raw = request(gateway, "GET", "/health")
    assert status == 200
    assert json.loads(raw) == {"status": "ok", "routes": 9}


@pytest.mark.parametrize(("token", "status", "message"), [
    (None, 401, "Unauthorized"),
    ("Bearer deny", 403, "User is not authorized to access this resource"),
    ("Bearer crash", 500, None),
])
def test_the_authorizer_hook_denies(gateway, seen_requests, token, status, message):
    headers = {"Authorization": token} if token else {}
    got, _, raw = request(gateway, "GET", "/analyses/9", headers=headers)
    assert (got, json.loads(raw)) == (status, gateway_error(status, message))
    (seen,) = seen_requests
    assert (seen.authorizer, seen.token) == ("TokenAuthorizer", token)
    assert seen.method_arn == (
        "arn:aws:execute-api:us-east-1:123456789012:local/Prod/GET/analyses/9")
    assert seen.event["pathParameters"] == {"id": "9"}


def test_routes_without_an_authorizer_never_call_the_hook(gateway, seen_requests):
    assert request(gateway, "GET", "/analyses")[0] == 200
    assert seen_requests == []


def test_without_a_hook_protected_routes_fail_closed(invoker):
    with Gateway(invoker, port=0) as open_gateway:
        status, _, raw = request(open_gateway, "GET", "/analyses/1",
                                 headers={"Authorization": "Bearer ok"})
    assert (status, json.loads(raw)) == (401, {"error": "Unauthorized", "message": "Unauthorized"})


def test_requests_are_served_concurrently(gateway):
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: request(gateway, "GET", "/slow")[0], range(8)))
    assert statuses == [200] * 8
    assert time.monotonic() - started < 8 * 0.3 * 0.75  # one after another: 2.4 s


def test_stop_finishes_in_flight_requests_and_refuses_new_ones(invoker):
    running = Gateway(invoker, port=0).start()
    idle = http.client.HTTPConnection(*running.address, timeout=10)
    idle.request("GET", "/analyses")
    idle.getresponse().read()
    deadline = time.monotonic() + 5
    while running.in_flight and time.monotonic() < deadline:
        time.sleep(0.005)
    outcome: dict[str, int] = {}
    slow = threading.Thread(target=lambda: outcome.setdefault(
        "status", request(running, "GET", "/slow")[0]))
    slow.start()
    deadline = time.monotonic() + 5
    while running.in_flight == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert running.in_flight == 1
    assert running.stop(timeout=5) is True
    assert running.in_flight == 0
    slow.join(5)
    assert outcome == {"status": 200}
    with pytest.raises(OSError):
        request(running, "GET", "/health")
    with pytest.raises((http.client.HTTPException, OSError)):
        idle.request("GET", "/analyses")
        idle.getresponse().read()


def test_the_route_table_rejects_duplicates_and_misplaced_greedy_segments():
    route = Route.build("Fn", ApiEvent("A", path="/a/{id}", method="GET"))
    with pytest.raises(GatewayConfigurationError, match="two Api events"):
        RouteTable([route, Route.build("Other", ApiEvent("B", path="/a/{id}", method="GET"))])
    with pytest.raises(GatewayConfigurationError, match="last segment"):
        Route.build("Fn", ApiEvent("C", path="/{proxy+}/tail", method="GET"))
    table = RouteTable([route, Route.build("Fn", ApiEvent("D", path="/a/{id}", method="ANY"))])
    found = table.match("POST", "/a/1")
    assert isinstance(found, RouteMatch) and found.route.event.name == "D"
    found = table.match("GET", "/a/1")
    assert isinstance(found, RouteMatch) and found.route.event.name == "A"
    assert table.match("GET", "/b") is None


def test_a_powertools_rest_handler_runs_behind_the_gateway():
    template = TEMPLATE.parent / "powertools.yaml"
    with LocalInvoker(template) as local, Gateway(
        local, port=0, authorizer=lambda request: Allow("nobody")
    ) as running:
        token = {"Authorization": "Bearer t"}
        status, _, raw = request(running, "GET", "/analyses/42?verbose=yes", headers=token)
        assert (status, json.loads(raw)) == (200, {"id": "42", "verbose": "yes",
                                                   "principal": "nobody"})
        status, _, raw = request(running, "POST", "/analyses", body=b'{"name": "shop"}',
                                 headers={"Content-Type": "application/json", **token})
        assert (status, json.loads(raw)) == (201, {"created": "shop"})
        status, _, raw = request(running, "GET", "/nothing/here", headers=token)
        assert status == 404
        assert json.loads(raw)["message"] == "Not found"
