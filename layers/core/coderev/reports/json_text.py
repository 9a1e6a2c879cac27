"""JSON report text that is readable and quick to write: one record per line.

`json.dumps(..., indent=2)` runs the pure-Python encoder (CPython's C encoder serves only
`indent=None`), which made writing Django's report.json and report.sarif take about 0.8 s of
an 8 s review, and put every key of every finding on a line of its own (15 MB). Here the
outer levels are indented and every deeper value (a finding, a file, a SARIF result) is one
line written by the C encoder: the same JSON value, about 4x faster, a third smaller, and a
diff or `grep` shows one finding per line. Hand-written because the standard library has no
"indent only the first levels" option and the JSON libraries that are fast with indentation
(orjson) would be a compiled dependency of the Lambda layer for this alone.
"""

from __future__ import annotations

import json
from typing import Any

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
OUTER_LEVELS = 2  # top-level members and their members are laid out; deeper values inline


def dumps_readable(value: Any, levels: int = OUTER_LEVELS) -> str:
    """`value` as JSON text: objects and lists of records indented for `levels` levels,
    everything below each on one line. `json.loads` of it equals `value`.

    The text is joined once from its pieces: joining each level and concatenating the levels
    copied Django's 9.8 MB report.json three times over at the Review step's memory peak."""
    pieces: list[str] = []
    _render_into(value, 0, levels, pieces)
    pieces.append("\n")
    return "".join(pieces)


def _render_into(value: Any, depth: int, levels: int, out: list[str]) -> None:
    if depth < levels:
        pad, end = "  " * (depth + 1), "  " * depth
        if isinstance(value, dict) and value:
            out.append("{\n")
            for i, (k, v) in enumerate(value.items()):
                out.append(f"{',\n' if i else ''}{pad}{_ENCODE(k)}: ")
                _render_into(v, depth + 1, levels, out)
            out.append(f"\n{end}}}")
            return
        if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            out.append("[\n")
            for i, v in enumerate(value):
                out.append(f",\n{pad}" if i else pad)
                _render_into(v, depth + 1, levels, out)
            out.append(f"\n{end}]")
            return
    out.append(_ENCODE(value))
