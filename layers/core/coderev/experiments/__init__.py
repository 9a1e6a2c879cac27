"""Experiments: review configurations, experiments comparing a candidate configuration with
the one in force, their lifecycle, both arms' observations, and feedback on review comments.

- `model`: ReviewConfiguration (versioned, never changed), Experiment with its plan and
  population, Transition, Observation, Feedback; `lifecycle`: the allowed steps (409 else);
- `service.Experiments`: the use cases (each step a CloudEvent `coderev.experiment.<verb>` and
  an audit entry); `arms`: live traffic split sticky by project (the router's hook);
- `feedback`: verdicts on review comments (accepted / dismissed / wrong) and acceptance per
  rule, model and configuration; the rules shown collapsed in a project's reports;
- `offline`: both configurations replayed on the labelled precision corpus as paired
  observations;
- `repository`: the port; `sql_repository` + `tables`: the `experiments_v1` schema (not
  imported here: importing the room costs no SQLAlchemy).
"""

from __future__ import annotations

from coderev.experiments.errors import (
    ConfigurationNotFoundError,
    ExperimentNotFoundError,
    ExperimentsError,
    ExperimentStoreError,
    IllegalTransitionError,
    InvalidExperimentError,
)
from coderev.experiments.model import (
    ConfigurationSpec,
    Experiment,
    ExperimentPlan,
    Feedback,
    Observation,
    Population,
    ReviewConfiguration,
    Transition,
)

__all__ = [
    "ConfigurationNotFoundError",
    "ConfigurationSpec",
    "Experiment",
    "ExperimentNotFoundError",
    "ExperimentPlan",
    "ExperimentStoreError",
    "ExperimentsError",
    "Feedback",
    "IllegalTransitionError",
    "InvalidExperimentError",
    "Observation",
    "Population",
    "ReviewConfiguration",
    "Transition",
]
