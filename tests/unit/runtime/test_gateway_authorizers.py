"""The template's Lambda authorizers behind the gateway, as API Gateway runs them."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest

from coderev.runtime.gateway import Gateway, LambdaAuthorizer, template_authorizers
from coderev.runtime.gateway.responses import gateway_error
from coderev.runtime.invoker import LocalInvoker
from coderev.runtime.template import ApiEvent, AuthorizerSpec, load_template

TEMPLATE = Path(__file__).parents[2] / "fixtures" / "templates" / "authorizers.yaml"
API_ARN = "arn:aws:execute-api:us-east-1:123456789012:coderevapi"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def invoker():
    with LocalInvoker(TEMPLATE) as local:
        yield local


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def hooks(invoker, clock):
    return template_authorizers(invoker, clock=clock)


@pytest.fixture
def gateway(invoker, hooks):
    with Gateway(invoker, port=0, authorizer=hooks) as running:
        yield running


def call(gateway, method, path, token=None):
    connection = http.client.HTTPConnection(*gateway.address, timeout=10)
    headers = {"Authorization": token} if token else {}
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_authorizers_and_default_authorizers_are_read_from_the_template():
    template = load_template(TEMPLATE)
    token, query = template.authorizers["TokenAuth"], template.authorizers["QueryAuth"]
    assert token == AuthorizerSpec(
        name="TokenAuth",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:coderev-AuthorizerFunction",
        function="AuthorizerFunction", header="Authorization",
        validation_expression="Bearer .+", reauthorize_every=300)
    assert (query.payload_type, query.query_strings, query.reauthorize_every) == (
        "REQUEST", ("apiKey",), 0)
    events = {event.name: event for _, event in template.events_of(ApiEvent)}
    assert events["Get"].authorizer == "TokenAuth" and events["Get"].stage == "v1"
    assert events["Public"].authorizer is None
    assert events["Query"].authorizer == "QueryAuth"


def test_an_allow_policy_admits_and_its_context_reaches_the_handler(gateway):
    status, body = call(gateway, "GET", "/analyses/1", "Bearer allow-ada")
    assert status == 200
    authorizer = body["event"]["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "ada"
    assert (authorizer["tenant"], authorizer["admin"], authorizer["quota"]) == ("t1", True, 5)
    assert body["event"]["requestContext"]["stage"] == "v1"


@pytest.mark.parametrize(("token", "status", "message"), [
    (None, 401, "Unauthorized"),
    ("Basic allow-ada", 401, "Unauthorized"),
    ("Bearer expired", 401, "Unauthorized"),
    ("Bearer deny", 403, "User is not authorized to access this resource"),
    ("Bearer crash", 500, None),
    ("Bearer bad", 500, None),
])
def test_api_gateway_answers_for_each_authorizer_outcome(gateway, hooks, token, status,
                                                         message):
    assert call(gateway, "GET", "/analyses/1", token) == (status, gateway_error(status, message))
    invoked = token is not None and token.startswith("Bearer ")
    assert hooks["TokenAuth"].invocations == int(invoked)


def test_policies_are_cached_per_token_and_checked_against_each_method(gateway, hooks, clock):
    assert call(gateway, "GET", "/analyses/1", "Bearer narrow")[0] == 200
    assert call(gateway, "GET", "/analyses/2", "Bearer narrow")[0] == 200
    assert hooks["TokenAuth"].invocations == 1
    assert call(gateway, "POST", "/analyses", "Bearer narrow")[0] == 403
    assert hooks["TokenAuth"].invocations == 1
    clock.now += 301
    assert call(gateway, "GET", "/analyses/3", "Bearer narrow")[0] == 200
    assert hooks["TokenAuth"].invocations == 2


def test_wildcard_resources_cover_every_method(gateway):
    assert call(gateway, "GET", "/analyses/1", "Bearer wildcard")[0] == 200
    assert call(gateway, "POST", "/analyses", "Bearer wildcard")[0] == 201


def test_routes_with_authorizer_none_are_public(gateway, hooks):
    assert call(gateway, "GET", "/public")[0] == 200
    assert hooks["TokenAuth"].invocations == 0


def test_a_request_authorizer_reads_its_identity_sources_and_is_not_cached(gateway, hooks):
    assert call(gateway, "GET", "/query?apiKey=k1")[0] == 200
    assert call(gateway, "GET", "/query?apiKey=k1")[0] == 200
    assert hooks["QueryAuth"].invocations == 2
    assert call(gateway, "GET", "/query?apiKey=other")[0] == 403
    assert call(gateway, "GET", "/query")[0] == 401
    assert hooks["QueryAuth"].invocations == 3


def test_the_gateway_runs_the_template_authorizers_when_given_no_hook(invoker):
    with Gateway(invoker, port=0) as running:
        assert isinstance(running.settings.authorizer, dict)
        assert isinstance(running.settings.authorizer["TokenAuth"], LambdaAuthorizer)
        assert call(running, "GET", "/analyses/1", "Bearer allow-bob")[0] == 200
        assert call(running, "GET", "/analyses/1", "Bearer deny")[0] == 403
