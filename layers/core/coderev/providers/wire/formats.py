"""The four wire formats the server speaks, each for a plain JSON reply, a stream of
server-sent events, and an error: OpenAI Chat Completions, OpenAI Responses, Anthropic
Messages, and Hugging Face chat completion (TGI: OpenAI's chunks, its own error shape).

Shapes follow each API's reference as the installed SDKs parse them (see the tests against
the SDKs). Token counts are o200k_base counts of the text (quicktok), so a reply's usage and
count_tokens agree with each other.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["API_NAMES", "Call", "WireApi", "api_for", "count"]

API_NAMES = ("openai-chat", "openai-responses", "anthropic", "hf")


def count(text: str) -> int:
    import quicktok

    return int(quicktok.get_encoding("o200k_base").count(text))


@dataclass(frozen=True, slots=True)
class Call:
    """What a model call asked for, whatever its API."""

    api: str
    model: str
    stream: bool
    system: str
    user: str  # the last user message: what the responder answers
    prompt_text: str  # everything sent, for the input token count
    include_usage: bool = True

    @property
    def input_tokens(self) -> int:
        return count(self.prompt_text)


def _content(value: Any) -> str:
    """A message's content: a string, or a list of text parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(str(p.get("text", "")) for p in value if isinstance(p, dict))
    return ""


def _frame(data: Any, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data) if not isinstance(data, str) else data}\n\n"


class WireApi:
    """One API's shapes. Subclasses fill each in."""

    name = ""
    error_event = "error"

    def parse(self, body: dict[str, Any]) -> Call:
        raise NotImplementedError

    def reply(self, call: Call, text: str, finish: str) -> dict[str, Any]:
        raise NotImplementedError

    def prelude(self, call: Call) -> list[str]:
        return []

    def piece(self, call: Call, text: str, index: int) -> str:
        raise NotImplementedError

    def coda(self, call: Call, text: str, finish: str) -> list[str]:
        raise NotImplementedError

    def error(self, status: int, kind: str, message: str) -> dict[str, Any]:
        raise NotImplementedError

    def stream_error(self, kind: str, message: str) -> str:
        raise NotImplementedError


# --- OpenAI Chat Completions (and the chunks TGI streams) ------------------------------------


class OpenAIChat(WireApi):
    name = "openai-chat"
    _errors: ClassVar[dict[int, str]] = {
        429: "rate_limit_exceeded",
        500: "server_error",
        529: "server_error",
    }

    def parse(self, body: dict[str, Any]) -> Call:
        messages = body.get("messages") or []
        system = "\n".join(_content(m.get("content")) for m in messages
                           if m.get("role") in ("system", "developer"))  # fmt: skip
        users = [_content(m.get("content")) for m in messages if m.get("role") == "user"]
        options = body.get("stream_options") or {}
        return Call(
            api=self.name, model=str(body.get("model") or "model"),
            stream=bool(body.get("stream")), system=system, user=users[-1] if users else "",
            prompt_text="\n".join(_content(m.get("content")) for m in messages),
            include_usage=bool(options.get("include_usage")),
        )  # fmt: skip

    def _base(self, call: Call, kind: str) -> dict[str, Any]:
        return {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": kind,
                "created": int(time.time()), "model": call.model}  # fmt: skip

    def _usage(self, call: Call, text: str) -> dict[str, int]:
        used, made = call.input_tokens, count(text)
        return {"prompt_tokens": used, "completion_tokens": made, "total_tokens": used + made}

    def reply(self, call: Call, text: str, finish: str) -> dict[str, Any]:
        return {**self._base(call, "chat.completion"), "choices": [{
            "index": 0, "finish_reason": finish, "logprobs": None,
            "message": {"role": "assistant", "content": text}}],
            "usage": self._usage(call, text)}  # fmt: skip

    def _chunk(self, call: Call, delta: dict[str, Any], finish: str | None) -> str:
        return _frame({**self._base(call, "chat.completion.chunk"), "choices": [
            {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]})  # fmt: skip

    def prelude(self, call: Call) -> list[str]:
        return [self._chunk(call, {"role": "assistant", "content": ""}, None)]

    def piece(self, call: Call, text: str, index: int) -> str:
        return self._chunk(call, {"content": text}, None)

    def coda(self, call: Call, text: str, finish: str) -> list[str]:
        frames = [self._chunk(call, {}, finish)]
        if call.include_usage:
            usage = {**self._base(call, "chat.completion.chunk"), "choices": [],
                     "usage": self._usage(call, text)}  # fmt: skip
            frames.append(_frame(usage))
        return [*frames, "data: [DONE]\n\n"]

    def error(self, status: int, kind: str, message: str) -> dict[str, Any]:
        code = self._errors.get(status, "invalid_request_error")
        return {"error": {"message": message, "type": code, "param": None, "code": code}}

    def stream_error(self, kind: str, message: str) -> str:
        return _frame({"error": {"message": message, "type": "server_error", "code": None}})


class HuggingFaceChat(OpenAIChat):
    """TGI: OpenAI's chat shapes; errors as {"error": message, "error_type": type}."""

    name = "hf"
    _types: ClassVar[dict[int, str]] = {429: "rate_limit", 529: "overloaded", 503: "overloaded"}

    def error(self, status: int, kind: str, message: str) -> dict[str, Any]:
        return {"error": message, "error_type": self._types.get(status, "generation")}

    def stream_error(self, kind: str, message: str) -> str:
        return _frame({"error": message, "error_type": "overloaded"})


# --- OpenAI Responses -------------------------------------------------------------------------


class OpenAIResponses(WireApi):
    name = "openai-responses"

    def parse(self, body: dict[str, Any]) -> Call:
        given = body.get("input")
        items = [{"role": "user", "content": given}] if isinstance(given, str) else given or []
        users = [_content(i.get("content")) for i in items if i.get("role", "user") == "user"]
        system = str(body.get("instructions") or "")
        return Call(
            api=self.name, model=str(body.get("model") or "model"),
            stream=bool(body.get("stream")), system=system, user=users[-1] if users else "",
            prompt_text="\n".join([system, *(_content(i.get("content")) for i in items)]),
        )  # fmt: skip

    def _response(self, call: Call, text: str | None, status: str) -> dict[str, Any]:
        output = [] if text is None else [{
            "type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}]  # fmt: skip
        made = count(text or "")
        return {
            "id": "resp_1", "object": "response", "created_at": int(time.time()),
            "model": call.model, "status": status, "output": output, "error": None,
            "incomplete_details": None, "parallel_tool_calls": True, "tool_choice": "auto",
            "tools": [], "usage": None if text is None else {
                "input_tokens": call.input_tokens, "output_tokens": made,
                "total_tokens": call.input_tokens + made,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0}},
        }  # fmt: skip

    def reply(self, call: Call, text: str, finish: str) -> dict[str, Any]:
        return self._response(call, text, "completed")

    def prelude(self, call: Call) -> list[str]:
        return [self._event({"type": "response.created",
                             "response": self._response(call, None, "in_progress")})]  # fmt: skip

    def _event(self, data: dict[str, Any]) -> str:
        return _frame(data, str(data["type"]))

    def piece(self, call: Call, text: str, index: int) -> str:
        return self._event({"type": "response.output_text.delta", "sequence_number": index + 1,
                            "item_id": "msg_1", "output_index": 0, "content_index": 0,
                            "delta": text, "logprobs": []})  # fmt: skip

    def coda(self, call: Call, text: str, finish: str) -> list[str]:
        return [
            self._event({"type": "response.output_text.done", "sequence_number": 9998,
                         "item_id": "msg_1", "output_index": 0, "content_index": 0,
                         "text": text, "logprobs": []}),
            self._event({"type": "response.completed", "sequence_number": 9999,
                         "response": self._response(call, text, "completed")}),
        ]  # fmt: skip

    def error(self, status: int, kind: str, message: str) -> dict[str, Any]:
        return OpenAIChat().error(status, kind, message)

    def stream_error(self, kind: str, message: str) -> str:
        return self._event({"type": "error", "sequence_number": 9000, "code": "server_error",
                            "message": message, "param": None})  # fmt: skip


# --- Anthropic Messages -----------------------------------------------------------------------


class AnthropicMessages(WireApi):
    name = "anthropic"
    _types: ClassVar[dict[int, str]] = {400: "invalid_request_error", 401: "authentication_error",
              403: "permission_error", 404: "not_found_error", 429: "rate_limit_error",
              500: "api_error", 529: "overloaded_error"}  # fmt: skip

    def parse(self, body: dict[str, Any]) -> Call:
        system = _content(body.get("system"))
        messages = body.get("messages") or []
        users = [_content(m.get("content")) for m in messages if m.get("role") == "user"]
        return Call(
            api=self.name, model=str(body.get("model") or "model"),
            stream=bool(body.get("stream")), system=system, user=users[-1] if users else "",
            prompt_text="\n".join([system, *(_content(m.get("content")) for m in messages)]),
        )  # fmt: skip

    def _message(self, call: Call, text: str, finish: str | None) -> dict[str, Any]:
        return {
            "id": f"msg_{uuid.uuid4().hex[:12]}", "type": "message", "role": "assistant",
            "model": call.model, "content": [{"type": "text", "text": text}] if text else [],
            "stop_reason": finish, "stop_sequence": None,
            "usage": {"input_tokens": call.input_tokens, "output_tokens": count(text) or 1},
        }  # fmt: skip

    def reply(self, call: Call, text: str, finish: str) -> dict[str, Any]:
        return self._message(call, text, "end_turn" if finish == "stop" else finish)

    def _event(self, data: dict[str, Any]) -> str:
        return _frame(data, str(data["type"]))

    def prelude(self, call: Call) -> list[str]:
        return [
            self._event({"type": "message_start", "message": self._message(call, "", None)}),
            self._event({"type": "content_block_start", "index": 0,
                         "content_block": {"type": "text", "text": ""}}),
            self._event({"type": "ping"}),
        ]  # fmt: skip

    def piece(self, call: Call, text: str, index: int) -> str:
        return self._event({"type": "content_block_delta", "index": 0,
                            "delta": {"type": "text_delta", "text": text}})  # fmt: skip

    def coda(self, call: Call, text: str, finish: str) -> list[str]:
        stop = "end_turn" if finish == "stop" else finish
        return [
            self._event({"type": "content_block_stop", "index": 0}),
            self._event({"type": "message_delta",
                         "delta": {"stop_reason": stop, "stop_sequence": None},
                         "usage": {"output_tokens": count(text)}}),
            self._event({"type": "message_stop"}),
        ]  # fmt: skip

    def error(self, status: int, kind: str, message: str) -> dict[str, Any]:
        return {"type": "error", "error": {"type": self._types.get(status, "api_error"),
                                           "message": message}}  # fmt: skip

    def stream_error(self, kind: str, message: str) -> str:
        return self._event(
            {"type": "error", "error": {"type": "overloaded_error", "message": message}}
        )


def api_for(name: str) -> WireApi:
    apis: dict[str, type[WireApi]] = {
        "openai-chat": OpenAIChat, "openai-responses": OpenAIResponses,
        "anthropic": AnthropicMessages, "hf": HuggingFaceChat,
    }  # fmt: skip
    return apis[name]()
