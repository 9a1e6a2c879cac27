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


_PROVIDER_VARS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
                  "HUGGINGFACE_API_KEY", "CODEREV_HF_ENDPOINT_URL", "CODEREV_REVIEWER")  # fmt: skip


def _coderev(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in embedded_environ(XDG_DATA_HOME=str(cwd / "data")).items()
               if k not in _PROVIDER_VARS}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "coderev.cli", "experiments", *args], capture_output=True,
        text=True, cwd=cwd, env={**environ, **env}, timeout=300,
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


def _corpus(tmp_path: Path, spec: Any) -> tuple[Path, Path]:
    """A corpus of one project (twelve files) whose CR-MET-001 findings are labelled noise,
    the others useful, as `spec` reviews it; its sdist."""
    from coderev.analysis.archive import read_source
    from coderev.experiments.configured import review_options
    from coderev.pipeline.run import run_review

    corpus, sources = tmp_path / "corpus", tmp_path / "sdists"
    corpus.mkdir()
    sources.mkdir()
    _sdist(sources / "demo-1.0.tar.gz",
           {f"demo-1.0/demo/m{i}.py": BRANCHY + RISKY for i in range(12)})  # fmt: skip
    (corpus / "projects.toml").write_text(
        '[[project]]\nname = "demo"\nrequirement = "demo==1.0"\nstyle = "test"\n'
    )
    tree = read_source(sources / "demo-1.0.tar.gz")
    found = run_review(tree, review_options(spec, tree)).findings
    rows = [f"demo,{f.fingerprint},{f.path},{'noise' if f.rule_id == 'CR-MET-001' else 'useful'}"
            for f in found]  # fmt: skip
    assert any(",noise" in r for r in rows)
    (corpus / "findings.csv").write_text("project,fingerprint,path,label\n" + "\n".join(rows))
    (corpus / "comments.csv").write_text("project,fingerprint,text_sha,label\n")
    return corpus, sources


def test_an_ai_candidate_served_by_a_local_openai_compatible_server(tmp_path: Path) -> None:
    from coderev.experiments.model import ConfigurationSpec
    from coderev.providers.wire import Call, WireServer
    from coderev.review.ai.scripted import scripted_reply

    def reviewer(call: Call) -> str:
        return scripted_reply(call.user, call.model)

    corpus, sources = _corpus(tmp_path, ConfigurationSpec(thresholds={"max_complexity": 1}))
    _json(_coderev("config", "create", "prod", cwd=tmp_path))
    _json(_coderev("config", "create", "ai", "--reviewer", "openai:gpt-4.1",
                   "--prompt-version", "review-v1", cwd=tmp_path))  # fmt: skip
    exp = _json(_coderev("create", "ai review", "--baseline", "prod", "--candidate", "ai",
                         "--primary", "precision", "--guard", "useful_kept", "--corpus",
                         "precision", "--no-live", cwd=tmp_path))  # fmt: skip
    with WireServer(responder=reviewer) as openai:
        done = _coderev("evaluate-offline", exp["id"], "--corpus", str(corpus), "--sources",
                        str(sources), cwd=tmp_path, OPENAI_BASE_URL=f"{openai.url}/v1",
                        OPENAI_API_KEY="sk-test-local")  # fmt: skip
        outcome = _json(done)
        assert openai.app.seen, "the candidate's reviews went to the local server"
    assert outcome["tasks"] == 12 and outcome["recorded"] == 24
    assert outcome["pooled"]["useful_kept"]["candidate"]["value"] == 1.0


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

    from coderev.experiments.model import ConfigurationSpec

    corpus, sources = _corpus(tmp_path, ConfigurationSpec(thresholds={"max_complexity": 1}))
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
