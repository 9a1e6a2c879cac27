"""Errors of the experiments room. Entry points map them by type (404, 409, 422, 503)."""

from __future__ import annotations

from coderev.domain.errors import CoderevError, ConflictError, InputError, NotFoundError

__all__ = [
    "ConfigurationNotFoundError",
    "ExperimentNotFoundError",
    "ExperimentStoreError",
    "ExperimentsError",
    "IllegalTransitionError",
    "InvalidExperimentError",
]


class ExperimentsError(CoderevError):
    """Base of the experiments room's errors."""


class ConfigurationNotFoundError(ExperimentsError, NotFoundError):
    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"no review configuration {ref!r}")


class ExperimentNotFoundError(ExperimentsError, NotFoundError):
    def __init__(self, experiment_id: str) -> None:
        self.experiment_id = experiment_id
        super().__init__(f"no experiment {experiment_id!r}")


class IllegalTransitionError(ExperimentsError, ConflictError):
    """The lifecycle does not allow this step from the experiment's state (409)."""

    def __init__(self, experiment_id: str, state: str, verb: str, allowed: tuple[str, ...]) -> None:
        self.experiment_id = experiment_id
        self.state = state
        self.verb = verb
        can = ", ".join(allowed) if allowed else "nothing (a final state)"
        super().__init__(
            f"experiment {experiment_id!r} is {state}: it cannot be {verb}; from {state} it "
            f"can be {can}"
        )


class InvalidExperimentError(ExperimentsError, InputError):
    """A configuration, experiment plan or feedback breaks a rule (422)."""


class ExperimentStoreError(ExperimentsError):
    """The database holding the experiments cannot be used."""
