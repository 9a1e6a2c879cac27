"""Offline evaluation: two configurations' reports replayed on a small labelled corpus, paired
file by file, then compared."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from coderev.comparison import ComparisonPlan, InvalidComparisonRequestError, compare
from coderev.comparison.offline import load_labels, replay

FINDINGS = """project,fingerprint,rule_id,category,path,line,role,label,reason,labelled_on
demo,u1,CR-MET-001,maintainability,a.py,3,source,useful,r,c1
demo,u2,S608,security,a.py,9,source,useful,r,c1
demo,n1,CR-MET-005,maintainability,a.py,1,source,noise,r,c1
demo,f1,CR-ARCH-002,architecture,b.py,1,source,false-positive,r,c1
demo,u3,B019,bugbear,b.py,7,source,useful,r,c1
other,u4,B011,bugbear,c.py,2,test,useful,r,c1
"""


def _comment(lead: str, title: str, path: str) -> dict[str, Any]:
    return {"fingerprints": [lead], "title": title, "why": "w", "suggestion": "s", "path": path}


def _sha(title: str) -> str:
    return hashlib.sha256(f"{title}\nw\ns".encode()).hexdigest()[:12]


def _finding(fp: str, path: str) -> dict[str, Any]:
    return {"fingerprint": fp, "path": path, "rule_id": "X", "category": "c", "line": 1}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    (tmp_path / "findings.csv").write_text(FINDINGS)
    (tmp_path / "comments.csv").write_text(
        "project,fingerprint,text_sha,rank,path,line,title,label,reason,labelled_on\n"
        f"demo,u1,{_sha('split it')},1,a.py,3,split it,useful,r,c1\n"
        f"demo,n1,{_sha('index')},2,a.py,1,index,noise,r,c1\n"
    )
    return tmp_path


BASELINE: dict[str, dict[str, Any]] = {
    "demo": {
        "findings": [
            _finding(f, p)
            for f, p in [("u1", "a.py"), ("n1", "a.py"), ("f1", "b.py"), ("u3", "b.py")]
        ],
        "review": {
            "comments": [_comment("n1", "index", "a.py"), _comment("u1", "split it", "a.py")]
        },
    },
    "other": {"findings": [_finding("u4", "c.py"), _finding("new", "c.py")]},
}
# the candidate drops the noise and the false positive, keeps the useful, loses nothing
CANDIDATE: dict[str, dict[str, Any]] = {
    "demo": {
        "findings": [_finding(f, p) for f, p in [("u1", "a.py"), ("u2", "a.py"), ("u3", "b.py")]],
        "review": {"comments": [_comment("u1", "split it", "a.py")]},
    },
    "other": {"findings": [_finding("u4", "c.py")]},
}


def test_replay_pairs_the_two_configurations_file_by_file(corpus: Path) -> None:
    run = replay(load_labels(corpus), BASELINE, CANDIDATE)
    assert run.tasks == ("demo:a.py", "demo:b.py", "other:c.py")
    precision = run.metrics["precision"]
    assert precision.baseline.tolist() == [[1, 2], [1, 2], [1, 1]]
    assert precision.candidate.tolist() == [[2, 2], [1, 1], [1, 1]]
    assert run.metrics["useful_kept"].baseline[:, 0].tolist() == [1, 1, 1]  # u2 not emitted
    assert run.metrics["false_positive_share"].baseline.tolist() == [[0, 2], [1, 2], [0, 1]]
    assert run.metrics["comment_precision"].baseline.tolist() == [[1, 2], [0, 0], [0, 0]]
    assert run.metrics["unlabelled_share"].baseline.tolist() == [[0, 2], [0, 2], [1, 2]]

    result = compare(run.metrics, ComparisonPlan("precision", ("useful_kept",), min_pairs=2))
    by_name = result.metrics
    assert by_name["precision"].baseline == pytest.approx(3 / 5)
    assert by_name["precision"].candidate == pytest.approx(1.0)
    assert by_name["useful_kept"].estimate == pytest.approx(1 / 4)
    assert by_name["false_positive_share"].estimate == pytest.approx(-1 / 5)
    assert by_name["precision"].n == 3


def test_replay_refuses_configurations_of_different_projects(corpus: Path) -> None:
    with pytest.raises(InvalidComparisonRequestError, match="same projects"):
        replay(load_labels(corpus), BASELINE, {"demo": CANDIDATE["demo"]})


def test_the_real_corpus_reads() -> None:
    root = Path(__file__).resolve().parents[3] / "benchmarks" / "precision"
    labels = load_labels(root)
    assert len(labels.findings) > 700 and len(labels.comments) > 300
