"""Offline evaluation: both configurations of an experiment replayed on a labelled evaluation
set (the precision corpus, benchmarks/precision), kept as paired observations.

Each arm reviews every corpus project as its configuration says (`configured.review_options`);
`coderev.comparison.offline.replay` scores the two reports file by file against the labels
(precision, false-positive share, useful findings kept, comment precision, unlabelled share,
each as [numerator, denominator]); each file is one task with both arms' values, recorded as
`offline` observations of the experiment. `Experiments.comparison_request` then hands them to
the comparison. Reviewing is injected (`Review`): the CLI reviews the pinned sdists, a test
passes its own reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coderev.auth.principal import Principal
    from coderev.domain.source import SourceTree
    from coderev.experiments.model import ReviewConfiguration
    from coderev.experiments.service import Experiments
    from coderev.pipeline.options import ReviewOptions

__all__ = ["OfflineOutcome", "Review", "evaluate_offline", "sdist_review"]

Review = Callable[["ReviewConfiguration", str], Mapping[str, Any]]
"""(configuration, corpus project) -> that configuration's report.json of the project."""


@dataclass(frozen=True, slots=True)
class OfflineOutcome:
    tasks: int  # files both arms were scored on
    recorded: int  # observations newly kept (a re-run keeps the first ones)
    totals: dict[str, dict[str, list[float]]]  # metric -> arm -> pooled [num, den]


def evaluate_offline(
    service: Experiments,
    principal: Principal,
    experiment_id: str,
    corpus: Path,
    projects: Sequence[str],
    review: Review,
    top: int = 20,
) -> OfflineOutcome:
    """Replay both arms on `projects` of the corpus in `corpus` (findings.csv, comments.csv)."""
    from coderev.comparison.offline import load_labels, replay

    experiment = service.get(principal.tenant, experiment_id)
    arms = {arm: service.configuration(principal.tenant, ref)
            for arm, ref in (("baseline", experiment.baseline),
                             ("candidate", experiment.candidate))}  # fmt: skip
    reports = {arm: {p: review(config, p) for p in projects} for arm, config in arms.items()}
    replayed = replay(load_labels(corpus), reports["baseline"], reports["candidate"], top)
    totals: dict[str, dict[str, list[float]]] = {}
    recorded = 0
    for i, task in enumerate(replayed.tasks):
        for arm in ("baseline", "candidate"):
            values = {}
            for name, metric in replayed.metrics.items():
                num, den = (float(x) for x in getattr(metric, arm)[i])
                values[name] = [num, den]
                pooled = totals.setdefault(name, {}).setdefault(arm, [0.0, 0.0])
                pooled[0] += num
                pooled[1] += den
            recorded += service.record(
                principal.tenant, experiment.id, source="offline", task=task, arm=arm,
                metrics=values, project=task.partition(":")[0],
            )  # fmt: skip
    return OfflineOutcome(len(replayed.tasks), recorded, totals)


def sdist_review(
    sources: Mapping[str, Path],
    load: Callable[[Path], SourceTree] | None = None,
    base: ReviewOptions | None = None,
) -> Review:
    """Review corpus projects from their archives (project -> sdist path), as a configuration
    says, in this process; each (configuration, project) once. `base`: the options under the
    configuration's (an AI configuration reaches models through `base.models`)."""
    cache: dict[tuple[str, str], Mapping[str, Any]] = {}

    def review(config: ReviewConfiguration, project: str) -> Mapping[str, Any]:
        key = (config.digest, project)
        if key not in cache:
            from coderev.analysis.archive import read_source
            from coderev.experiments.configured import review_options
            from coderev.pipeline.run import run_review
            from coderev.reports.json_format import to_json_dict

            tree = (load or read_source)(sources[project])
            result = run_review(tree, review_options(config.spec, tree, base))
            cache[key] = to_json_dict(result)
        return cache[key]

    return review
