"""report.json / report.sarif text: the same JSON value as json.dumps, one record per line."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from coderev.reports.json_text import dumps_readable

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=30,
)


@given(JSON, st.integers(min_value=0, max_value=6))
def test_the_text_reads_back_as_the_same_value(value: object, levels: int) -> None:
    assert json.loads(dumps_readable(value, levels)) == value


def test_each_finding_is_one_line_under_an_indented_outline() -> None:
    report = {
        "schema_version": "1.1",
        "summary": {"findings": 2, "by_severity": {"high": 1, "low": 1}},
        "findings": [
            {"rule_id": "S608", "path": "a.py", "line": 3, "extra": {"form": "x"}},
            {"rule_id": "B012", "path": "ü.py", "line": 9, "extra": {}},
        ],
    }
    lines = dumps_readable(report).splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert '  "summary": {' in lines and '    "findings": 2,' in lines
    finding_lines = [ln for ln in lines if '"rule_id"' in ln]
    assert [json.loads(ln.strip().rstrip(","))["rule_id"] for ln in finding_lines] == [
        "S608", "B012",
    ]  # fmt: skip
    assert "ü.py" in dumps_readable(report)  # UTF-8 as written, not \u escapes


def test_the_layout_is_pinned_to_the_character() -> None:
    value = {"a": [{"b": [1, {"c": 2}]}, {}], "d": {"e": [], "f": {"g": "ü"}}, "h": 1}
    assert dumps_readable(value) == (
        "{\n"
        '  "a": [\n'
        '    {"b": [1, {"c": 2}]},\n'
        "    {}\n"
        "  ],\n"
        '  "d": {\n'
        '    "e": [],\n'
        '    "f": {"g": "ü"}\n'
        "  },\n"
        '  "h": 1\n'
        "}\n"
    )
    assert dumps_readable([[], [{}]], 3) == "[\n  [],\n  [\n    {}\n  ]\n]\n"
    assert dumps_readable({}, 2) == "{}\n" and dumps_readable("x", 2) == '"x"\n'
