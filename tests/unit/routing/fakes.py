"""Fakes for routing tests: a catalog of scripted providers, an in-memory quota store, and a
clock whose sleep advances it (no test waits for real time)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from coderev.domain.errors import NotFoundError
from coderev.ports import (
    ChatMessage,
    Completion,
    CompletionRequest,
    ModelInfo,
    ProbeResult,
    ProviderHealth,
    QuotaDecision,
    QuotaLimit,
)


class FakeClock:
    """Epoch seconds; `sleep` records the wait and moves the clock on by it."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def reply(text: str = '{"comments": []}', *, tokens: tuple[int, int] = (1000, 200)) -> Completion:
    return Completion("x", "x", text, tokens[0], tokens[1], 5.0)


@dataclass
class ScriptedProvider:
    """Answers each complete() with the next scripted Completion or raises the next error;
    once the script is used up, repeats its last entry."""

    name: str
    script: list[Completion | Exception]
    requests: list[CompletionRequest] = field(default_factory=list)

    def complete(self, request: CompletionRequest) -> Completion:
        self.requests.append(request)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        return Completion(
            self.name,
            request.model,
            step.text,
            step.input_tokens,
            step.output_tokens,
            step.latency_ms,
        )

    def count_tokens(self, model: str, system: str, messages: tuple[ChatMessage, ...]) -> int:
        return 0

    def probe(self, model: str) -> ProbeResult:
        return ProbeResult(True, 1.0)


class FakeCatalog:
    def __init__(
        self,
        models: Iterable[ModelInfo],
        providers: Mapping[str, object] = (),
        health: Mapping[str, ProviderHealth] | None = None,
    ) -> None:
        self._models = tuple(models)
        self.providers = dict(providers)
        self.health_rows = dict(health or {})

    def models(self) -> tuple[ModelInfo, ...]:
        return self._models

    def provider(self, name: str) -> ScriptedProvider:
        if name not in self.providers:
            raise NotFoundError(f"no enabled provider {name!r}")
        return self.providers[name]  # type: ignore[return-value]

    def health(self) -> Mapping[str, ProviderHealth]:
        return self.health_rows


class MemoryQuotaStore:
    """Check-and-spend over counters that never reset (one window is enough for routing)."""

    def __init__(self) -> None:
        self.used: dict[tuple[str, str, str], int] = {}
        self.calls: list[tuple[str, dict[str, int]]] = []
        self._lock = threading.Lock()

    def check_and_spend(
        self,
        limits: tuple[QuotaLimit, ...],
        amounts: Mapping[str, int],
        now: datetime | None = None,
    ) -> QuotaDecision:
        with self._lock:
            self.calls.append(("spend", dict(amounts)))
            for limit in limits:
                key = (limit.scope, limit.metric, limit.window)
                if self.used.get(key, 0) + amounts.get(limit.metric, 0) > limit.limit:
                    return QuotaDecision(False, retry_after_s=42.0, denied_by=limit)
            for limit in limits:
                key = (limit.scope, limit.metric, limit.window)
                self.used[key] = self.used.get(key, 0) + amounts.get(limit.metric, 0)
            return QuotaDecision(True)

    def refund(
        self,
        limits: tuple[QuotaLimit, ...],
        amounts: Mapping[str, int],
        now: datetime | None = None,
    ) -> None:
        with self._lock:
            self.calls.append(("refund", dict(amounts)))
            for limit in limits:
                key = (limit.scope, limit.metric, limit.window)
                self.used[key] = max(0, self.used.get(key, 0) - amounts.get(limit.metric, 0))


def model(
    provider: str,
    name: str,
    *,
    tier: str = "standard",
    kind: str | None = None,
    price: tuple[float, float] = (1.0, 4.0),
    context: int = 128_000,
    enabled: bool = True,
) -> ModelInfo:
    return ModelInfo(
        provider=provider,
        kind=kind or provider,
        model=name,
        tier=tier,
        context_window=context,
        input_usd_per_mtok=price[0],
        output_usd_per_mtok=price[1],
        enabled=enabled,
    )


def health(provider: str, ok: bool, at: float, error: str = "") -> ProviderHealth:
    return ProviderHealth(
        provider,
        ok,
        datetime.fromtimestamp(at).astimezone(),
        error=error or None,
        consecutive_failures=0 if ok else 2,
    )
