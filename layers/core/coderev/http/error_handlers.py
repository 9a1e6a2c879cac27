"""The analyses API's exception handlers: every status a route answers has one body,
`{"error": <type>, "message": <short human sentence>}` (`models.ErrorView`).

- coderev's errors: by type through `coderev.http.errors` (the one status table);
- Powertools' request validation (422; its own body is `{"statusCode", "detail"}`): the
  first invalid parameter and why, in a sentence (`ValidationError`); a body that is not
  UTF-8 (which Powertools lets through as a UnicodeDecodeError) the same way;
- no such route (404 `NotFound`); anything unexpected (500 `InternalError`): the stack trace
  goes to the log, with the request id the client got in `x-amzn-RequestId`, never to it.

Installed on the resolver by the function (`install`); the error table and the formatting are
imported when an error is to be answered, not at cold start. A function answering both API
Gateway and direct invocations with one body model (quota_check, model_router, comparison)
dispatches with `proxy_or_direct` and reads a direct event with `direct_request`, whose error
says what the HTTP route's 422 would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from coderev.domain.errors import CoderevError

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
    from pydantic import BaseModel

__all__ = ["direct_request", "install", "proxy_or_direct", "validation_message"]

_INTERNAL = "the server failed on this request; it is logged with the request id"
_WHERE = {"path": "path parameter", "query": "query parameter", "header": "header",
          "body": "body"}  # fmt: skip


def _answer(status: int, error: str, message: str) -> Response[dict[str, str]]:
    return Response(status, "application/json", {"error": error, "message": message})


def validation_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """`query parameter lint_config: String should match pattern ...` for the first error
    (pydantic's `msg` names the rule broken, never a file or a class), and how many more."""
    if not errors:
        return "the request is invalid"
    first = errors[0]
    location = [str(part) for part in first.get("loc", ())]
    where = _WHERE.get(location[0], location[0]) if location else "request"
    name = " ".join(location[1:2])
    message = f"{where} {name}: {first.get('msg') or 'invalid value'}".replace("  ", " ")
    more = len(errors) - 1
    return message + (f" (and {more} more)" if more else "")


def install(app: ApiGatewayResolver, logger: Logger, metrics: Metrics) -> None:
    """Register the handlers on `app`; see the module docstring."""
    from coderev.service.observability import count_outcome

    @app.exception_handler(CoderevError)  # type: ignore[untyped-decorator]
    def coderev_error(error: CoderevError) -> Response[dict[str, str]]:
        from coderev.http.errors import error_body, status_for

        count_outcome(metrics, type(error).__name__)
        status = status_for(error)
        if status >= 500:
            logger.exception("request failed on %s", type(error).__name__)
        retry = getattr(error, "retry_after_s", None)
        headers = {"Retry-After": str(int(retry))} if status == 429 and retry else None
        return Response(status, "application/json", error_body(error), headers=headers)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def invalid_request(error: RequestValidationError) -> Response[dict[str, str]]:
        return _answer(422, "ValidationError", validation_message(list(error.errors())))

    @app.exception_handler(UnicodeDecodeError)  # type: ignore[untyped-decorator]
    def undecodable_body(_error: UnicodeDecodeError) -> Response[dict[str, str]]:
        # a body that is not UTF-8 never reaches JSON parsing (Powertools answers invalid
        # JSON with its validation error, but lets a decoding error through)
        return _answer(422, "ValidationError", "body: not UTF-8 text, so not JSON")

    @app.not_found
    def not_found(_error: NotFoundError) -> Response[dict[str, str]]:
        event = app.current_event
        return _answer(404, "NotFound", f"no route {event.http_method} {event.path}")

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def unexpected(_error: Exception) -> Response[dict[str, str]]:
        logger.exception("request failed")  # the trace, with the request's correlation id
        return _answer(500, "InternalError", _INTERNAL)


def direct_request[M: BaseModel](
    model: type[M], event: Any, error: Callable[[str], Exception]
) -> M:
    """A direct invocation's event as `model`; raises `error(message)`, with the message the
    same request answers over HTTP (422), when it does not validate."""
    from pydantic import ValidationError

    try:
        return model.model_validate(event)
    except ValidationError as exc:
        located = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise error(validation_message(located)) from None


def proxy_or_direct(
    app: ApiGatewayResolver,
    metrics: Metrics,
    event: dict[str, Any],
    context: Any,
    direct: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """An API Gateway proxy event through `app` (its status counted as an outcome), any other
    event through `direct`."""
    if "httpMethod" in event and "requestContext" in event:
        from coderev.service.observability import count_outcome

        response: dict[str, Any] = app.resolve(event, context)
        count_outcome(metrics, f"Status{response['statusCode']}")
        return response
    return direct(event)
