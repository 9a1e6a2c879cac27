"""Every catalogue entry is well-formed, written for its rule, and honest about what it knows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coderev.analysis.ruff_findings import DEFAULT_IGNORE, DEFAULT_SELECT
from coderev.domain.errors import ConfigError
from coderev.domain.findings import Category, Severity
from coderev.domain.roles import FileRole
from coderev.rules import Origin, Precision, default_catalogue
from coderev.rules.catalogue import build
from coderev.rules.policy import CATEGORY_CEILING
from coderev.rules.repetition import repeated_sentences, sentences

PACKAGE = Path(__file__).resolve().parents[3] / "layers" / "core" / "coderev"


def _emitted_coderev_rules() -> set[str]:
    """Every CR-* rule id the package's code can put in a finding."""
    ids: set[str] = set()
    for source in PACKAGE.rglob("*.py"):
        ids |= set(re.findall(r"\"(CR-[A-Z]+-\d{3})\"", source.read_text("utf-8")))
    return ids


def _selected_by_default(code: str, linter: str, status: str) -> bool:
    """Would DEFAULT_SELECT pick this (stable) rule? Linter prefixes as ruff resolves them."""
    if status != "stable" or code in DEFAULT_IGNORE:
        return False
    owners = {"S": "flake8-bandit", "F": "Pyflakes", "B": "flake8-bugbear"}
    for prefix in DEFAULT_SELECT:
        if code.startswith(prefix) and (prefix not in owners or linter == owners[prefix]):
            return True
    return False


def test_coderevs_own_rules_each_have_a_vetted_entry() -> None:
    book = default_catalogue()
    emitted = _emitted_coderev_rules()
    assert {"CR-PARSE-001", "CR-MET-001", "CR-MET-005", "CR-ARCH-001", "CR-ARCH-002"} <= emitted
    for rule_id in emitted:
        entry = book.rule(rule_id)
        assert entry.vetted and entry.origin is Origin.CODEREV, rule_id


def test_every_rule_coderev_selects_by_default_is_vetted() -> None:
    import json

    from coderev.rules.ruff_export import DATA_FILE

    rows = json.loads(DATA_FILE.read_text("utf-8"))["rules"]
    selected = [c for c, r in rows.items() if _selected_by_default(c, r["linter"], r["status"])]
    assert len(selected) > 200
    book = default_catalogue()
    assert [c for c in selected if not book.rule(c).vetted] == []
    assert book.rule("invalid-syntax").vetted


def test_vetted_entries_are_well_formed() -> None:
    vetted = [e for e in default_catalogue() if e.vetted]
    assert len(vetted) > 230
    for e in vetted:
        for text in (e.title, e.why, e.suggestion):
            prose = re.sub(r"`[^`]*`", "", text)  # code spans may hold braces
            assert text.strip() and not re.search(r"\{[a-z_]*\}", prose), e.id
        assert not e.title.endswith("."), e.id
        assert e.why.endswith(".") and e.suggestion.endswith("."), e.id
        assert len(sentences(e.why)) <= 3 and len(e.why) <= 260, e.id
        assert e.help_uri.startswith("https://"), e.id
        assert e.severity.rank <= CATEGORY_CEILING[e.category].rank, e.id
        assert e.precision in Precision
        if e.category is Category.SECURITY:
            assert e.cwe, f"{e.id}: a security rule names its weakness"


def test_no_entry_says_the_same_thing_twice() -> None:
    for e in default_catalogue():
        assert repeated_sentences([e.title, e.why, e.suggestion]) == [], e.id
        if e.vetted:
            assert _words(e.why) != _words(e.suggestion), e.id


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def test_only_running_a_runtime_string_as_code_is_critical() -> None:
    critical = {e.id for e in default_catalogue() if e.severity is Severity.CRITICAL}
    assert critical == {"S102", "S307"}


def test_rules_meaningless_in_tests_say_so() -> None:
    book = default_catalogue()
    for rule_id in ("S101", "S105", "S106", "S107", "S113", "S311", "S108"):
        assert FileRole.TEST in book.rule(rule_id).skip_roles, rule_id
    for rule_id in ("F821", "S608", "B006"):
        assert FileRole.SOURCE not in book.rule(rule_id).skip_roles


def test_an_unvetted_ruff_rule_keeps_ruffs_words_and_invents_no_advice() -> None:
    e = default_catalogue().rule("E501")
    assert not e.vetted and e.suggestion == ""
    assert e.title == "Line too long"
    assert "readability" in e.why
    assert e.category is Category.STYLE and e.severity is Severity.LOW


def test_lookup_is_by_exact_id_not_by_prefix() -> None:
    book = default_catalogue()
    unknown = book.rule("S999")
    assert not unknown.vetted and unknown.suggestion == "" and unknown.why == ""
    assert book.rule("S1").title == "S1"
    assert book.rule("SIM102").title != book.rule("S102").title


def test_specific_rules_get_advice_for_that_rule() -> None:
    book = default_catalogue()
    timeout = book.rule("S113")
    assert "timeout" in timeout.suggestion
    assert not re.search(r"secret|rotate|credential", timeout.why + timeout.suggestion)
    weak_hash = book.rule("S324")
    assert "SHA-256" in weak_hash.suggestion and weak_hash.cwe == (327,)
    assert not re.search(r"pickle|deserial|untrusted data", weak_hash.why + weak_hash.suggestion)
    assert "asyncio.sleep" in book.rule("ASYNC251").suggestion
    assert "AsyncClient" in book.rule("ASYNC212").suggestion
    assert book.rule("PLE0704").severity.rank < Severity.HIGH.rank
    assert book.rule("S608").cwe_tags == ("external/cwe/cwe-89",)


def test_a_package_init_gets_its_own_unused_import_advice() -> None:
    book = default_catalogue()
    plain, init = book.suggestion("F401"), book.suggestion("F401", "package-init")
    assert plain.startswith("Delete the import")
    assert "__all__" in init and "import x as x" in init
    assert not init.startswith("Delete")


def _catalogue(vetted: str, own: str = "version = 1\n[rules]\n") -> None:
    data = {"format": 1, "ruff_version": "0.0.0", "rules": {"X100": {
        "name": "x", "linter": "x", "summary": "X", "category": "style", "status": "stable",
        "fix": "none", "what": "w", "why": "y"}}}  # fmt: skip
    build(data, {"x.toml": vetted}, own)


@pytest.mark.parametrize(
    ("vetted", "problem"),
    [("[rules.X100]\ntitle = 't'", "lacks"),
     ("[rules.X999]\ntitle='t'\nwhy='w'\nsuggestion='s'\nseverity='low'\nprecision='high'",
      "not a ruff rule"),
     ("[rules.X100]\ntitle='t'\nwhy='w'\nsuggestion='s'\nseverity='dire'\nprecision='high'",
      "dire"),
     ("[rules.X100]\ntitle='t'\nwhy='w'\nsuggestion='s'\nseverity='low'\nprecision='high'\n"
      "skip_roles=['tests']", "tests"),
     ("[rules.X100]\ntitle='t'\nwhy='w'\nsuggestion='s'\nseverity='low'\nprecision='high'\n"
      "advice='x'", "unknown field"),
     ("= broken", "TOML")],
)
def test_a_malformed_overlay_is_a_config_error(vetted: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        _catalogue(vetted)


def test_coderevs_rules_are_documented_where_their_help_uri_points() -> None:
    doc = (PACKAGE.parents[2] / "docs" / "rules.md").read_text("utf-8")
    for rule_id in _emitted_coderev_rules():
        entry = default_catalogue().rule(rule_id)
        anchor = entry.help_uri.rpartition("#")[2]
        assert entry.help_uri.endswith("docs/rules.md#" + rule_id.lower())
        assert f"\n## {rule_id}\n" in doc and anchor == rule_id.lower()
