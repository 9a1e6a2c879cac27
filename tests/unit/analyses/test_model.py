"""Analysis records: the idempotency key of an upload and the allowed status changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coderev.analyses import AnalysisRecord, AnalysisStatus, NewAnalysis, idempotency_key

Q, R, S, F = (
    AnalysisStatus.QUEUED,
    AnalysisStatus.RUNNING,
    AnalysisStatus.SUCCEEDED,
    AnalysisStatus.FAILED,
)


@pytest.mark.parametrize(
    ("current", "wanted", "allowed"),
    [
        (Q, Q, True), (Q, R, True), (Q, S, False), (Q, F, True),
        (R, Q, False), (R, R, True), (R, S, True), (R, F, True),
        (S, Q, False), (S, R, False), (S, S, True), (S, F, False),
        (F, Q, False), (F, R, False), (F, S, False), (F, F, True),
    ],
)  # fmt: skip
def test_transitions(current: AnalysisStatus, wanted: AnalysisStatus, allowed: bool) -> None:
    assert (current in wanted.predecessors()) is allowed


def test_terminal_statuses() -> None:
    assert [s for s in AnalysisStatus if s.terminal] == [S, F]


def test_the_version_decides_when_there_is_one() -> None:
    assert idempotency_key("b", "k", "v1", "e1") == idempotency_key("b", "k", "v1", "e2")
    assert idempotency_key("b", "k", "v1", "e1") != idempotency_key("b", "k", "v2", "e1")
    assert idempotency_key("b", "k", None, "e1") != idempotency_key("b", "k", None, "e2")
    assert idempotency_key("b", "k", None, '"e1"') == idempotency_key("b", "k", "", "e1")


@given(st.text(), st.text(), st.text(), st.text(), st.text(), st.text())
def test_keys_do_not_collide_across_fields(
    b1: str, k1: str, e1: str, b2: str, k2: str, e2: str
) -> None:
    """The NUL-separated fields cannot run into each other (`a/b` + `c` vs `a` + `b/c`)."""
    if (b1, k1, e1.strip('"')) != (b2, k2, e2.strip('"')) and "\0" not in b1 + k1 + b2 + k2:
        assert idempotency_key(b1, k1, None, e1) != idempotency_key(b2, k2, None, e2)


def test_the_key_is_a_fixed_size_digest() -> None:
    key = NewAnalysis("bucket", "uploads/" + "x" * 1000, "etag").idempotency_key
    assert len(key) == 64 and int(key, 16) >= 0


def test_the_source_name_is_the_archive_file_name() -> None:
    now = datetime.now(UTC)
    record = AnalysisRecord("id", "key", "b", "uploads/t1/shop.tar.gz", "e", None, Q, now, now)
    assert record.source_name == "shop.tar.gz"
