"""`coderev review` on the bundled sample finds exactly what was planted in it."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any


def _by_rule(report: dict, rule: str, role: str = "source") -> list[dict]:
    """The findings of `rule` in files of `role` (the planted product problems are in source
    files; tests/test_cart.py plants a test's)."""
    return [f for f in report["findings"] if f["rule_id"] == rule and f["role"] == role]


def test_writes_every_report_and_a_summary(cli: Any, sample: Path, sample_run: Any) -> None:
    for name in ("report.json", "report.sarif", "report.md", "report.html"):
        assert (sample_run.out / name).stat().st_size > 0, name
    assert "report.html" in sample_run.stderr
    assert "cycle" in sample_run.stderr


def test_planted_ruff_findings(cli: Any, sample: Path, sample_run: Any) -> None:
    report = sample_run.report()
    expected = {
        "S608": ("src/shop/adapters/db.py", "security"),
        "S307": ("src/shop/api/views.py", "security"),
        "S105": ("src/shop/adapters/db.py", "security"),
        "S602": ("src/shop/adapters/notifier.py", "security"),
        "B006": ("src/shop/services/cart.py", "bug-risk"),
        "F821": ("src/shop/services/pricing.py", "bug-risk"),
    }
    for rule, (path, category) in expected.items():
        hits = _by_rule(report, rule)
        assert [h["path"] for h in hits] == [path], rule
        assert hits[0]["category"] == category
        assert hits[0]["fix_hint"]
    assert _by_rule(report, "S307")[0]["severity"] in ("high", "critical")
    assert _by_rule(report, "S608")[0]["severity"] in ("high", "critical")


def test_planted_metric_findings_name_the_function(cli: Any, sample: Path, sample_run: Any) -> None:
    report = sample_run.report()
    for rule in ("CR-MET-001", "CR-MET-002", "CR-MET-003", "CR-MET-004"):
        hits = _by_rule(report, rule)
        assert len(hits) == 1, rule
        assert hits[0]["path"] == "src/shop/services/pricing.py"
        assert "compute_price" in hits[0]["message"]
    pricing = next(f for f in report["files"] if f["path"] == "src/shop/services/pricing.py")
    fn = next(f for f in pricing["metrics"]["functions"] if f["name"] == "compute_price")
    assert fn["complexity"] > 10 and fn["parameters"] == 8 and fn["nesting"] >= 5


def test_unparsable_file_is_a_finding_not_a_crash(cli: Any, sample: Path, sample_run: Any) -> None:
    hits = _by_rule(sample_run.report(), "CR-PARSE-001")
    assert [h["path"] for h in hits] == ["src/shop/legacy/broken.py"]
    assert hits[0]["line"] == 3


def test_planted_cycle_and_contract_violations(cli: Any, sample: Path, sample_run: Any) -> None:
    arch = sample_run.report()["architecture"]
    assert [sorted(c["modules"]) for c in arch["cycles"]] == [
        ["shop.services.inventory", "shop.services.orders"]
    ]
    pairs = {(v["contract_type"], v["importer"], v["imported"]) for v in arch["violations"]}
    assert ("layers", "shop.domain.models", "shop.api.schemas") in pairs
    assert ("forbidden", "shop.domain.events", "shop.adapters.notifier") in pairs
    # an import under TYPE_CHECKING is an edge, flagged as such
    tc = [
        i
        for i in arch["imports"]
        if i["source"] == "shop.services.orders" and i["target"] == "shop.adapters.db"
    ]
    assert tc and all(i["type_checking"] for i in tc)
    arch_findings = _by_rule(sample_run.report(), "CR-ARCH-001")
    assert {f["path"] for f in arch_findings} >= {
        "src/shop/domain/models.py",
        "src/shop/domain/events.py",
    }


def test_skipped_folders_are_reported_with_reasons(cli: Any, sample: Path, sample_run: Any) -> None:
    skipped = {s["path"]: s["reason"] for s in sample_run.report()["skipped"]}
    assert skipped.get("node_modules") == "node_modules"
    assert skipped.get("build") == "build-output"
    paths = {f["path"] for f in sample_run.report()["files"]}
    assert not any(p.startswith(("node_modules", "build")) for p in paths)


def test_sarif_carries_architecture_violations(cli: Any, sample: Path, sample_run: Any) -> None:
    sarif = json.loads((sample_run.out / "report.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert any(r["ruleId"] == "CR-ARCH-001" for r in results)
    assert all("partialFingerprints" in r for r in results)


def test_archive_gives_the_same_findings_as_the_directory(
    cli: Any, sample: Path, sample_run: Any, tmp_path: Path
) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(sample, arcname="shop-0.3.0")
    archive = tmp_path / "shop-0.3.0.tar.gz"
    archive.write_bytes(buf.getvalue())
    run = cli("review", archive, "--out", tmp_path / "out", out=tmp_path / "out")
    assert run.code == 0, run.stderr
    fingerprints = lambda r: sorted(f["fingerprint"] for f in r["findings"])  # noqa: E731
    assert fingerprints(run.report()) == fingerprints(sample_run.report())


def test_the_severity_policy_holds_in_the_report(cli: Any, sample: Path, sample_run: Any) -> None:
    report = sample_run.report()
    by_rule = {f["rule_id"]: f for f in report["findings"]}
    assert by_rule["S307"]["severity"] == "critical"  # eval: code execution from data
    assert by_rule["S105"]["severity"] == "medium"  # a "password" literal: low precision
    for f in report["findings"]:
        if f["rule_id"].startswith("CR-MET"):
            assert f["severity"] in ("medium", "low", "info"), f
        if f["severity"] == "critical":
            assert f["category"] == "security", f


def test_no_review_comment_repeats_itself(cli: Any, sample: Path, sample_run: Any) -> None:
    from coderev.rules.repetition import repeated_sentences

    comments = sample_run.report()["review"]["comments"]
    assert comments
    for c in comments:
        assert repeated_sentences([c["title"], c["why"], c["suggestion"]]) == [], c["title"]
        assert c["why"] and c["suggestion"], c["title"]


def test_the_sample_test_file_is_reported_apart(cli: Any, sample: Path, sample_run: Any) -> None:
    report = sample_run.report()
    roles = {f["path"]: f["role"] for f in report["files"]}
    assert roles.pop("tests/test_cart.py") == "test"
    assert set(roles.values()) == {"source"}
    b017 = _by_rule(report, "B017", role="test")
    assert [h["path"] for h in b017] == ["tests/test_cart.py"]
    assert b017[0]["severity"] in ("low", "info")  # reduced: a test's, not the product's
    # a fixture's "password" and a test's request without a timeout mean nothing in a test
    assert not _by_rule(report, "S105", role="test") and not _by_rule(report, "S113", role="test")
    assert {f["rule_id"] for f in report["findings"] if f["role"] == "test"} == {"B017"}
    md = (sample_run.out / "report.md").read_text()
    section = md[md.index("### Tests, examples and other non-source code") :]
    assert "`B017`" in section and "tests/test_cart.py" in section
    assert "tests/test_cart.py" not in md[: md.index("### Tests, examples")]
    assert "(18 Python; 17 source, 1 test)" in sample_run.stderr
    assert "tests/test_cart.py" not in sample_run.stderr  # never among the top lines
