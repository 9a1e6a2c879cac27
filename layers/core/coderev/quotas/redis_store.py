"""QuotaStore on Redis (REDIS_URL): check-and-spend in one round trip, one Lua script.

The script reads every counter of the check, and only when each one with something to spend
has room increments them all (INCRBY, EXPIREAT the window's end plus a grace): Redis runs a
script atomically, so concurrent checks from any number of threads, processes or machines
never admit past a limit, and a denied check spends nothing. It returns the counters' values
before the check; coderev.quotas.counters turns them into the decision, as the SQLite store
does. redis-py's Script sends EVALSHA (EVAL once after a server restart forgot the script).

Every key starts with `prefix` and carries its window in its name, so a new window starts at
zero without a reset, and keys expire by themselves: nothing for housekeeping to sweep. The
keys of one check may live on different Redis Cluster slots; this adapter targets a single
Redis (or a primary with replicas), as the seed's stack runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from coderev.ports import QuotaDecision, QuotaLimit
from coderev.quotas.counters import counters, decide, utc_now
from coderev.quotas.errors import QuotaStoreError

if TYPE_CHECKING:
    import redis

__all__ = ["DEFAULT_PREFIX", "RedisQuotaStore"]

DEFAULT_PREFIX = "coderev:quota:"

# KEYS: the counters; ARGV: limit, amount, expire-at (unix seconds) per counter.
# Returns {1 if spent else 0, value before the check of each counter...}.
_CHECK_AND_SPEND = """
local used = {}
local ok = 1
for i = 1, #KEYS do
  local value = tonumber(redis.call('GET', KEYS[i]) or '0')
  used[i] = value
  local amount = tonumber(ARGV[3 * i - 1])
  if amount > 0 and value + amount > tonumber(ARGV[3 * i - 2]) then ok = 0 end
end
if ok == 1 then
  for i = 1, #KEYS do
    local amount = tonumber(ARGV[3 * i - 1])
    if amount > 0 then
      redis.call('INCRBY', KEYS[i], amount)
      redis.call('EXPIREAT', KEYS[i], ARGV[3 * i])
    end
  end
end
table.insert(used, 1, ok)
return used
"""

# KEYS: the counters; ARGV: the amount to give back to each. Never below zero; a counter
# that does not exist (expired, never spent) is not created.
_REFUND = """
for i = 1, #KEYS do
  local amount = tonumber(ARGV[i])
  local value = tonumber(redis.call('GET', KEYS[i]) or '0')
  if amount > 0 and value > 0 then
    if amount >= value then
      redis.call('SET', KEYS[i], 0, 'KEEPTTL')
    else
      redis.call('DECRBY', KEYS[i], amount)
    end
  end
end
return 1
"""


class RedisQuotaStore:
    """Atomic check-and-spend over every limit of a check, on one Redis."""

    def __init__(self, client: redis.Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self._check = client.register_script(_CHECK_AND_SPEND)
        self._refund = client.register_script(_REFUND)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = DEFAULT_PREFIX) -> RedisQuotaStore:
        """A store on `url` (`redis://` or `rediss://`); it connects on its first check."""
        import redis

        return cls(redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5,
                                        health_check_interval=30), prefix=prefix)  # fmt: skip

    def check_and_spend(
        self,
        limits: tuple[QuotaLimit, ...],
        amounts: Mapping[str, int],
        now: datetime | None = None,
    ) -> QuotaDecision:
        spent = counters(limits, amounts, now or utc_now())
        if not spent:
            return QuotaDecision(True)
        args: list[int] = []
        for counter in spent:
            args += [counter.limit.limit, counter.amount, int(counter.expires_at.timestamp())]
        reply = self._run(self._check, [self.prefix + c.key for c in spent], args)
        used = [int(value) for value in reply[1:]]
        decision = decide(spent, used)
        if decision.allowed != bool(int(reply[0])):  # the script and decide() disagree
            raise QuotaStoreError("the quota script's answer contradicts its counters")
        return decision

    def refund(
        self,
        limits: tuple[QuotaLimit, ...],
        amounts: Mapping[str, int],
        now: datetime | None = None,
    ) -> None:
        """Give back `amounts` to the windows that contain `now` (pass the spend's `now` to
        give back to the windows it spent from); never below zero."""
        given = [c for c in counters(limits, amounts, now or utc_now()) if c.amount > 0]
        if given:
            self._run(self._refund, [self.prefix + c.key for c in given],
                      [c.amount for c in given])  # fmt: skip

    def _run(self, script: Any, keys: list[str], args: list[int]) -> Any:
        import redis

        try:
            return script(keys=keys, args=args)
        except redis.RedisError as exc:
            raise QuotaStoreError(f"the quota store (Redis) failed: {type(exc).__name__}: "
                                  f"{exc}") from exc  # fmt: skip
