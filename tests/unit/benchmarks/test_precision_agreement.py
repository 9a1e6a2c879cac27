"""The precision corpus's second-opinion tools (benchmarks/precision/precision_agreement.py):
a blind sample spread over strata with its labels removed, and agreement with Cohen's kappa."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

MODULE = Path(__file__).resolve().parents[3] / "benchmarks" / "precision" / "precision_agreement.py"


@pytest.fixture(scope="module")
def tools() -> ModuleType:
    name = "coderev_test_precision_agreement"
    spec = importlib.util.spec_from_file_location(name, MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def row(fp: str, label: str, category: str = "security", role: str = "source") -> dict[str, str]:
    return {"project": "p", "fingerprint": fp, "rule_id": "S105", "category": category,
            "path": "a.py", "line": "1", "role": role, "label": label, "reason": "why",
            "labelled_on": "c1"}  # fmt: skip


def test_blind_sample_spreads_over_strata_and_hides_the_labels(tools: ModuleType) -> None:
    rows = [row(f"s{i}", "noise") for i in range(20)] + [
        row("t1", "useful", role="test"),
        row("m1", "useful", category="maintainability"),
    ]
    sample = tools.blind_sample(rows, 4)

    assert len(sample) == 4
    assert {"t1", "m1"} <= {r["fingerprint"] for r in sample}  # small strata are not crowded out
    assert all(r["label"] == "" and r["reason"] == "" for r in sample)
    assert "labelled_on" not in sample[0]
    assert tools.blind_sample(rows, 4) == sample  # seeded: the same sample every time


def test_agreement_counts_matches_and_cohens_kappa(tools: ModuleType) -> None:
    corpus = [row("a", "useful"), row("b", "useful"), row("c", "noise"), row("d", "noise")]
    second = [row("a", "useful"), row("b", "noise"), row("c", "noise"), row("d", "noise"),
              row("zz", "useful"), row("e", "")]  # fmt: skip
    result = tools.agreement(corpus, second)

    assert (result.compared, result.agreed) == (4, 3)  # zz is not in the corpus, e unlabelled
    assert result.kappa == pytest.approx(0.5)  # p_o 0.75, p_e 0.5
    assert result.confusion[("useful", "noise")] == 1
    text = tools.render_agreement(result)
    assert "3 of 4 findings (75%), Cohen's kappa 0.50" in text
    assert "corpus useful" in text and "second noise" in text


def test_agreement_with_a_single_label_has_no_kappa(tools: ModuleType) -> None:
    result = tools.agreement([row("a", "noise")], [row("a", "noise")])
    assert (result.agreed, result.kappa) == (1, None)
    assert tools.agreement([row("a", "noise")], []).compared == 0
