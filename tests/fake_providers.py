"""A fake ModelProvider and its builder, for tests of the catalog, the health probe and the
providers functions (`coderev.providers.sdk.build_provider`'s signature; no network).

`FakeBuilder` records every client it builds with the arguments it got (the key included, so
a test can check which key a client would send), and each client answers `probe` with
what `outcomes[name]` says: True, or an error text (which may quote the key, as a careless SDK
message could: the catalog must redact it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coderev.ports import ChatMessage, Completion, CompletionRequest, ProbeResult


@dataclass
class FakeProvider:
    name: str
    kind: str
    api_key: str | None
    base_url: str | None
    timeout_s: float
    max_retries: int
    outcome: bool | str = True
    probed: list[str] = field(default_factory=list)

    def complete(self, request: CompletionRequest) -> Completion:
        return Completion(provider=self.kind, model=request.model, text="{}", input_tokens=1,
                          output_tokens=1, latency_ms=1.0)  # fmt: skip

    def count_tokens(self, model: str, system: str, messages: tuple[ChatMessage, ...]) -> int:
        return len(system) // 4 + sum(len(m.content) for m in messages) // 4

    def probe(self, model: str) -> ProbeResult:
        self.probed.append(model)
        if self.outcome is True:
            return ProbeResult(ok=True, latency_ms=12.5)
        return ProbeResult(ok=False, latency_ms=30.0, error=str(self.outcome))


@dataclass
class FakeBuilder:
    outcomes: dict[str, bool | str] = field(default_factory=dict)
    built: list[FakeProvider] = field(default_factory=list)

    def __call__(self, kind: str, **kwargs: Any) -> FakeProvider:
        name = kwargs.get("name") or kind
        client = FakeProvider(name=name, kind=kind, api_key=kwargs.get("api_key"),
                              base_url=kwargs.get("base_url"), timeout_s=kwargs["timeout_s"],
                              max_retries=kwargs["max_retries"],
                              outcome=self.outcomes.get(name, True))  # fmt: skip
        self.built.append(client)
        return client
