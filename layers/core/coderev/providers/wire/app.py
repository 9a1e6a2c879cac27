"""The wire server's WSGI application (werkzeug): routes each API's paths to its format,
takes the next script step, and answers with a reply or the scripted fault.

    POST /v1/chat/completions            OpenAI Chat Completions
    POST /v1/responses                   OpenAI Responses
    POST /v1/messages                    Anthropic Messages
    POST /v1/messages/count_tokens       Anthropic token count (takes no step)
    POST /hf/v1/chat/completions         Hugging Face (TGI) chat completion
    GET  /v1/models, /hf/v1/models       model lists (Anthropic's shape when anthropic-version
                                         is sent), for probes; they take no step

Paths also match without the /v1 prefix (a base URL given without it). `WireApp.seen` lists
every call, with its headers (retry counts, keys), for tests. The app is the handler
pytest-httpserver takes too (`respond_with_handler(app.handle)`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from werkzeug import Request, Response

from coderev.providers.wire.formats import Call, WireApi, api_for
from coderev.providers.wire.script import Fault, Reply, Script

__all__ = ["Responder", "Seen", "WireApp", "empty_review"]

Responder = Callable[[Call], str]
PIECE_CHARS = 16  # characters per streamed piece


def empty_review(call: Call) -> str:
    """The default responder: a valid review reply with nothing to say."""
    return '{"comments": []}'


@dataclass(frozen=True, slots=True)
class Seen:
    api: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)


class WireApp:
    """A scripted model server for every API at once (see the module docstring)."""

    def __init__(self, script: Script | None = None, responder: Responder = empty_review) -> None:
        self.script = script if script is not None else Script()
        self.responder = responder
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        response = self.handle(Request(environ))
        return response(environ, start_response)

    # --- routing ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        hf = path.startswith("/hf/") or path == "/hf"
        tail = path.removeprefix("/hf").removeprefix("/v1")
        if request.method == "GET" and tail == "/models":
            return self._models(request, hf)
        if request.method != "POST":
            return _json({"error": {"message": f"no route for {request.method} {path}"}}, 404)
        if tail == "/messages/count_tokens":
            return self._count_tokens(request)
        name = {"/chat/completions": "hf" if hf else "openai-chat",
                "/responses": "openai-responses", "/messages": "anthropic"}.get(tail)  # fmt: skip
        if name is None:
            return _json({"error": {"message": f"no route for POST {path}"}}, 404)
        api = api_for(name)
        try:
            body = json.loads(request.get_data() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("the body is not a JSON object")
        except ValueError as exc:
            return _json(api.error(400, "invalid_request", f"invalid JSON body: {exc}"), 400)
        self._record(name, request, body)
        return self._answer(api, api.parse(body), self.script.take())

    def _record(self, api: str, request: Request, body: dict[str, Any]) -> None:
        with self._lock:
            self.seen.append(Seen(api, request.path, dict(request.headers), body))

    def _models(self, request: Request, hf: bool) -> Response:
        self._record("models", request, {})
        model = {"id": "scripted", "created": 0}
        if "anthropic-version" in request.headers and not hf:
            return _json({"data": [{**model, "type": "model", "display_name": "Scripted",
                                    "created_at": "2026-01-01T00:00:00Z"}],
                          "has_more": False, "first_id": "scripted",
                          "last_id": "scripted"})  # fmt: skip
        return _json({"object": "list", "data": [{**model, "object": "model",
                                                  "owned_by": "coderev"}]})  # fmt: skip

    def _count_tokens(self, request: Request) -> Response:
        body = json.loads(request.get_data() or b"{}")
        self._record("anthropic-count-tokens", request, body)
        call = api_for("anthropic").parse(body)
        return _json({"input_tokens": call.input_tokens})

    # --- replies and faults -----------------------------------------------------------------

    def _answer(self, api: WireApi, call: Call, step: Reply | Fault | None) -> Response:
        if isinstance(step, Fault):
            return self._fault(api, call, step)
        text = step.text if step is not None and step.text is not None else self.responder(call)
        finish = step.finish_reason if step is not None else "stop"
        if call.stream:
            return _stream(self._frames(api, call, text, finish))
        return _json(api.reply(call, text, finish))

    def _frames(
        self, api: WireApi, call: Call, text: str, finish: str, *, after: int | None = None,
        then: Callable[[], Iterator[str]] | None = None, delay_s: float = 0.0,
    ) -> Iterator[str]:  # fmt: skip
        yield from api.prelude(call)
        if delay_s:
            time.sleep(delay_s)
        pieces = [text[i : i + PIECE_CHARS] for i in range(0, len(text), PIECE_CHARS)] or [""]
        for index, piece in enumerate(pieces):
            if index == after and then is not None:
                break
            yield api.piece(call, piece, index)
        else:
            if then is None:
                yield from api.coda(call, text, finish)
                return
        if then is not None:  # after `after` pieces, or all of a shorter reply
            yield from then()

    def _fault(self, api: WireApi, call: Call, fault: Fault) -> Response:
        message = fault.message or {
            "rate_limit": "Rate limit reached for requests; scripted by the wire server",
            "server_error": "The server had an error while processing your request (scripted)",
            "overloaded": "Overloaded (scripted)",
        }.get(fault.kind, f"scripted {fault.kind}")
        if fault.kind in ("rate_limit", "server_error", "overloaded"):
            status = fault.status or {"rate_limit": 429, "server_error": 500,
                                      "overloaded": 529}[fault.kind]  # fmt: skip
            headers = {}
            if fault.kind == "rate_limit":
                wait = 1.0 if fault.retry_after is None else fault.retry_after
                headers = {"retry-after": f"{wait:g}", "retry-after-ms": f"{wait * 1000:g}"}
            return _json(api.error(status, fault.kind, message), status, headers)
        text = fault.text if fault.text is not None else self.responder(call)
        if fault.kind == "malformed_json":
            if call.stream:
                # named, so that SDKs reading only named events (anthropic) read it too
                broken = 'event: content_block_delta\ndata: {"choices": [{"delta": \n\n'
                return _stream(iter([*api.prelude(call), broken]))
            return Response('{"id": "scripted", "choices": [', 200,
                            content_type="application/json")  # fmt: skip
        if fault.kind == "slow_first_token":
            if call.stream:
                return _stream(self._frames(api, call, text, "stop", delay_s=fault.delay_s))
            time.sleep(fault.delay_s)
            return _json(api.reply(call, text, "stop"))
        if fault.kind == "stream_error":
            announced = api.stream_error("overloaded", message)
            return _stream(
                self._frames(api, call, text, "stop", after=fault.after,
                             then=lambda: iter([announced]))
            )  # fmt: skip
        if call.stream:
            return _stream(self._frames(api, call, text, "stop", after=fault.after, then=_drop))
        whole = json.dumps(api.reply(call, text, "stop"))
        return _stream(_then_drop(whole[: len(whole) // 2]), content_type="application/json")


def _then_drop(sent: str) -> Iterator[str]:
    yield sent
    yield from _drop()


def _drop() -> Iterator[str]:
    """Ends the response mid-body: werkzeug closes the connection on a ConnectionError without
    the closing chunk, which a client reads as a dropped connection."""
    raise ConnectionAbortedError("scripted disconnect")
    yield ""  # pragma: no cover  (a generator)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status, headers=headers, content_type="application/json")


def _stream(frames: Iterator[str], content_type: str = "text/event-stream") -> Response:
    def encoded() -> Iterator[bytes]:
        for frame in frames:
            yield frame.encode("utf-8")

    response = Response(encoded(), 200, content_type=content_type)
    response.headers["Cache-Control"] = "no-cache"
    return response
