"""The event API Gateway's REST proxy integration sends (payload format 1.0), built in one
place for the gateway (which fills it from a live request) and for `coderev generate-event`."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ProxyRequest"]

_EMPTY_IDENTITY = (
    "accessKey", "accountId", "apiKey", "apiKeyId", "caller", "clientCert",
    "cognitoAuthenticationProvider", "cognitoAuthenticationType", "cognitoIdentityId",
    "cognitoIdentityPoolId", "principalOrgId", "user", "userArn",
)  # fmt: skip


@dataclass(frozen=True)
class ProxyRequest:
    """One request as API Gateway describes it to a proxy integration."""

    method: str
    path: str  # the request path, without the stage
    resource: str  # the route's template, e.g. /analyses/{id}
    stage: str = "Prod"
    headers: Sequence[tuple[str, str]] = ()
    query: Sequence[tuple[str, str]] = ()
    path_parameters: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    binary: bool = False
    account_id: str = "123456789012"
    api_id: str = "local"
    domain: str = "127.0.0.1:3000"
    resource_id: str = "local"
    request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    request_time: str = "09/Apr/2015:12:34:56 +0000"
    request_epoch_ms: int = 1428582896000
    source_ip: str = "127.0.0.1"
    user_agent: str | None = None
    protocol: str = "HTTP/1.1"

    def event(self) -> dict[str, Any]:
        """The proxy event: single- and multi-value headers and query, body as text or base64."""
        headers: dict[str, str] = {}
        multi_headers: dict[str, list[str]] = {}
        for name, value in self.headers:
            headers[name] = value
            multi_headers.setdefault(name, []).append(value)
        multi_query: dict[str, list[str]] = {}
        for name, value in self.query:
            multi_query.setdefault(name, []).append(value)
        body = None
        if self.body:
            body = base64.b64encode(self.body).decode() if self.binary else self.body.decode()
        return {
            "resource": self.resource,
            "path": self.path,
            "httpMethod": self.method,
            "headers": headers or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": dict(self.path_parameters) or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": self.account_id,
                "apiId": self.api_id,
                "domainName": self.domain,
                "domainPrefix": self.domain.split(":", 1)[0].split(".", 1)[0],
                "extendedRequestId": self.request_id,
                "httpMethod": self.method,
                "identity": {
                    **dict.fromkeys(_EMPTY_IDENTITY),
                    "sourceIp": self.source_ip,
                    "userAgent": self.user_agent,
                },
                "path": f"/{self.stage}{self.path}",
                "protocol": self.protocol,
                "requestId": self.request_id,
                "requestTime": self.request_time,
                "requestTimeEpoch": self.request_epoch_ms,
                "resourceId": self.resource_id,
                "resourcePath": self.resource,
                "stage": self.stage,
            },
            "body": body,
            "isBase64Encoded": self.binary,
        }
