"""A local server speaking the model providers' wire formats, scripted with replies and faults.

OpenAI Chat Completions and Responses, Anthropic Messages and count_tokens, and Hugging Face
(TGI) chat completion, each plain and streamed (server-sent events), answering from a
`Script` of replies and faults (429 with Retry-After, 500, 529, a slow first token, a
disconnect mid-stream, an error event mid-stream, malformed JSON) and then from a responder.
The real SDKs are tested against it, and `coderev model-server` runs it for demos: point
OPENAI_BASE_URL (url/v1), ANTHROPIC_BASE_URL (url) or CODEREV_HF_ENDPOINT_URL (url/hf) at it.

A development tool: it needs werkzeug, and the Lambda layer leaves it out.
"""

from __future__ import annotations

from coderev.providers.wire.app import Responder, Seen, WireApp, empty_review
from coderev.providers.wire.formats import Call
from coderev.providers.wire.script import FAULTS, Fault, Reply, Script, load_script
from coderev.providers.wire.server import WireServer

__all__ = [
    "FAULTS",
    "Call",
    "Fault",
    "Reply",
    "Responder",
    "Script",
    "Seen",
    "WireApp",
    "WireServer",
    "empty_review",
    "load_script",
]
