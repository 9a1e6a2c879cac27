"""The precision benchmark's matching and scoring (benchmarks/precision/precision_scoring.py)
on small synthetic corpora and reports: no network, no review run.

The module is loaded by file path under a name of its own, as functions' handlers are in
tests/unit/functions, so nothing is put on sys.path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCORING = Path(__file__).resolve().parents[3] / "benchmarks" / "precision" / "precision_scoring.py"


@pytest.fixture(scope="module")
def scoring() -> ModuleType:
    name = "coderev_test_precision_scoring"
    spec = importlib.util.spec_from_file_location(name, SCORING)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module while the class is built
    spec.loader.exec_module(module)
    return module


FINDINGS_HEADER = "project,fingerprint,rule_id,category,path,line,role,label,reason,labelled_on\n"
COMMENTS_HEADER = "project,fingerprint,text_sha,rank,path,line,title,label,reason,labelled_on\n"


def finding(fp: str, rule: str, category: str, role: str = "source") -> dict[str, Any]:
    return {"fingerprint": fp, "rule_id": rule, "category": category, "role": role,
            "path": f"pkg/{fp}.py", "line": 3}  # fmt: skip


def comment(fps: list[str], title: str = "t") -> dict[str, Any]:
    return {"path": "pkg/a.py", "line": 3, "title": title, "why": "w", "suggestion": "s",
            "fingerprints": fps}  # fmt: skip


def write_corpus(directory: Path, findings: str, comments: str) -> Path:
    (directory / "findings.csv").write_text(FINDINGS_HEADER + findings, encoding="utf-8")
    (directory / "comments.csv").write_text(COMMENTS_HEADER + comments, encoding="utf-8")
    return directory


@pytest.fixture
def corpus(scoring: ModuleType, tmp_path: Path) -> Any:
    sha = scoring.comment_text_sha("t", "w", "s")
    return scoring.load_corpus(
        write_corpus(
            tmp_path,
            "p,a1,S105,security,pkg/a1.py,3,test,noise,fixture password,b1\n"
            "p,a2,B904,bug-risk,pkg/a2.py,3,source,useful,lost cause,b1\n"
            "p,a3,CR-ARCH-002,architecture,pkg/a3.py,3,source,false-positive,deferred import,b1\n"
            "p,a4,CR-ARCH-002,architecture,pkg/a4.py,3,source,false-positive,type-checking,b1\n"
            "p,a5,E741,style,pkg/a5.py,3,source,useful,gone since,b1\n"
            "p,a6,S610,security,pkg/a6.py,3,source,false-positive,not Django,b2\n"
            "q,a2,B904,bug-risk,pkg/a2.py,3,source,noise,other project's label,b1\n",
            f"p,a1,{sha},1,pkg/a.py,3,t,wrong-advice,rotate a fixture,b1\n"
            f"p,a2,{sha},2,pkg/a.py,3,t,useful,right,b1\n"
            f"p,a3,oldwording00,3,pkg/a.py,3,t,noise,earlier text,b1\n",
        )
    )


def report(findings: list[dict[str, Any]], comments: list[dict[str, Any]]) -> dict[str, Any]:
    return {"findings": findings, "review": {"comments": comments}}


def test_emitted_findings_are_matched_by_fingerprint_within_their_project(
    scoring: ModuleType, corpus: Any
) -> None:
    emitted = [finding("a1", "S105", "security", role="test"), finding("a2", "B904", "bug-risk"),
               finding("a3", "CR-ARCH-002", "architecture"), finding("a6", "S610", "security"),
               finding("zz", "F401", "bug-risk")]  # fmt: skip
    score = scoring.score_project("p", report(emitted, []), corpus)

    assert score.emitted == 5
    assert (
        score.findings["useful"],
        score.findings["noise"],
        score.findings["false-positive"],
    ) == (1, 1, 2)  # zz is not labelled; q's label for a2 is not used for p
    assert score.findings.share("useful") == 0.25
    assert score.by_category["security"].counts == {"noise": 1, "false-positive": 1}
    assert score.by_role["test"].counts == {"noise": 1}  # coderev's role
    assert score.by_labelled_role["source"].total == 3  # the labeller's role
    assert score.by_batch["b2"].counts == {"false-positive": 1}  # labelled on another commit


def test_false_positive_cycles_count_only_while_emitted_and_gone_findings_are_reported(
    scoring: ModuleType, corpus: Any
) -> None:
    score = scoring.score_project(
        "p", report([finding("a3", "CR-ARCH-002", "architecture")], []), corpus
    )

    assert [c.fingerprint for c in score.false_positive_cycles] == ["a3"]  # a4 was fixed
    assert score.gone.counts == {"noise": 1, "useful": 2, "false-positive": 2}
    assert sorted(g.fingerprint for g in score.gone_useful) == ["a2", "a5"]


def test_top_comments_are_matched_by_lead_fingerprint_and_wording(
    scoring: ModuleType, corpus: Any
) -> None:
    comments = [comment(["a1", "x9"]), comment(["a2"]), comment(["a3"]), comment(["new"]),
                *(comment([f"c{i}"]) for i in range(30))]  # fmt: skip
    score = scoring.score_project("p", report([], comments), corpus)

    assert score.comments.counts == {"wrong-advice": 1, "useful": 1}
    assert score.comments.share("useful") == 0.5
    # a3 has a label for another wording: it needs a new one, it is not scored with the old
    assert [c.lead for c in score.unlabelled_comments][:2] == ["a3", "new"]
    assert score.changed_comments == 1
    assert len(score.unlabelled_comments) == 18  # only the top 20 are looked at
    assert score.unlabelled_top_findings[:3] == ("x9", "new", "c0")


def test_render_prints_figures_beside_their_targets(scoring: ModuleType, corpus: Any) -> None:
    good = scoring.score_project(
        "p", report([finding("a2", "B904", "bug-risk")], [comment(["a2"])]), corpus
    )
    text = scoring.render([good])

    assert "top-20 comments useful >= 60% in every project: worst 100%  met" in text
    assert "false positives <= 5% overall: 0%  met" in text
    assert "false-positive cycles = 0: 0  met" in text
    assert "1 useful <- REGRESSION" in text and "lost useful: p pkg/a5.py:3 E741" in text

    bad = scoring.score_project(
        "p", report([finding("a3", "CR-ARCH-002", "architecture")], [comment(["a1"])]), corpus
    )
    text = scoring.render([bad])
    assert "worst 0%  NOT met" in text
    assert "false positives <= 5% overall: 100%  NOT met" in text
    assert "false-positive cycles = 0: 1  NOT met" in text

    unlabelled = scoring.score_project("p", report([], [comment(["new"])]), corpus)
    assert "in every project: worst n/a  NOT met" in scoring.render([unlabelled])


@pytest.mark.parametrize(
    ("findings", "comments", "message"),
    [
        ("p,a1,S105,security,x.py,1,test,maybe,?,b1\n", "", "label 'maybe'"),
        (
            "p,a1,S105,security,x.py,1,test,noise,?,b1\np,a1,S105,security,x.py,1,test,useful,?,b2\n",
            "",
            "labelled twice",
        ),
        (
            "",
            "p,a1,abc,1,x.py,1,t,wrong-advice,?,b1\np,a1,abc,1,x.py,1,t,noise,?,b2\n",
            "labelled twice for the same text",
        ),
        ("", "p,a1,abc,1,x.py,1,t,useless,?,b1\n", "label 'useless'"),
    ],
)
def test_a_malformed_corpus_is_refused(
    scoring: ModuleType, tmp_path: Path, findings: str, comments: str, message: str
) -> None:
    with pytest.raises(scoring.CorpusError, match=message):
        scoring.load_corpus(write_corpus(tmp_path, findings, comments))


def test_the_committed_corpus_loads_and_covers_six_projects(scoring: ModuleType) -> None:
    here = SCORING.parent
    corpus = scoring.load_corpus(here)
    projects = scoring.load_projects(here / "projects.toml")

    assert len(projects) >= 6 and all("==" in p.requirement for p in projects)
    assert {p for p, _ in corpus.findings} == {p.name for p in projects}
    assert len(corpus.findings) >= 300
    assert {f.category for f in corpus.findings.values()} >= {
        "security",
        "bug-risk",
        "maintainability",
        "architecture",
        "style",
    }
    assert {f.role for f in corpus.findings.values()} >= {"source", "test"}
