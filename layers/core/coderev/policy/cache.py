"""Memoised decisions: a decision is a pure function of the policy and its input, so the same
input (the same roles, tenant, kind, scopes and action) is decided once per process.

Why hand-written rather than functools.lru_cache: the key is the input's canonical JSON (an
input is a dict), and an engine error must not be cached. Bounded (LRU) and thread-safe.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from coderev.ports import Decision, PolicyEngine

__all__ = ["CachedPolicyEngine"]


class CachedPolicyEngine:
    """A PolicyEngine answering repeated inputs from memory (at most `size` of them)."""

    def __init__(self, engine: PolicyEngine, size: int = 4096):
        self.engine = engine
        self.size = size
        self._memo: OrderedDict[str, Decision] = OrderedDict()
        self._lock = threading.Lock()

    def decide(self, path: str, input: Mapping[str, Any]) -> Decision:
        key = path + "\0" + json.dumps(input, sort_keys=True, separators=(",", ":"))
        with self._lock:
            found = self._memo.get(key)
            if found is not None:
                self._memo.move_to_end(key)
                return found
        decision = self.engine.decide(path, input)
        with self._lock:
            self._memo[key] = decision
            if len(self._memo) > self.size:
                self._memo.popitem(last=False)
        return decision
