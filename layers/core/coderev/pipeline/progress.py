"""How the pipeline reports progress, without knowing who listens (a terminal, a log, nobody)."""

from __future__ import annotations

from typing import Protocol


class ProgressSink(Protocol):
    def stage(self, name: str, total: int | None = None) -> None:
        """A new stage begins; `total` units of work when known."""

    def advance(self, units: int = 1) -> None:
        """`units` more of the current stage are done."""


class SilentProgress:
    def stage(self, name: str, total: int | None = None) -> None:
        return None

    def advance(self, units: int = 1) -> None:
        return None
