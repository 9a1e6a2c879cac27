"""What a model is sent: ranked files, chunks within the token budget, nothing left out
silently."""

from __future__ import annotations

from coderev.domain.findings import Finding
from coderev.domain.metrics import SourceFileInfo
from coderev.domain.report import ReviewResult
from coderev.domain.roles import FileRole
from coderev.review.ai.attention import rank_targets
from coderev.review.ai.chunks import plan_chunks
from coderev.review.ai.prompt import load_prompt
from coderev.review.ai.settings import ChunkBudget
from coderev.review.ai.tokens import default_counter, estimate_tokens


def plan(
    reviewed: ReviewResult,
    sources: dict[str, bytes],
    budget: ChunkBudget,
    files: tuple[SourceFileInfo, ...] | None = None,
    findings: tuple[Finding, ...] | None = None,
):  # type: ignore[no-untyped-def]
    return plan_chunks(
        files or reviewed.files, reviewed.findings if findings is None else findings,
        reviewed.architecture, sources, load_prompt(), default_counter(), budget,
    )  # fmt: skip


def test_source_with_severe_findings_first_tests_after_docs_never(reviewed: ReviewResult) -> None:
    ranked = rank_targets(reviewed.files, reviewed.findings, reviewed.architecture)
    paths = [t.path for t in ranked]
    assert paths[0] == "src/proj/store.py"  # two high security findings
    assert paths[-1] == "tests/test_service.py"
    assert "docs/conf.py" not in paths
    store = ranked[0]
    assert "2 findings (worst high)" in store.reasons
    assert any("imported by 1" in r for r in store.reasons)  # service imports it


def test_every_file_is_sent_or_listed_as_not_reviewed(
    reviewed: ReviewResult, sources: dict[str, bytes]
) -> None:
    result = plan(reviewed, sources, ChunkBudget(tokens=6000, chunks=5))
    sent = {s.path for c in result.chunks for s in c.spans}
    listed = {n.path: n.reason for n in result.not_reviewed}
    assert sent == {"src/proj/store.py", "src/proj/service.py", "src/proj/__init__.py",
                    "tests/test_service.py"} - {"src/proj/__init__.py"}  # fmt: skip
    assert listed == {"docs/conf.py": "docs file: not sent to a model"}
    assert len(result.chunks) == 1  # a small project: one call
    chunk = result.chunks[0]
    assert chunk.tokens <= 6000
    assert [f.rule_id for f in chunk.findings] == ["S301", "S608", "F401"]


def test_a_small_budget_splits_chunks_and_the_call_limit_is_reported(
    reviewed: ReviewResult, sources: dict[str, bytes]
) -> None:
    from coderev.review.ai.chunks import render_chunk

    prompt = load_prompt()
    empty = default_counter()(prompt.system) + default_counter()(render_chunk(prompt, (), ()))
    split = plan(reviewed, sources, ChunkBudget(tokens=empty + 200, chunks=5))
    assert len(split.chunks) >= 2
    assert all(c.tokens <= empty + 200 for c in split.chunks)
    assert split.chunks[0].spans[0].path == "src/proj/store.py"
    limited = plan(reviewed, sources, ChunkBudget(tokens=empty + 200, chunks=1))
    assert limited.chunks == split.chunks[:1]
    reasons = {n.path: n.reason for n in limited.not_reviewed}
    assert reasons["tests/test_service.py"].endswith("over the review's limit of 1 model calls")


def test_a_long_file_is_cut_to_its_hottest_parts_and_says_so(reviewed: ReviewResult) -> None:
    from dataclasses import replace

    filler = [f"VALUE_{n} = {n}" for n in range(3000)]
    body = ["import pickle", "", "", "def load(blob):", "    return pickle.loads(blob)", *filler]
    sources = {"src/proj/store.py": "\n".join(body).encode()}
    store = next(f for f in reviewed.files if f.path == "src/proj/store.py")
    assert store.metrics is not None
    fn = replace(store.metrics.functions[0], line=4, end_line=5)
    files = (replace(store, metrics=replace(store.metrics, functions=(fn,))),)
    pickle = next(f for f in reviewed.findings if f.rule_id == "S301")
    result = plan(reviewed, sources, ChunkBudget(tokens=3000, chunks=3), files,
                  (replace(pickle, line=5),))  # fmt: skip
    assert len(result.chunks) == 1
    spans = result.chunks[0].spans
    assert all(s.path == "src/proj/store.py" for s in spans)
    assert any(s.start <= 5 <= s.end for s in spans)  # the finding's function is shown
    assert sum(s.end - s.start + 1 for s in spans) < 3005
    (note,) = result.not_reviewed
    assert note.reason.startswith("partly reviewed: ")


def test_the_estimate_over_counts_code() -> None:
    code = "def total(items):\n    return sum(item.price for item in items)\n" * 20
    assert estimate_tokens(code) >= default_counter()(code)


def test_roles_outside_the_product_are_never_sent(reviewed: ReviewResult) -> None:
    generated = tuple(
        SourceFileInfo(f.path, f.language, f.size, f.metrics, FileRole.GENERATED)
        for f in reviewed.files
    )
    assert rank_targets(generated, reviewed.findings, reviewed.architecture) == []
