"""The shipped ruff data is what the installed (pinned) ruff documents: no rule missing."""

from __future__ import annotations

import json

from coderev.analysis.ruff_findings import find_ruff, ruff_version
from coderev.rules import default_catalogue
from coderev.rules.ruff_export import DATA_FILE, export, render


def test_shipped_file_matches_the_installed_ruff() -> None:
    fresh = export(find_ruff())
    shipped = json.loads(DATA_FILE.read_text("utf-8"))
    assert shipped["ruff_version"] == fresh["ruff_version"] == ruff_version()
    missing = sorted(set(fresh["rules"]) - set(shipped["rules"]))
    assert not missing, f"run `python -m coderev.rules.ruff_export`: missing {missing[:10]}"
    assert DATA_FILE.read_text("utf-8") == render(fresh)


def test_every_ruff_rule_has_its_own_catalogue_entry() -> None:
    book = default_catalogue()
    shipped = json.loads(DATA_FILE.read_text("utf-8"))["rules"]
    assert len(shipped) > 900
    for code, row in shipped.items():
        entry = book.rule(code)
        assert entry.id == code and entry.name == row["name"]
        assert entry.help_uri == f"https://docs.astral.sh/ruff/rules/{row['name']}/"
        assert entry.title and entry.why, code
    assert book.version.endswith("+ruff-" + ruff_version())
