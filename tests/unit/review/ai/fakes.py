"""The AI review's unit tests run the real Router over fake providers (no network): a
scripted model answering coderev's prompt (coderev.review.ai.scripted), after any faults
it is told to give first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tests.unit.routing.fakes import FakeCatalog, FakeClock, MemoryQuotaStore, model

from coderev.ports import ChatMessage, Completion, CompletionRequest, ModelInfo, ProbeResult
from coderev.review.ai.scripted import scripted_reply
from coderev.routing import Router


@dataclass
class ScriptedModel:
    """A ModelProvider: raises `faults` in turn, then answers with `replies` in turn (its last
    one repeated), or, without replies, as the scripted model does."""

    name: str
    faults: list[Exception] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    requests: list[CompletionRequest] = field(default_factory=list)

    def complete(self, request: CompletionRequest) -> Completion:
        self.requests.append(request)
        if self.faults:
            raise self.faults.pop(0)
        if self.replies:
            text = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        else:
            text = scripted_reply(request.messages[0].content, f"{self.name}:{request.model}")
        tokens = len(request.system + request.messages[0].content) // 4
        return Completion(self.name, request.model, text, tokens, 120, 25.0, "stop")

    def count_tokens(self, model: str, system: str, messages: tuple[ChatMessage, ...]) -> int:
        return 0

    def probe(self, model: str) -> ProbeResult:
        return ProbeResult(True, 1.0)


def two_models() -> tuple[ModelInfo, ModelInfo]:
    """An OpenAI model, then a dearer Anthropic one (the default rule: cheapest first)."""
    return (model("openai", "gpt-test", price=(1.0, 4.0)),
            model("anthropic", "claude-test", price=(3.0, 15.0)))  # fmt: skip


def router_over(models: Iterable[ModelInfo], *providers: ScriptedModel) -> Router:
    catalog = FakeCatalog(models, {p.name: p for p in providers})
    clock = FakeClock()
    return Router(catalog, MemoryQuotaStore(), clock=clock, sleep=clock.sleep)
