"""The OpenAPI document and the Swagger UI page of a Powertools resolver, built on request.

Powertools' `enable_swagger` imports its OpenAPI models (some 40 ms of pydantic class
building) when it is called, that is at import of the handler, for a page nobody asked for
yet. Here the document is generated the first time /openapi.json or /swagger is requested,
then kept for the life of the process (routes never change after import). The page is
Powertools' own (its `generate_swagger_html` and bundled Swagger UI assets), with the
document inlined, and `?format=json` answering the document as Powertools' page expects.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

__all__ = ["openapi_json", "swagger_html"]


@cache
def openapi_json(app: ApiGatewayResolver, title: str) -> str:
    """The OpenAPI 3 document of `app`'s routes, as JSON; generated once per process."""
    return app.get_openapi_json_schema(title=title)


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
