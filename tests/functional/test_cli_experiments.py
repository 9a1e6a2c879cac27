"""`coderev experiments ...` end to end in a subprocess on the embedded database: a
configuration, an experiment walked through its lifecycle (an illegal step exits 2), feedback
and acceptance, and an offline evaluation of both arms on a small labelled corpus read from
sdists, then the comparison with its confidence intervals and recommendation."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

from tests.functional.conftest import embedded_environ

BRANCHY = (
    "def pick(a, b):\n    if a:\n        return 1\n    elif b:\n        return 2\n    return 3\n"
)
RISKY = "\n\ndef run(text):\n    return eval(text)\n"


def _coderev(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coderev.cli", "experiments", *args], capture_output=True,
        text=True, cwd=cwd, env=embedded_environ(XDG_DATA_HOME=str(cwd / "data")), timeout=300,
    )  # fmt: skip


def _json(run: subprocess.CompletedProcess[str]) -> Any:
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def _sdist(path: Path, files: dict[str, str]) -> None:
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_the_experiments_cli_from_configuration_to_comparison(tmp_path: Path) -> None:
    made = _json(_coderev("config", "create", "prod", "--threshold", "max_complexity=1",
                          cwd=tmp_path))  # fmt: skip
    assert made["ref"] == "prod@1"
    strict = _coderev("config", "create", "strict", "--threshold", "max_complexity=1",
                      "--rule", "CR-MET-001=off", cwd=tmp_path)  # fmt: skip
    assert _json(strict)["spec"]["severity_policy"] == {"rules": {"CR-MET-001": "off"}}
    exp = _json(_coderev("create", "no complexity findings", "--baseline", "prod",
                         "--candidate", "strict", "--primary", "precision",
                         "--guard", "useful_kept", "--corpus", "precision", "--no-live",
                         cwd=tmp_path))  # fmt: skip
    assert exp["state"] == "draft"
    refused = _coderev("evaluate", exp["id"], cwd=tmp_path)
    assert refused.returncode == 2 and "draft" in refused.stderr

    # a corpus of one project whose CR-MET-001 findings are labelled noise
    corpus, sources = tmp_path / "corpus", tmp_path / "sdists"
    corpus.mkdir()
    sources.mkdir()
    files = {f"demo-1.0/demo/m{i}.py": BRANCHY + RISKY for i in range(12)}
    _sdist(sources / "demo-1.0.tar.gz", files)
    (corpus / "projects.toml").write_text(
        '[[project]]\nname = "demo"\nrequirement = "demo==1.0"\nstyle = "test"\n'
    )
    from coderev.analysis.archive import read_source
    from coderev.experiments.configured import review_options
    from coderev.experiments.model import ConfigurationSpec
    from coderev.pipeline.run import run_review

    tree = read_source(sources / "demo-1.0.tar.gz")
    spec = ConfigurationSpec(thresholds={"max_complexity": 1})
    found = run_review(tree, review_options(spec, tree)).findings
    rows = [f"demo,{f.fingerprint},{f.path},{'noise' if f.rule_id == 'CR-MET-001' else 'useful'}"
            for f in found]  # fmt: skip
    assert any(",noise" in r for r in rows)
    (corpus / "findings.csv").write_text("project,fingerprint,path,label\n" + "\n".join(rows))
    (corpus / "comments.csv").write_text("project,fingerprint,text_sha,label\n")

    outcome = _json(_coderev("evaluate-offline", exp["id"], "--corpus", str(corpus),
                             "--sources", str(sources), cwd=tmp_path))  # fmt: skip
    assert outcome["tasks"] == 12 and outcome["recorded"] == 24
    pooled = outcome["pooled"]["precision"]
    assert pooled["candidate"]["value"] > pooled["baseline"]["value"]
    result = _json(_coderev("compare", exp["id"], "--source", "offline", cwd=tmp_path))
    assert result["recommendation"]["decision"] in {"promote", "keep", "inconclusive"}
    assert result["n_pairs"] == 12 and result["guards"] == ["useful_kept"]
    primary = result["metrics"]["precision"]
    assert primary["estimate"] > 0 and primary["ci"][0] <= primary["estimate"] <= primary["ci"][1]

    assert _json(_coderev("start", exp["id"], "--reason", "go", cwd=tmp_path))["state"] == (
        "running"
    )
    shown = _json(_coderev("show", exp["id"], cwd=tmp_path))
    assert [s["verb"] for s in shown["history"]] == ["create", "start"]

    given = _json(_coderev("feedback", "a-1", "fp", "dismissed", "--rule", "S101",
                           "--project", "demo", cwd=tmp_path))  # fmt: skip
    assert given["verdict"] == "dismissed"
    rates = _json(_coderev("acceptance", "--project", "demo", cwd=tmp_path))
    assert rates["rows"][0]["key"] == "S101" and rates["rows"][0]["acceptance"] == 0
