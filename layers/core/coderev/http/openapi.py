"""The OpenAPI document and the Swagger UI page of a Powertools resolver, built on request.

Powertools' `enable_swagger` imports its OpenAPI models (some 40 ms of pydantic class
building) when it is called, that is at import of the handler, for a page nobody asked for
yet. Here the document is generated the first time /openapi.json or /swagger is requested,
then kept for the life of the process (routes never change after import). The page is
Powertools' own (its `generate_swagger_html` and bundled Swagger UI assets), with the
document inlined, and `?format=json` answering the document as Powertools' page expects.

Three things Powertools cannot say from the routes are added to its document here: the
security scheme every route is behind (`with_bearer_security`: a bearer token or an API
key), the raw
archive body of POST /analyses (its handler reads the body itself) and the removal of
Powertools' own validation-error schemas, which no answer uses since every 422 is the API's
`ErrorView` (coderev.http.error_handlers).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

__all__ = ["BEARER_SCHEME", "openapi_json", "swagger_html", "with_bearer_security"]


@cache
def openapi_json(app: ApiGatewayResolver, title: str) -> str:
    """The OpenAPI 3 document of `app`'s routes, as JSON; generated once per process."""
    from coderev.http.models import UPLOAD_REQUEST_BODY

    document = json.loads(app.get_openapi_json_schema(title=title))
    upload = document.get("paths", {}).get("/analyses", {}).get("post")
    if upload is not None:
        upload["requestBody"] = UPLOAD_REQUEST_BODY
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ResponseValidationError", "ValidationError"):
        if f'"#/components/schemas/{unused}"' not in json.dumps(document):  # referrers first
            schemas.pop(unused, None)
    # every route is behind the authorizer (a bearer token or an API key)
    return with_bearer_security(json.dumps(document, indent=2))


@cache
def swagger_html(app: ApiGatewayResolver, title: str) -> str:
    """A self-contained Swagger UI page showing `app`'s document; generated once."""
    import aws_lambda_powertools.event_handler.openapi.swagger_ui as swagger_ui
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    assets = Path(swagger_ui.__file__).parent
    script = (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    style = (assets / "swagger-ui.min.css").read_text(encoding="utf-8")
    document = openapi_json(app, title).replace("</", "<\\/")  # never closes the <script>
    return generate_swagger_html(document, script, style, "", None)


BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT access token, or an API key crk_...",
    "description": "Authorization: Bearer <access token from /auth/login, or an API key>",
}


@cache
def with_bearer_security(document: str, *, public: frozenset[str] = frozenset()) -> str:
    """`document` with the `bearerAuth` security scheme required on every operation whose
    path is not in `public` (an empty requirement there: no credential needed)."""
    parsed = json.loads(document)
    parsed.setdefault("components", {}).setdefault("securitySchemes", {})["bearerAuth"] = (
        BEARER_SCHEME
    )
    for path, operations in parsed.get("paths", {}).items():
        for operation in operations.values():
            if isinstance(operation, dict):
                operation["security"] = [] if path in public else [{"bearerAuth": []}]
    return json.dumps(parsed, indent=2)
