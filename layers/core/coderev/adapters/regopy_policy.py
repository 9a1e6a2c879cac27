"""The PolicyEngine in-process: Rego evaluated by regopy (rego-cpp) from a compiled bundle.

The policy modules are compiled once per document path into a bundle (`Interpreter.build`
with the path as its entrypoint) and each decision queries that bundle's entrypoint: no
parsing per decision, and a rule evaluating to false is false, not "undefined" as a plain
query of a partially-defined document would be. One interpreter, used under a lock: rego-cpp
interpreters are not documented as safe to share between threads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from coderev.policy.decision import UNDEFINED, decision_from
from coderev.policy.errors import PolicyEngineError

if TYPE_CHECKING:
    from regopy import Bundle, Interpreter

    from coderev.ports import Decision

__all__ = ["RegoPolicyEngine"]


class RegoPolicyEngine:
    """Decides with regopy on `modules` (file name -> Rego source)."""

    def __init__(self, modules: Mapping[str, str]):
        self.modules = dict(modules)
        self._lock = threading.Lock()
        self._interpreter: Interpreter | None = None
        self._bundles: dict[str, Bundle] = {}

    def decide(self, path: str, input: Mapping[str, Any]) -> Decision:
        from regopy import Input

        with self._lock:
            bundle = self._bundle(path)
            interpreter = self._runner()
            interpreter.set_input(Input(dict(input)))
            output = interpreter.query_bundle_entrypoint(bundle, path)
            if not output.ok():
                raise PolicyEngineError(f"regopy could not evaluate {path}: {output}")
            results = output.results
            value = results[0].expressions[0] if results and results[0].expressions else None
        return UNDEFINED if value is None else decision_from(value)

    def _runner(self) -> Interpreter:
        if self._interpreter is None:
            from regopy import Interpreter

            self._interpreter = Interpreter()
        return self._interpreter

    def _bundle(self, path: str) -> Bundle:
        bundle = self._bundles.get(path)
        if bundle is None:
            from regopy import Interpreter

            builder = Interpreter()
            for name, source in self.modules.items():
                builder.add_module(name, source)
            bundle = builder.build(None, [path.strip("/")])
            if not bundle.ok():
                raise PolicyEngineError(f"the Rego policies do not compile for {path}: "
                                        f"{json.dumps(str(bundle.node()))[:500]}")  # fmt: skip
            self._bundles[path] = bundle
        return bundle
