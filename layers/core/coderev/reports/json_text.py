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
    everything below each on one line. `json.loads` of it equals `value`."""
    return _render(value, 0, levels) + "\n"


def _render(value: Any, depth: int, levels: int) -> str:
    if depth < levels:
        pad, end = "  " * (depth + 1), "  " * depth
        if isinstance(value, dict) and value:
            inner = depth + 1
            members = (f"{pad}{_ENCODE(k)}: {_render(v, inner, levels)}" for k, v in value.items())
            return "{\n" + ",\n".join(members) + f"\n{end}}}"
        if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            items = (f"{pad}{_render(v, depth + 1, levels)}" for v in value)
            return "[\n" + ",\n".join(items) + f"\n{end}]"
    return _ENCODE(value)
