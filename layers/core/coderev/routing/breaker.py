"""The circuit breaker: a provider that keeps failing is left out for a while.

Closed: calls go. After `failures` consecutive failures (a 5xx, 529, timeout, dropped
connection, refused key; a 429 that names its Retry-After opens at once for that long,
capped), the provider is open for `cooldown_s`: routing leaves it out and says until when.
Then it is half-open: one trial call at a time goes; a success closes it, a failure opens it
again. Invalid output and refused requests say nothing of the provider's health and are not
counted (the router decides what to record).

Two implementations of one port: `InMemoryBreaker` (one process: the CLI, `coderev serve`,
one Lambda sandbox) and `RedisBreaker` (REDIS_URL: every sandbox shares what any of them
saw; one Lua script per update, so concurrent failures are counted exactly once each).
Hand-written rather than a library: pybreaker and friends wrap the call itself and keep
their state in-process or per-call-site, while routing needs to read the state of
providers it is not calling (to explain why it left them out) and to share it via Redis.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import redis

__all__ = ["BreakerState", "CircuitBreaker", "InMemoryBreaker", "RedisBreaker"]

Clock = Callable[[], float]  # epoch seconds: shared state is compared across processes


@dataclass(frozen=True)
class BreakerState:
    """What the breaker knows of one provider. `status`: "closed" | "open" | "half_open";
    `open_until`: epoch seconds the provider stays left out (open only)."""

    provider: str
    status: str
    failures: int = 0
    open_until: float = 0.0
    last_error: str = ""
    last_success_at: float | None = None

    def describe(self, now: float) -> str:
        if self.status == "open":
            return (
                f"circuit open after {self.failures} failure(s) (last: {self.last_error}); "
                f"tried again in {max(0.0, self.open_until - now):.0f} s"
            )
        if self.status == "half_open":
            return "circuit half-open: one trial call at a time"
        return "circuit closed"


class CircuitBreaker(Protocol):
    """Per-provider failure state, read by routing and updated by every call's outcome."""

    def state(self, provider: str) -> BreakerState: ...

    def allow(self, provider: str) -> bool:
        """May a call go to `provider` now? Closed: yes; open: no; half-open: yes for one
        caller at a time (the trial), until it records its outcome or `trial_s` passes."""
        ...

    def record_success(self, provider: str) -> None: ...

    def record_failure(self, provider: str, error: str, *, open_for_s: float | None = None) -> None:
        """Count a failure; `open_for_s`: open now for that long (a 429's Retry-After)."""
        ...


@dataclass
class _Entry:
    failures: int = 0
    open_until: float = 0.0
    last_error: str = ""
    last_success_at: float | None = None
    trial_until: float = 0.0


class InMemoryBreaker:
    """The breaker of one process (thread-safe)."""

    def __init__(
        self,
        *,
        failures: int = 3,
        cooldown_s: float = 30.0,
        trial_s: float = 120.0,
        clock: Clock = time.time,
    ) -> None:
        self.threshold = failures
        self.cooldown_s = cooldown_s
        self.trial_s = trial_s
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def state(self, provider: str) -> BreakerState:
        with self._lock:
            e = self._entries.get(provider, _Entry())
            return _state(
                provider, e.failures, e.open_until, e.last_error, e.last_success_at, self._clock()
            )

    def allow(self, provider: str) -> bool:
        now = self._clock()
        with self._lock:
            e = self._entries.get(provider)
            if e is None or e.open_until == 0.0:
                return True
            if now < e.open_until or now < e.trial_until:
                return False
            e.trial_until = now + self.trial_s
            return True

    def record_success(self, provider: str) -> None:
        with self._lock:
            self._entries[provider] = _Entry(last_success_at=self._clock())

    def record_failure(self, provider: str, error: str, *, open_for_s: float | None = None) -> None:
        now = self._clock()
        with self._lock:
            e = self._entries.setdefault(provider, _Entry())
            e.failures += 1
            e.last_error = error
            e.trial_until = 0.0
            if open_for_s is not None:
                e.open_until = max(e.open_until, now + open_for_s)
            elif e.failures >= self.threshold:
                e.open_until = now + self.cooldown_s


def _state(
    provider: str,
    failures: int,
    open_until: float,
    last_error: str,
    last_success_at: float | None,
    now: float,
) -> BreakerState:
    status = "closed" if open_until == 0.0 else "open" if now < open_until else "half_open"
    return BreakerState(provider, status, failures, open_until, last_error, last_success_at)


# KEYS[1] the provider's hash, KEYS[2] its trial key; ARGV: now, threshold, cooldown_s,
# open_for_s ("" = by count), error, ttl_s. Atomic: concurrent failures each count once.
_RECORD_FAILURE = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local now = tonumber(ARGV[1])
local until_ = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
if ARGV[4] ~= '' then
  until_ = math.max(until_, now + tonumber(ARGV[4]))
elseif failures >= tonumber(ARGV[2]) then
  until_ = now + tonumber(ARGV[3])
end
redis.call('HSET', KEYS[1], 'open_until', tostring(until_), 'last_error', ARGV[5])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[6]))
redis.call('DEL', KEYS[2])
return failures
"""


class RedisBreaker:
    """The breaker shared by every process through Redis: one hash per provider under
    `prefix` (failures, open_until, last_error, last_success_at) and a trial key taken with
    SET NX PX while half-open. Keys expire after `ttl_s` without an update."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "coderev:breaker:",
        failures: int = 3,
        cooldown_s: float = 30.0,
        trial_s: float = 120.0,
        ttl_s: int = 86_400,
        clock: Clock = time.time,
    ) -> None:
        self._redis = client
        self.prefix = prefix
        self.threshold = failures
        self.cooldown_s = cooldown_s
        self.trial_s = trial_s
        self.ttl_s = ttl_s
        self._clock = clock
        self._record_failure = client.register_script(_RECORD_FAILURE)

    @classmethod
    def from_url(cls, url: str, **kwargs: float | int | str | Clock) -> RedisBreaker:
        import redis

        return cls(redis.Redis.from_url(url, decode_responses=True), **kwargs)  # type: ignore[arg-type]

    def _key(self, provider: str) -> str:
        return f"{self.prefix}{provider}"

    def state(self, provider: str) -> BreakerState:
        raw = self._redis.hgetall(self._key(provider))
        fields: dict[str, str] = {_text(k): _text(v) for k, v in raw.items()}
        success = fields.get("last_success_at")
        return _state(
            provider,
            int(fields.get("failures", 0)),
            float(fields.get("open_until", 0.0)),
            fields.get("last_error", ""),
            float(success) if success else None,
            self._clock(),
        )

    def allow(self, provider: str) -> bool:
        state = self.state(provider)
        if state.status == "closed":
            return True
        if state.status == "open":
            return False
        taken = self._redis.set(
            f"{self._key(provider)}:trial", "1", nx=True, px=int(self.trial_s * 1000)
        )
        return bool(taken)

    def record_success(self, provider: str) -> None:
        key = self._key(provider)
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(key, f"{key}:trial")
        pipe.hset(key, mapping={"failures": 0, "open_until": 0.0, "last_success_at": self._clock()})
        pipe.expire(key, self.ttl_s)
        pipe.execute()

    def record_failure(self, provider: str, error: str, *, open_for_s: float | None = None) -> None:
        key = self._key(provider)
        self._record_failure(
            keys=[key, f"{key}:trial"],
            args=[
                self._clock(),
                self.threshold,
                self.cooldown_s,
                "" if open_for_s is None else open_for_s,
                error[:500],
                self.ttl_s,
            ],
        )


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
