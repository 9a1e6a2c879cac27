"""compare(): the paired tests, the seeded bootstrap, the recommendation and its JSON, and
the whole path (real statistics at every look) holding alpha under the null."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from coderev.comparison import (
    KNOWN_METRICS,
    ComparisonPlan,
    InvalidComparisonRequestError,
    PairedMetric,
    SequentialPlan,
    compare,
)
from coderev.comparison.models import ComparisonRequest
from coderev.comparison.paired import mcnemar, ratio_delta, wilcoxon_signed_rank


def _ratio(rng: np.random.Generator, n: int, p_a: float, p_b: float) -> PairedMetric:
    labelled = rng.integers(1, 10, size=n).astype(float)
    a = np.column_stack([rng.binomial(labelled.astype(int), p_a), labelled])
    b = np.column_stack([rng.binomial(labelled.astype(int), p_b), labelled])
    return PairedMetric(KNOWN_METRICS["precision"], a.astype(float), b.astype(float))


def _continuous(
    rng: np.random.Generator, n: int, shift: float, name: str = "cost_usd"
) -> PairedMetric:
    a = rng.gamma(2.0, 1.0, size=n)
    return PairedMetric(KNOWN_METRICS[name], a, a + rng.normal(shift, 0.5, size=n))


def _binary(rng: np.random.Generator, n: int, p_a: float, p_b: float) -> PairedMetric:
    return PairedMetric(
        KNOWN_METRICS["failed"],
        (rng.random(n) < p_a).astype(float),
        (rng.random(n) < p_b).astype(float),
    )


def test_mcnemar_is_exact_on_few_discordant_pairs_and_z_beyond() -> None:
    a = np.array([1] * 8 + [0] * 2 + [1] * 30)
    b = np.array([0] * 8 + [1] * 2 + [1] * 30)
    few = mcnemar(a, b)  # 2 for the candidate, 8 for the baseline
    assert few.test == "mcnemar-exact"
    assert few.p_value == pytest.approx(stats.binomtest(2, 10, 0.5).pvalue)
    assert few.z < 0 and few.effect_sizes["odds_ratio"] == pytest.approx(0.25)
    many = mcnemar(np.repeat(a, 3), np.repeat(b, 3))
    assert many.test == "mcnemar" and many.z == pytest.approx((6 - 24) / math.sqrt(30))


def test_wilcoxon_and_the_delta_method_agree_with_their_references() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 60), rng.normal(0.4, 1, 60)
    w = wilcoxon_signed_rank(a, b)
    assert w.p_value == pytest.approx(stats.wilcoxon(b - a).pvalue)
    assert w.z > 0 and 0 < w.effect_sizes["rank_biserial"] <= 1
    # one task per labelled item: the delta method is then the paired z of the differences
    na, nb, den = rng.integers(0, 2, 400), rng.integers(0, 2, 400), np.ones(400)
    r = ratio_delta(na.astype(float), den, nb.astype(float), den)
    d = nb - na
    assert r.z == pytest.approx(d.mean() / (d.std(ddof=1) / math.sqrt(400)))


def test_the_bootstrap_is_reproducible_from_its_seed() -> None:
    rng = np.random.default_rng(2)
    metrics = {"precision": _ratio(rng, 80, 0.5, 0.6), "cost_usd": _continuous(rng, 80, 0.1)}
    plan = ComparisonPlan("precision", ("cost_usd",), seed=11, resamples=500)
    first, again = compare(metrics, plan), compare(metrics, plan)
    other = compare(metrics, ComparisonPlan("precision", ("cost_usd",), seed=12, resamples=500))
    assert first.as_dict() == again.as_dict()
    assert first.metrics["precision"].ci != other.metrics["precision"].ci


def test_bootstrap_intervals_cover_the_true_difference() -> None:
    rng = np.random.default_rng(4)
    covered = 0
    for i in range(200):
        metric = _continuous(rng, 60, 0.2)
        result = compare({"cost_usd": metric}, ComparisonPlan("cost_usd", seed=i, resamples=400))
        lo, hi = result.metrics["cost_usd"].ci
        covered += lo <= 0.2 <= hi
    assert abs(covered / 200 - 0.95) < 3 * math.sqrt(0.95 * 0.05 / 200) + 0.01  # percentile CI


def test_a_better_primary_with_clean_guards_is_promoted() -> None:
    rng = np.random.default_rng(5)
    metrics = {
        "precision": _ratio(rng, 300, 0.55, 0.7),
        "cost_usd": _continuous(rng, 300, 0.0),
        "failed": _binary(rng, 300, 0.05, 0.05),
    }
    result = compare(metrics, ComparisonPlan("precision", ("cost_usd", "failed")))
    assert result.recommendation.decision == "promote"
    assert [r.code for r in result.recommendation.reasons] == ["primary_better"]
    body = json.loads(json.dumps(result.as_dict(), allow_nan=False))  # plain JSON for OPA
    assert body["schema"] == "coderev.comparison/v1" and body["guard_regressions"] == []
    assert body["metrics"]["precision"]["ci"][0] > 0 and body["metrics"]["precision"]["n"] == 300


def test_a_regressed_guard_keeps_production() -> None:
    rng = np.random.default_rng(6)
    metrics = {"precision": _ratio(rng, 300, 0.55, 0.7), "cost_usd": _continuous(rng, 300, 0.3)}
    result = compare(metrics, ComparisonPlan("precision", ("cost_usd",)))
    assert result.recommendation.decision == "keep"
    assert result.guard_regressions == ["cost_usd"]
    assert result.metrics["cost_usd"].direction == "worse"
    assert {r.code for r in result.recommendation.reasons} == {"primary_better", "guard_regressed"}


def test_a_guard_margin_must_be_excluded_by_the_ci() -> None:
    rng = np.random.default_rng(7)
    cost = _continuous(rng, 40, 0.05)
    spec = KNOWN_METRICS["cost_usd"]
    wide = PairedMetric(
        type(spec)(spec.name, spec.kind, spec.higher_is_better, 0.01), cost.baseline, cost.candidate
    )
    metrics = {"precision": _ratio(rng, 40, 0.3, 0.9), "cost_usd": wide}
    result = compare(metrics, ComparisonPlan("precision", ("cost_usd",)))
    assert not result.metrics["cost_usd"].excludes_regression
    assert result.recommendation.decision == "inconclusive"
    assert "guard_not_excluded" in {r.code for r in result.recommendation.reasons}


@pytest.mark.parametrize(
    ("n", "plan", "decision", "code"),
    [
        (200, ComparisonPlan("precision", mde=0.02), "inconclusive", "underpowered"),
        (200, ComparisonPlan("precision", mde=0.5), "keep", "no_difference"),
        (
            200,
            ComparisonPlan("precision", sequential=SequentialPlan(1000, (100,))),
            "inconclusive",
            "continue",
        ),
        (6, ComparisonPlan("precision"), "inconclusive", "too_few_pairs"),
    ],
)
def test_no_difference_is_inconclusive_or_keep(
    n: int, plan: ComparisonPlan, decision: str, code: str
) -> None:
    metrics = {"precision": _ratio(np.random.default_rng(8), n, 0.6, 0.6)}
    result = compare(metrics, plan)
    assert (result.recommendation.decision, result.recommendation.reasons[0].code) == (
        decision,
        code,
    )


def test_a_worse_primary_keeps_production() -> None:
    metrics = {"failed": _binary(np.random.default_rng(9), 400, 0.05, 0.2)}
    result = compare(metrics, ComparisonPlan("failed"))
    assert result.metrics["failed"].direction == "worse"
    assert result.recommendation.decision == "keep"
    assert result.recommendation.reasons[0].code == "primary_worse"


def test_the_sequential_answer_is_stateless_and_stops_at_the_first_crossing() -> None:
    metrics = {"precision": _ratio(np.random.default_rng(10), 300, 0.4, 0.8)}
    plan = ComparisonPlan("precision", sequential=SequentialPlan(600, (50, 100, 200)))
    seq = compare(metrics, plan).sequential
    assert seq is not None
    assert [look.pairs for look in seq.looks] == [50, 100, 200, 300]
    assert seq.stopped_at == next(look.pairs for look in seq.looks if look.crossed)
    assert seq.looks[0].boundary is not None and seq.looks[0].boundary > seq.looks[-1].boundary
    assert not seq.final


def test_under_the_null_the_whole_path_holds_alpha_across_peeks() -> None:
    """Real statistics at every look (McNemar on the failure rate), five looks each."""
    rng = np.random.default_rng(13)
    sims, rejected = 400, 0
    plan = ComparisonPlan(
        "failed", resamples=100, sequential=SequentialPlan(250, (50, 100, 150, 200))
    )
    for _ in range(sims):
        result = compare({"failed": _binary(rng, 250, 0.3, 0.3)}, plan)
        rejected += result.metrics["failed"].significant
    assert rejected / sims < 0.05 + 3 * math.sqrt(0.05 * 0.95 / sims)


def _request(**over: Any) -> dict[str, Any]:
    pairs = [
        {
            "task": f"t{i}",
            "baseline": {"precision": [i % 3, 3], "cost_usd": 0.01},
            "candidate": {"precision": [2, 3], "cost_usd": 0.012},
        }
        for i in range(12)
    ]
    return {"primary": "precision", "guards": ["cost_usd"], "pairs": pairs, **over}


def test_the_request_model_builds_the_arrays_and_refuses_nonsense() -> None:
    request = ComparisonRequest.model_validate(_request())
    metrics = request.paired_metrics()
    assert metrics["precision"].baseline.shape == (12, 2)
    assert compare(metrics, request.plan()).metrics["precision"].estimate == pytest.approx(1 / 3)
    with pytest.raises(InvalidComparisonRequestError, match="declare its kind"):
        ComparisonRequest.model_validate(_request(primary="recall")).paired_metrics()
    bad = _request()
    bad["pairs"][0]["baseline"]["precision"] = 0.5
    with pytest.raises(InvalidComparisonRequestError, match=r"\[numerator, denominator"):
        ComparisonRequest.model_validate(bad).paired_metrics()
    declared = _request(
        primary="recall", metrics={"recall": {"kind": "continuous", "higher_is_better": True}}
    )
    declared["pairs"][0]["candidate"]["recall"] = 0.9
    assert (
        ComparisonRequest.model_validate(declared).paired_metrics()["recall"].spec.kind
        == "continuous"
    )
    with pytest.raises(InvalidComparisonRequestError, match="looks must increase"):
        compare(metrics, ComparisonPlan("precision", sequential=SequentialPlan(50, (8, 4))))
