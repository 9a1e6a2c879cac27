"""bandit's `# nosec` comments: which security findings they suppress, as bandit reads them."""

from __future__ import annotations

from typing import Any

import pytest

from coderev.analysis.nosec import drop_nosec, nosec_lines


def diagnostic(code: str, row: int, end: int | None = None) -> tuple[str, dict[str, Any]]:
    return "a.py", {
        "code": code,
        "location": {"row": row, "column": 1},
        "end_location": {"row": end or row, "column": 9},
        "noqa_row": end or row,
    }


@pytest.mark.parametrize(
    ("comment", "marks"),
    [
        ("# nosec", None),
        ("#nosec", None),
        ("# NOSEC", None),
        ("# nosec - reviewed, the input is a constant", None),  # words naming no test
        ("# nosec B105", frozenset({"S105"})),
        ("# nosec: B602, B607", frozenset({"S602", "S607"})),
        ("# nosec B703", frozenset({"S308"})),  # django mark_safe: ruff's S308
        ("# nosec hardcoded_password_string", frozenset({"S105"})),
        ("# nosec S113", frozenset({"S113"})),  # ruff's own code
        ("# nosec B105 # noqa: E501", frozenset({"S105"})),
    ],
)
def test_what_a_comment_suppresses(comment: str, marks: frozenset[str] | None) -> None:
    assert nosec_lines(f"x = 1  {comment}\n".encode()) == {1: marks}


def test_only_comments_count() -> None:
    source = b'x = "# nosec"\ny = 2  # nosecurity is not nosec\n'
    assert nosec_lines(source) == {}


def test_a_file_that_does_not_tokenize_is_read_line_by_line() -> None:
    assert nosec_lines(b'x = (\neval("1")  # nosec\n') == {2: None}


def test_security_findings_on_a_marked_line_are_dropped() -> None:
    source = b"""password = "x"  # nosec B105
run(cmd, shell=True)  # nosec B105
call(
    cmd, shell=True,
)  # nosec
eval(x)
"""
    diagnostics = [
        diagnostic("S105", 1),
        diagnostic("F821", 1),  # not a security finding: bandit's comment says nothing of it
        diagnostic("S602", 2),  # another test named
        diagnostic("S604", 3, 5),  # the comment closes the flagged call
        diagnostic("S307", 6),
    ]
    kept, dropped = drop_nosec(diagnostics, {"a.py": source})
    assert [d["code"] for _, d in kept] == ["F821", "S602", "S307"]
    assert dropped == 2
