"""Regenerate ruff_rules.json, the catalogue's ruff part, from the pinned ruff itself.

    python -m coderev.rules.ruff_export            # the ruff installed with coderev
    python -m coderev.rules.ruff_export --check    # exit 1 if the shipped file is stale

`ruff rule --all --output-format json` documents every rule in the same sections; the file
keeps, per rule code, its name, linter, summary, ruff's own category, status, fix
availability and the "What it does" / "Why is this bad?" sections, so a rule without vetted
guidance is still described in ruff's words. Run it after bumping ruff's pin; the unit tests
fail until it is run (see tests/unit/rules/test_ruff_data.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("ruff_rules.json")
FORMAT = 1
_SECTION = re.compile(r"^## (.+?)\s*$", re.MULTILINE)


def find_ruff_binary() -> str:
    """The ruff binary installed beside this interpreter (or on PATH)."""
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

        return os.fsdecode(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("ruff")
        if found is None:
            raise SystemExit("ruff is not installed (pip install ruff)") from None
        return found


def _sections(explanation: str) -> dict[str, str]:
    parts = _SECTION.split(explanation)
    return {parts[i].strip(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def _status(status: object) -> str:
    if isinstance(status, dict) and status:
        return str(next(iter(status))).lower()  # {"Stable": {"since": ...}} -> "stable"
    return str(status).lower()


def export(ruff_binary: str) -> dict[str, Any]:
    """The catalogue's ruff data as `ruff_binary` documents its rules."""
    version = subprocess.run(
        [ruff_binary, "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    raw = subprocess.run(
        [ruff_binary, "rule", "--all", "--output-format", "json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rules: dict[str, dict[str, str]] = {}
    for rule in json.loads(raw):
        if not rule.get("code"):  # a rule without a code cannot be selected, so never emitted
            continue
        sections = _sections(rule.get("explanation", ""))
        rules[rule["code"]] = {
            "name": rule["name"],
            "linter": rule.get("linter") or "",
            "summary": rule.get("summary", ""),
            "category": rule.get("category") or "",
            "status": _status(rule.get("status")),
            "fix": str(rule.get("fix_availability", "None")).lower(),
            "what": sections.get("What it does", ""),
            "why": sections.get("Why is this bad?", ""),
        }
    return {"format": FORMAT, "ruff_version": version, "rules": dict(sorted(rules.items()))}


def render(data: dict[str, Any]) -> str:
    """The file's text: one line per rule keeps a version bump's diff readable."""
    lines = [f'{{"format": {data["format"]}, "ruff_version": {json.dumps(data["ruff_version"])},']
    lines.append(' "rules": {')
    items = list(data["rules"].items())
    for i, (code, rule) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"  {json.dumps(code)}: {json.dumps(rule, sort_keys=True)}{comma}")
    lines.append("}}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ruff", help="the ruff binary (default: the one installed here)")
    parser.add_argument("--check", action="store_true", help="only check the shipped file")
    args = parser.parse_args(argv)
    text = render(export(args.ruff or find_ruff_binary()))
    if args.check:
        stale = not DATA_FILE.is_file() or DATA_FILE.read_text("utf-8") != text
        print(f"{DATA_FILE.name} is {'stale' if stale else 'up to date'}")
        return int(stale)
    DATA_FILE.write_text(text, "utf-8")
    print(f"wrote {DATA_FILE} ({text.count(chr(10)) - 3} rules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
