"""run_ruff on a small project, the code → category/severity mapping, and the private copy."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from coderev.analysis.ruff_findings import (
    UnsafePathError,
    ruff_version,
    run_ruff,
    write_private_copy,
)
from coderev.domain.findings import Category, Severity

RISKY = b"""import os
import subprocess


def run(expr, cmd):
    subprocess.call(cmd, shell=True)
    return eval(expr)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "risky.py").write_bytes(RISKY)
    (tmp_path / "pkg" / "clean.py").write_bytes(b"def ok():\n    return 1\n")
    (tmp_path / "ignored.py").write_bytes(b"import sys\n")  # not asked for: not reported
    return tmp_path


def test_ruff_finds_security_and_unused_imports(project: Path) -> None:
    sources = {p: (project / p).read_bytes() for p in ("pkg/risky.py", "pkg/clean.py")}
    findings = run_ruff(project, sorted(sources), sources=sources)
    by_rule = {f.rule_id: f for f in findings}
    assert {f.path for f in findings} == {"pkg/risky.py"}
    evil = by_rule["S307"]
    assert (evil.category, evil.severity, evil.source, evil.line) == (
        Category.SECURITY, Severity.CRITICAL, "ruff", 7,
    )  # fmt: skip
    assert evil.extra["help_uri"].startswith("https://docs.astral.sh/ruff/rules/")
    assert "literal_eval" in evil.fix_hint
    assert by_rule["S602"].severity is Severity.HIGH
    unused = by_rule["F401"]
    assert (unused.category, unused.severity) == (Category.STYLE, Severity.LOW)
    assert "os" in unused.message and unused.fix_hint


def test_fingerprints_use_the_line_text_and_survive_moves(project: Path) -> None:
    path = "pkg/risky.py"
    before = run_ruff(project, [path], sources={path: RISKY})
    moved = b"\n\n" + RISKY
    (project / path).write_bytes(moved)
    after = run_ruff(project, [path], sources={path: moved})
    assert {f.rule_id: f.fingerprint for f in before} == {f.rule_id: f.fingerprint for f in after}
    assert {f.rule_id: f.line + 2 for f in before} == {f.rule_id: f.line for f in after}


def test_select_limits_the_rules(project: Path) -> None:
    findings = run_ruff(project, ["pkg/risky.py"], select=["F401"])
    assert [f.rule_id for f in findings] == ["F401"]


def test_syntax_errors_are_high_bug_risk(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_bytes(b"def broken(:\n    pass\n")
    findings = run_ruff(tmp_path, ["broken.py"])
    assert findings and all(f.severity is Severity.HIGH for f in findings)
    assert all(f.category is Category.BUG_RISK for f in findings)


def test_many_files_are_batched(tmp_path: Path) -> None:
    names = [f"{'d' * 60}/m{i:04d}.py" for i in range(1200)]  # > one batch of arguments
    (tmp_path / ("d" * 60)).mkdir()
    for name in names:
        (tmp_path / name).write_bytes(b"import os\n")
    findings = run_ruff(tmp_path, names, select=["F401"])
    assert len(findings) == len(names)


def test_findings_are_filed_by_the_rule_catalogue(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_bytes(
        b"import requests\nimport hashlib\n"
        b"def f(url):\n    hashlib.md5(url.encode())\n    return requests.get(url)\n"
    )
    found = {f.rule_id: f for f in run_ruff(tmp_path, ["m.py"], sources=None)}
    timeout, weak_hash = found["S113"], found["S324"]
    assert timeout.category is Category.BUG_RISK and timeout.severity is Severity.MEDIUM
    assert "timeout" in timeout.fix_hint and "secret" not in timeout.fix_hint
    assert weak_hash.category is Category.SECURITY
    assert "SHA-256" in weak_hash.fix_hint and "pickle" not in weak_hash.fix_hint


def test_an_unvetted_rule_gets_no_invented_advice(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_bytes(b"def f(a, b, c, d, e, f, g):\n    return a\n")
    [finding] = run_ruff(tmp_path, ["m.py"], select=["PLR0913"])
    assert finding.fix_hint == ""
    assert finding.category is Category.STYLE and finding.severity is Severity.LOW


def test_ruff_version_is_the_pinned_one() -> None:
    assert ruff_version() == "0.17.5"


def test_private_copy_holds_exactly_the_files_and_is_removed() -> None:
    with write_private_copy({"a/b.py": b"x = 1\n", "c.py": b"y = 2\n"}) as root:
        assert stat.S_IMODE(root.stat().st_mode) == 0o700
        assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py")) == [
            "a/b.py",
            "c.py",
        ]
        assert (root / "a" / "b.py").read_bytes() == b"x = 1\n"
    assert not root.exists()


@pytest.mark.parametrize("bad", ["../escape.py", "/etc/passwd", "a/../../x.py", "a\\..\\x.py", ""])
def test_private_copy_refuses_escaping_paths(bad: str) -> None:
    with pytest.raises(UnsafePathError), write_private_copy({bad: b"x"}):
        pass


FORMS = (
    "import subprocess\n"
    "\n"
    "\n"
    "def version(cmd):\n"
    "    subprocess.run('git log -1 --format=%ct', shell=True)\n"
    "    subprocess.run(cmd, shell=True)\n"
    "\n"
    "\n"
    "def debug(pdb=False):\n"
    "    if pdb:\n"
    "        import pdb\n"
    "    breakpoint()\n"
    "\n"
    "\n"
    "DATE = 'j F Y\u200f'\n"
    "ACCESS = 'admin'  # \u202eonly for tests\u202c\n"
    "\n"
    "\n"
    "def find(db, name, table):\n"
    "    db.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)\n"
    "    db.execute('SELECT * FROM \"%s\"' % table)\n"
    "\n"
    "\n"
    "def load(path, response, ctx, expression):\n"
    "    exec(compile(open(path).read(), path, 'exec'), ctx)\n"
    "    eval(expression, ctx)\n"
    "    response.content  # read the body so the connection is released\n"
    "    response.status == 200\n"
).encode()


def test_narrower_forms_of_a_rule_are_rated_on_their_own(tmp_path: Path) -> None:
    """ruff reports each of these pairs under one code; the catalogue's forms tell them apart:
    a literal shell command, a debugger's import and a right-to-left mark are low, while a
    variable command, a `breakpoint()` call and a Trojan Source override keep their rule's
    severity."""
    from coderev.rules.policy import apply_policy

    (tmp_path / "forms.py").write_bytes(FORMS)
    found = apply_policy(run_ruff(tmp_path, ["forms.py"], sources={"forms.py": FORMS}))
    by_line = {(f.rule_id, f.line): (f.severity, f.extra.get("form")) for f in found}
    assert by_line[("S602", 5)] == (Severity.LOW, "literal-command")
    assert by_line[("S602", 6)] == (Severity.HIGH, None)
    assert by_line[("T100", 11)] == (Severity.LOW, "debugger-import")
    assert by_line[("T100", 12)] == (Severity.HIGH, None)
    assert by_line[("PLE2502", 15)] == (Severity.LOW, "direction-mark-only")
    assert by_line[("PLE2502", 16)] == (Severity.HIGH, None)
    assert by_line[("S608", 20)] == (Severity.HIGH, "value-in-sql-literal")
    assert by_line[("S608", 21)] == (Severity.HIGH, None)
    assert by_line[("S102", 25)] == (Severity.LOW, "compiled-file")
    assert by_line[("S307", 26)] == (Severity.CRITICAL, None)
    assert by_line[("B018", 27)] == (Severity.LOW, "attribute-access")
    assert by_line[("B015", 28)][1] is None  # a comparison left as a statement: no form
