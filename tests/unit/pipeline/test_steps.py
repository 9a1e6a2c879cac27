"""The analysis state machine's steps on the embedded adapters, against the direct engine.

index → analyze_shard (each shard) → architecture → review → finalize must publish the report
`run_review` writes for the same archive. Only `generated_at` and `timings` may differ: they
are the clock's, and the steps time their stages separately (per shard, per task).
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.unit.conftest import modules_loaded_by

from coderev.adapters.embedded.event_bus import InMemoryEventBus
from coderev.adapters.embedded.object_store import LocalObjectStore
from coderev.analyses import AnalysisRecord, AnalysisStatus, InvalidTransitionError, NewAnalysis
from coderev.analyses.sql_repository import SqlAnalysisRepository, database_url
from coderev.analysis.archive import read_archive_bytes
from coderev.domain.config import ProjectConfig
from coderev.domain.errors import BaselineError, CorruptArchiveError
from coderev.domain.events import read_cloud_event
from coderev.migrations import open_repository
from coderev.pipeline import steps, steps_work
from coderev.pipeline.options import BaselineInput, ReviewOptions
from coderev.pipeline.request import ReviewRequest
from coderev.pipeline.run import run_review
from coderev.pipeline.steps_finalize import MAX_CAUSE_CHARS
from coderev.pipeline.steps_work import (
    CorruptWorkFileError,
    InvalidAnalysisIdError,
    MissingWorkFileError,
    ReviewOutcome,
    ShardResult,
    WorkKeys,
    read_document,
    read_unchanged,
    write_document,
)
from coderev.reports import load_baseline, render_reports, to_json_dict
from coderev.review.gate import evaluate_gate, parse_gate

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "shop"
PAYLOAD_LIMIT = 256 * 1024  # Step Functions' state input/output limit


def tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sample_archive() -> bytes:
    return tar_gz(
        {f"shop/{p.relative_to(SAMPLE)}": p.read_bytes() for p in SAMPLE.rglob("*") if p.is_file()}
    )


def first_party_archive() -> bytes:
    """Packages whose imports and findings ruff judges by which *other* files exist: isort's
    first-party section (I001) and namespace packages (INP001). Split over shards, each shard
    must still see the whole tree's file names."""
    files = {"proj/pyproject.toml": b'[tool.coderev]\nruff_select = ["F", "I", "INP001", "S307"]\n'}
    for i in range(8):
        other = (i + 3) % 8
        files[f"proj/pkg{i}/__init__.py"] = b""
        files[f"proj/pkg{i}/mod.py"] = (
            f"import os\n\nimport requests\n\nimport pkg{other}\n\n\n"
            "def run(text):\n    value = eval(text)\n    value = eval(text)\n"
            f"    return os, requests, pkg{other}, value\n"
        ).encode()
    return tar_gz(files)


@dataclass
class Platform:
    store: LocalObjectStore
    records: SqlAnalysisRepository
    bus: InMemoryEventBus

    def upload(
        self, data: bytes, name: str = "shop.tar.gz", request: ReviewRequest | None = None
    ) -> AnalysisRecord:
        metadata = request.to_metadata() if request else None
        info = self.store.put(f"uploads/{name}", data, metadata=metadata)
        new = NewAnalysis("coderev", info.key, info.etag, info.version_id, "p1")
        return self.records.create_if_absent(new)[0]

    def run(
        self,
        analysis_id: str,
        shards: int | None = None,
        baseline_key: str | None = None,
    ) -> list[dict[str, Any]]:
        outputs = [steps.index(self.store, self.records, analysis_id, shards=shards)]
        outputs += [
            steps.analyze_shard(self.store, analysis_id, item["shard"])
            for item in outputs[0]["shards"]
        ]
        outputs.append(steps.ruff(self.store, analysis_id))
        outputs.append(steps.architecture(self.store, analysis_id))
        outputs.append(steps.review(self.store, analysis_id, baseline_key))
        outputs.append(steps.finalize(self.store, self.records, self.bus, analysis_id))
        return outputs

    def report(self, analysis_id: str, filename: str = "report.json") -> bytes:
        return self.store.get(WorkKeys(analysis_id).report(filename))


@pytest.fixture
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Platform]:
    """Work documents written as files; with the param "held", the store of a default
    `coderev review`'s platform, which holds them in this process's memory instead."""
    records = open_repository(SqlAnalysisRepository, database_url(None, tmp_path / "data"))
    held = getattr(request, "param", "written") == "held"
    store = LocalObjectStore(tmp_path / "bucket", work_in_memory=held)
    yield Platform(store, records, InMemoryEventBus())
    records.close()
    if held:
        assert list(store.list("work/")) == []  # nothing of the steps' work was left written


@pytest.fixture(autouse=True)
def nothing_held_after() -> Iterator[None]:
    """A test that fails midway leaves no held document for the next one."""
    yield
    steps_work.release_held()


# the steps behave alike whether their work documents are written or held in memory
either_way = pytest.mark.parametrize("platform", ["written", "held"], indirect=True)


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in ("generated_at", "timings")}


def direct(data: bytes, name: str, baseline: BaselineInput | None = None) -> Any:
    return run_review(read_archive_bytes(name, data), ReviewOptions(jobs=1, baseline=baseline))


@either_way
@pytest.mark.parametrize("shards", [None, 1, 3, 40])
def test_the_steps_publish_the_direct_engines_report(
    platform: Platform, shards: int | None
) -> None:
    data = sample_archive()
    record = platform.upload(data)
    outputs = platform.run(record.id, shards=shards)
    expected = direct(data, "shop.tar.gz")
    got = json.loads(platform.report(record.id))
    assert comparable(got) == comparable(to_json_dict(expected))
    assert got["summary"]["by_role"]["source"]["findings"] == 14
    assert got["architecture"]["violations"]
    # tests/test_cart.py: its B017; a fixture's password and a timeout mean nothing in a test
    assert got["summary"]["by_role"]["test"] == {"files": 1, "findings": 1}
    rendered = render_reports(expected, ("sarif", "md"))
    assert platform.report(record.id, "report.sarif").decode() == rendered["sarif"]
    assert platform.report(record.id, "report.md").decode() == rendered["md"]
    assert b"<html" in platform.report(record.id, "report.html")
    assert len(outputs[0]["shards"]) == min(shards or 1, 18)  # one per Python file at most
    for output in outputs:
        assert len(json.dumps(output)) < PAYLOAD_LIMIT


class _RemoteStore:
    """The local store as a remote one looks to the steps: no `local` property."""

    def __init__(self, store: LocalObjectStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        if name == "local":
            raise AttributeError(name)
        return getattr(self._store, name)


@pytest.mark.parametrize("remote", [False, True])
def test_shard_inputs_are_gzipped_for_a_remote_store_only_and_read_either_way(
    platform: Platform, remote: bool
) -> None:
    record = platform.upload(sample_archive())
    store: Any = _RemoteStore(platform.store) if remote else platform.store
    index = steps.index(store, platform.records, record.id, shards=2)
    bodies = [platform.store.get(WorkKeys(record.id).shard_input(i)) for i in range(2)]
    assert all(body[:2] == b"\x1f\x8b" for body in bodies) is remote
    assert all(body[:1] == b"{" for body in bodies) is not remote
    for item in index["shards"]:
        steps.analyze_shard(store, record.id, item["shard"])
    steps.ruff(store, record.id)
    steps.architecture(store, record.id)
    steps.review(store, record.id, None)
    steps.finalize(store, platform.records, platform.bus, record.id)
    got = json.loads(platform.report(record.id))
    assert comparable(got) == comparable(to_json_dict(direct(sample_archive(), "shop.tar.gz")))


@either_way
@pytest.mark.parametrize("shards", [1, 4, 16])
def test_shards_judge_imports_as_the_whole_tree_does(platform: Platform, shards: int) -> None:
    data = first_party_archive()
    record = platform.upload(data, "proj.tar.gz")
    platform.run(record.id, shards=shards)
    got = json.loads(platform.report(record.id))
    expected = to_json_dict(direct(data, "proj.tar.gz"))
    assert comparable(got) == comparable(expected)
    assert {f["rule_id"] for f in got["findings"]} >= {"S307"}
    assert not {"I001", "INP001"} & {f["rule_id"] for f in got["findings"]}


def layout_archive() -> bytes:
    """First-party modules ruff finds only by their files: a root module without a package
    (helpers.py), a src/ layout package, and a namespace package (INP001), many files each so
    shards split them."""
    files = {"proj/pyproject.toml": b'[tool.coderev]\nruff_select = ["I", "INP001", "F401"]\n'}
    files["proj/helpers.py"] = b"X = 1\n"
    files["proj/src/core/__init__.py"] = b""
    for i in range(12):
        files[f"proj/src/core/m{i}.py"] = b"import os\nimport helpers\nimport requests\n"
        files[f"proj/app/sub{i % 3}/m{i}.py"] = (
            b"import os\n\nimport requests\n\nimport core\nimport helpers\n"
        )
    return tar_gz(files)


@pytest.mark.parametrize("shards", [3, 8])
def test_shards_find_root_modules_src_layouts_and_namespace_packages(
    platform: Platform, shards: int
) -> None:
    data = layout_archive()
    record = platform.upload(data, "proj.tar.gz")
    platform.run(record.id, shards=shards)
    got = json.loads(platform.report(record.id))
    assert comparable(got) == comparable(to_json_dict(direct(data, "proj.tar.gz")))
    assert {"INP001", "I001", "F401"} <= {f["rule_id"] for f in got["findings"]}


def test_the_repositorys_own_exclusions_are_honoured_as_by_the_direct_engine(
    platform: Platform,
) -> None:
    data = tar_gz({
        "proj/pyproject.toml": b'[tool.coderev]\nexclude = ["vendored"]\n',
        "proj/app.py": b"x = eval('1')\n",
        "proj/vendored/lib.py": b"y = eval('2')\n",
    })  # fmt: skip
    record = platform.upload(data, "proj.tar.gz")
    platform.run(record.id)
    got = json.loads(platform.report(record.id))
    assert comparable(got) == comparable(to_json_dict(direct(data, "proj.tar.gz")))
    assert [f["path"] for f in got["files"]] == ["app.py"]
    assert {f["path"] for f in got["findings"]} == {"app.py"}
    assert got["skipped"][0]["path"] == "vendored"


def test_the_uploads_request_gives_the_direct_engines_verdict(platform: Platform) -> None:
    data = sample_archive()
    first = platform.upload(data)
    platform.run(first.id)
    baseline_key = WorkKeys(first.id).report("report.json")
    config = ProjectConfig(root_packages=("shop",))
    request = ReviewRequest(baseline_key, "new-high,architecture", ("shop/legacy/*",), config)
    second = platform.upload(data, "again.tar.gz", request)
    outputs = platform.run(second.id, shards=2)
    got = json.loads(platform.report(second.id))

    (platform.store.root / "baseline.json").write_bytes(platform.store.get(baseline_key))
    base = load_baseline(platform.store.root / "baseline.json")
    tree = read_archive_bytes("again.tar.gz", data, exclude=("shop/legacy/*",))
    options = ReviewOptions(jobs=1, baseline=BaselineInput(base.fingerprints, base.architecture),
                            config=config)  # fmt: skip
    expected = run_review(tree, options)
    gate = evaluate_gate(parse_gate("new-high,architecture"), expected.findings)
    assert comparable(got) == comparable(to_json_dict(expected, gate))
    assert got["summary"]["gate"]["spec"] == "new-high,architecture"
    assert outputs[-2]["baseline"] == baseline_key
    assert outputs[-2]["gate"] == {"spec": "new-high,architecture", "passed": gate.passed}


def test_finalize_records_publishes_and_cleans_up(platform: Platform) -> None:
    record = platform.upload(sample_archive())
    final = platform.run(record.id, shards=2)[-1]
    keys = WorkKeys(record.id)
    stored = platform.records.get(record.id)
    assert stored is not None and stored.status is AnalysisStatus.SUCCEEDED
    assert (
        stored.report_keys
        == final["report_keys"]
        == {
            fmt: keys.report(name)
            for fmt, name in (
                ("json", "report.json"),
                ("sarif", "report.sarif"),
                ("md", "report.md"),
                ("html", "report.html"),
            )
        }
    )
    assert stored.counts["findings"] == 15 and stored.counts["high"] == 6  # 1 in tests/test_cart.py
    assert stored.counts["critical"] == 1  # eval: code execution from data (S307)
    assert final["counts"] == stored.counts
    types = {info.key: platform.store.head(info.key) for info in platform.store.list("reports/")}
    assert len(types) == 4
    assert list(platform.store.list(keys.prefix)) == []
    [published] = platform.bus.records("coderev.analysis.completed")
    event = read_cloud_event(published.value)
    assert event["id"] == f"{record.id}:completed" and event["subject"] == record.id
    assert published.key == record.id.encode()
    assert event["data"]["status"] == "SUCCEEDED"
    assert event["data"]["report_keys"] == stored.report_keys
    assert event["data"]["counts"] == stored.counts
    assert event["data"]["object_key"] == "uploads/shop.tar.gz"


def test_report_objects_carry_their_content_types(tmp_path: Path, platform: Platform) -> None:
    record = platform.upload(sample_archive())
    platform.run(record.id)
    sidecars = {
        json.loads(p.read_bytes())["key"].rpartition("/")[2]: json.loads(p.read_bytes())
        for p in (tmp_path / "bucket").rglob("*.meta.json")
        if "reports.d" in p.parts
    }
    assert {name: s["content_type"] for name, s in sidecars.items()} == {
        "report.json": "application/json",
        "report.sarif": "application/sarif+json",
        "report.md": "text/markdown; charset=utf-8",
        "report.html": "text/html; charset=utf-8",
    }


@either_way
def test_every_step_can_run_twice(platform: Platform) -> None:
    data = sample_archive()
    record = platform.upload(data)
    store, records, bus, aid = platform.store, platform.records, platform.bus, record.id
    first = steps.index(store, records, aid, shards=3)
    assert steps.index(store, records, aid, shards=3) == first
    for item in first["shards"]:
        once = steps.analyze_shard(store, aid, item["shard"])
        assert steps.analyze_shard(store, aid, item["shard"]) == once
    assert steps.ruff(store, aid) == steps.ruff(store, aid)
    assert steps.architecture(store, aid) == steps.architecture(store, aid)
    assert steps.review(store, aid) == steps.review(store, aid)
    done = steps.finalize(store, records, bus, aid)
    report = platform.report(aid)
    assert steps.finalize(store, records, bus, aid) == done  # from the record: work/ is gone
    assert platform.report(aid) == report
    events = [read_cloud_event(r.value) for r in bus.records("coderev.analysis.completed")]
    assert len(events) == 2  # at least once; one id, so consumers drop the repeat
    assert events[0]["id"] == events[1]["id"] and events[0]["data"] == events[1]["data"]
    assert comparable(json.loads(report)) == comparable(to_json_dict(direct(data, "shop.tar.gz")))


def test_a_retried_shard_rewrites_its_corrupt_file(platform: Platform) -> None:
    record = platform.upload(sample_archive())
    aid, keys = record.id, WorkKeys(record.id)
    plan = steps.index(platform.store, platform.records, aid, shards=3)
    for item in plan["shards"]:
        steps.analyze_shard(platform.store, aid, item["shard"])
    steps.ruff(platform.store, aid)
    platform.store.put(keys.shard_result(1), b'{"analysis_id": "' + aid.encode() + b'", "sh')
    with pytest.raises(CorruptWorkFileError, match=r"shard-1\.json: unreadable"):
        steps.architecture(platform.store, aid)
    platform.store.put(keys.shard_result(1), b'{"analysis_id": "x"}')
    with pytest.raises(CorruptWorkFileError, match=r"lacks field\(s\)"):
        steps.architecture(platform.store, aid)
    steps.analyze_shard(platform.store, aid, 1)  # the Map iteration's retry
    assert steps.architecture(platform.store, aid)["modules"] == 17


def test_a_work_file_of_another_analysis_is_refused(platform: Platform) -> None:
    one, two = platform.upload(sample_archive()), platform.upload(b"x" * 10, "other.zip")
    steps.index(platform.store, platform.records, one.id)
    index = platform.store.get(WorkKeys(one.id).index)
    platform.store.put(WorkKeys(two.id).index, index)
    with pytest.raises(CorruptWorkFileError, match=f"belongs to analysis '{one.id}'"):
        steps.architecture(platform.store, two.id)


@either_way
def test_steps_out_of_order_name_the_missing_file(platform: Platform) -> None:
    record = platform.upload(sample_archive())
    with pytest.raises(MissingWorkFileError, match=r"index\.json: absent"):
        steps.analyze_shard(platform.store, record.id, 0)
    steps.index(platform.store, platform.records, record.id, shards=2)
    with pytest.raises(MissingWorkFileError, match=r"shard-7\.input\.json\.gz"):
        steps.analyze_shard(platform.store, record.id, 7)
    steps.analyze_shard(platform.store, record.id, 0)
    with pytest.raises(MissingWorkFileError, match=r"shard-1\.json"):
        steps.architecture(platform.store, record.id)
    steps.analyze_shard(platform.store, record.id, 1)
    with pytest.raises(MissingWorkFileError, match=r"ruff\.json"):
        steps.architecture(platform.store, record.id)
    with pytest.raises(MissingWorkFileError, match=r"outcome\.json"):
        steps.finalize(platform.store, platform.records, platform.bus, record.id)
    assert platform.bus.recorded == []


def test_a_corrupt_upload_fails_and_mark_failed_records_why(platform: Platform) -> None:
    record = platform.upload(b"\x1f\x8b" + b"not really gzip" * 10, "broken.tar.gz")
    with pytest.raises(CorruptArchiveError) as caught:
        steps.index(platform.store, platform.records, record.id)
    running = platform.records.get(record.id)
    assert running is not None and running.status is AnalysisStatus.RUNNING
    cause = json.dumps({"errorMessage": str(caught.value), "errorType": "CorruptArchiveError"})
    out = steps.mark_failed(platform.records, platform.bus, record.id, "CorruptArchiveError", cause)
    assert out == {"analysis_id": record.id, "status": "FAILED", "error": "CorruptArchiveError"}
    failed = platform.records.get(record.id)
    assert failed is not None and failed.status is AnalysisStatus.FAILED
    assert (failed.error, failed.cause) == ("CorruptArchiveError", cause)
    [published] = platform.bus.records("coderev.analysis.failed")
    event = read_cloud_event(published.value)
    assert event["id"] == f"{record.id}:failed"
    assert event["data"]["message"] == str(caught.value)
    assert event["data"]["error"] == "CorruptArchiveError"
    with pytest.raises(InvalidTransitionError):
        steps.index(platform.store, platform.records, record.id)
    with pytest.raises(InvalidTransitionError):
        steps.finalize(platform.store, platform.records, platform.bus, record.id)
    assert platform.bus.records("coderev.analysis.completed") == []


def test_mark_failed_keeps_a_bounded_cause(platform: Platform) -> None:
    record = platform.upload(sample_archive())
    steps.mark_failed(platform.records, platform.bus, record.id, None, "x" * 100_000)
    failed = platform.records.get(record.id)
    assert failed is not None and failed.error == "Error"
    assert failed.cause == "x" * MAX_CAUSE_CHARS
    event = read_cloud_event(platform.bus.records("coderev.analysis.failed")[0].value)
    assert len(event["data"]["message"]) == 1_000


def test_a_replaced_or_deleted_upload_is_not_analysed(platform: Platform) -> None:
    record = platform.upload(sample_archive())
    platform.store.put(record.object_key, tar_gz({"other/a.py": b"x = 1\n"}))
    with pytest.raises(steps.ArchiveChangedError, match="was replaced"):
        steps.index(platform.store, platform.records, record.id)
    platform.store.delete(record.object_key)
    with pytest.raises(steps.ArchiveChangedError, match="no longer exists"):
        steps.index(platform.store, platform.records, record.id)


def test_a_baseline_report_marks_findings_as_the_engine_does(platform: Platform) -> None:
    data = sample_archive()
    first = platform.upload(data)
    platform.run(first.id)
    baseline_key = WorkKeys(first.id).report("report.json")
    changed = data  # same tree, second upload under another key: every finding exists
    second = platform.upload(changed, "shop-v2.tar.gz")
    platform.run(second.id, shards=2, baseline_key=baseline_key)
    got = json.loads(platform.report(second.id))
    (platform.store.root / "baseline.json").write_bytes(platform.store.get(baseline_key))
    base = load_baseline(platform.store.root / "baseline.json")
    expected = direct(
        changed, "shop-v2.tar.gz", BaselineInput(base.fingerprints, base.architecture)
    )
    assert comparable(got) == comparable(to_json_dict(expected))
    assert got["summary"]["existing"] == 15 and got["drift"]["findings"]["fixed"] == []
    stored = platform.records.get(second.id)
    assert stored is not None and stored.counts["existing"] == 15


def test_a_missing_or_invalid_baseline_is_a_baseline_error(platform: Platform) -> None:
    record = platform.upload(sample_archive())
    outputs = steps.index(platform.store, platform.records, record.id)
    for item in outputs["shards"]:
        steps.analyze_shard(platform.store, record.id, item["shard"])
    steps.ruff(platform.store, record.id)
    steps.architecture(platform.store, record.id)
    with pytest.raises(BaselineError, match="does not exist"):
        steps.review(platform.store, record.id, "reports/nope/report.json")
    platform.store.put("reports/old/report.json", b'{"schema_version": "2.0"}')
    with pytest.raises(BaselineError, match=r"reads version 1\.x"):
        steps.review(platform.store, record.id, "reports/old/report.json")
    platform.store.put("reports/bad/report.json", b'{"schema_version": "1.0"}')
    with pytest.raises(BaselineError, match="not a valid coderev report"):
        steps.review(platform.store, record.id, "reports/bad/report.json")


def test_an_archive_without_python_has_no_shards(platform: Platform) -> None:
    data = tar_gz({"docs/README.md": b"# hello\n", "web/app.js": b"console.log(1)\n"})
    record = platform.upload(data, "docs.tar.gz")
    outputs = platform.run(record.id)
    assert outputs[0]["shards"] == [] and outputs[0]["python_files"] == 0
    got = json.loads(platform.report(record.id))
    assert comparable(got) == comparable(to_json_dict(direct(data, "docs.tar.gz")))


def test_a_subset_of_formats(platform: Platform) -> None:
    record = platform.upload(sample_archive())
    aid = record.id
    plan = steps.index(platform.store, platform.records, aid)
    for item in plan["shards"]:
        steps.analyze_shard(platform.store, aid, item["shard"])
    steps.ruff(platform.store, aid)
    steps.architecture(platform.store, aid)
    steps.review(platform.store, aid)
    out = steps.finalize(platform.store, platform.records, platform.bus, aid, formats=("json",))
    assert out["report_keys"] == {"json": f"reports/{aid}/report.json"}
    assert [i.key for i in platform.store.list("reports/")] == [f"reports/{aid}/report.json"]


@pytest.mark.parametrize("bad", ["", "../x", "a/b", "-lead", "x" * 129, "sp ace"])
def test_an_analysis_id_must_be_a_plain_key_segment(platform: Platform, bad: str) -> None:
    with pytest.raises(InvalidAnalysisIdError):
        steps.analyze_shard(platform.store, bad, 0)


def test_shard_count_follows_the_python_bytes() -> None:
    assert steps.shard_count(0) == 1
    assert steps.shard_count(steps.SHARD_TARGET_BYTES) == 1
    assert steps.shard_count(steps.SHARD_TARGET_BYTES + 1) == 2
    assert steps.shard_count(10**12) == steps.MAX_SHARDS
    assert steps.shard_count(10**12, max_shards=5) == 5


def test_importing_the_steps_imports_no_database_driver() -> None:
    watched = ["sqlalchemy", "psycopg", "boto3"]
    assert modules_loaded_by("coderev.pipeline.steps", watched) == []


def test_a_shard_input_under_another_shards_key_is_refused(platform: Platform) -> None:
    record = platform.upload(sample_archive())
    keys = WorkKeys(record.id)
    steps.index(platform.store, platform.records, record.id, shards=2)
    platform.store.put(keys.shard_input(1), platform.store.get(keys.shard_input(0)))
    with pytest.raises(CorruptWorkFileError, match="holds shard 0"):
        steps.analyze_shard(platform.store, record.id, 1)


def test_shard_counts_fill_every_worker_of_a_shared_pool() -> None:
    mib = steps.SHARD_TARGET_BYTES
    assert steps.shard_count(17 * mib, workers=2) == 18  # the 17th no longer runs alone
    assert steps.shard_count(18 * mib, workers=2) == 18
    assert steps.shard_count(7 * mib, workers=4) == 8
    assert steps.shard_count(mib, workers=2) == 1  # too little to share: one shard
    assert steps.shard_count(39 * mib + 1, workers=4) == 40
    assert steps.shard_count(10**12, workers=3) == 39  # a multiple within MAX_SHARDS


class CountingStore(LocalObjectStore):
    """A local store that counts the bodies read per key."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads: dict[str, int] = {}

    def get(self, key: str) -> bytes:
        self.reads[key] = self.reads.get(key, 0) + 1
        return super().get(key)


def test_a_work_file_this_process_wrote_is_handed_over_once_while_unchanged(
    tmp_path: Path,
) -> None:
    store = CountingStore(tmp_path / "bucket")
    key = WorkKeys("a1").outcome
    outcome = ReviewOutcome("a1", {"high": 1})
    write_document(store, key, outcome)
    assert read_document(store, key, ReviewOutcome, "a1") is outcome  # not decoded again
    assert store.reads.get(key) is None
    again = read_document(store, key, ReviewOutcome, "a1")  # once: then the stored JSON
    assert again == outcome and again is not outcome and store.reads[key] == 1
    write_document(store, key, outcome)
    LocalObjectStore(tmp_path / "bucket").put(  # another process rewrites it
        key, b'{"analysis_id": "a1", "counts": {"high": 2}}'
    )
    assert read_document(store, key, ReviewOutcome, "a1").counts == {"high": 2}
    write_document(store, key, outcome)
    with pytest.raises(CorruptWorkFileError, match="belongs to analysis 'a1'"):
        read_document(store, key, ReviewOutcome, "b2")  # still checked


def test_a_document_every_step_reads_is_decoded_once_per_version(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "bucket")
    key = WorkKeys("a1").outcome
    LocalObjectStore(tmp_path / "bucket").put(key, b'{"analysis_id": "a1", "counts": {"a": 1}}')
    first = read_unchanged(store, key, ReviewOutcome, "a1")
    assert read_unchanged(store, key, ReviewOutcome, "a1") is first and store.reads[key] == 1
    LocalObjectStore(tmp_path / "bucket").put(  # another process rewrites it
        key, b'{"analysis_id": "a1", "counts": {"a": 2}}'
    )
    assert read_unchanged(store, key, ReviewOutcome, "a1").counts == {"a": 2}
    assert store.reads[key] == 2
    with pytest.raises(CorruptWorkFileError, match="belongs to analysis 'a1'"):
        read_unchanged(store, key, ReviewOutcome, "b2")  # still checked
    remote = RemoteLikeStore(tmp_path / "bucket")  # S3: read every time
    assert read_unchanged(remote, key, ReviewOutcome, "a1") is not read_unchanged(
        remote, key, ReviewOutcome, "a1"
    )


class RemoteLikeStore(LocalObjectStore):
    """A store whose objects are not on this machine (as S3's): nothing is kept for it."""

    @property
    def local(self) -> bool:
        return False


def test_nothing_is_kept_for_a_store_whose_reads_are_another_sandboxs(tmp_path: Path) -> None:
    store = RemoteLikeStore(tmp_path / "bucket")
    key = WorkKeys("a1").outcome
    outcome = ReviewOutcome("a1", {"high": 1})
    write_document(store, key, outcome)
    got = read_document(store, key, ReviewOutcome, "a1")
    assert got == outcome and got is not outcome


def test_a_shard_analysed_in_a_worker_hands_its_result_to_architecture(tmp_path: Path) -> None:
    records = open_repository(SqlAnalysisRepository, database_url(None, tmp_path / "data"))
    store = CountingStore(tmp_path / "bucket")
    platform = Platform(store, records, InMemoryEventBus())
    record = platform.upload(sample_archive())
    keys = WorkKeys(record.id)
    try:
        plan = steps.index(store, records, record.id, shards=2)
        for item in plan["shards"]:  # files=None: each in a worker process of the pool
            steps.analyze_shard(store, record.id, item["shard"], jobs=2)
        steps.ruff(store, record.id)
        steps.architecture(store, record.id)
        steps.review(store, record.id)
        steps.finalize(store, records, platform.bus, record.id)
    finally:
        records.close()
    assert [store.reads.get(keys.shard_result(s)) for s in (0, 1)] == [None, None]
    assert store.reads.get(keys.review_input) is None and store.reads.get(keys.architecture) is None
    assert store.reads.get(keys.index) is None  # handed over to one step, then kept for all
    report = json.loads(platform.report(record.id))
    assert comparable(report) == comparable(to_json_dict(direct(sample_archive(), "shop.tar.gz")))


class PutCountingStore(LocalObjectStore):
    """A store holding work in memory that records every key put."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, work_in_memory=True)
        self.puts: list[str] = []

    def put(self, key: str, data: bytes, **kwargs: Any) -> Any:
        self.puts.append(key)
        return super().put(key, data, **kwargs)


def test_a_store_holding_work_sends_each_shard_to_a_worker_and_writes_no_work_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = open_repository(SqlAnalysisRepository, database_url(None, tmp_path / "data"))
    store = PutCountingStore(tmp_path / "bucket")
    platform = Platform(store, records, InMemoryEventBus())
    record = platform.upload(sample_archive())
    keys = WorkKeys(record.id)

    def not_here(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the shard ran in this process, not in a worker")

    try:
        plan = steps.index(store, records, record.id, shards=2)
        with monkeypatch.context() as patched:  # the workers run the module as it is
            patched.setattr(steps, "_analyze_shard_here", not_here)
            outputs = [steps.analyze_shard(store, record.id, item["shard"], jobs=2)
                       for item in plan["shards"]]  # fmt: skip
        assert sum(o["files"] for o in outputs) == plan["python_files"]
        steps.ruff(store, record.id)
        steps.architecture(store, record.id)
        steps.review(store, record.id)
        # only the rendered reports, which Finalize publishes: no document of the steps
        assert {k for k in store.puts if k.startswith(keys.prefix)} == {
            keys.rendered(name) for name in ("report.json", "report.sarif", "report.md",
                                             "report.html")}  # fmt: skip
        steps.finalize(store, records, platform.bus, record.id)
    finally:
        records.close()
    report = json.loads(platform.report(record.id))
    assert comparable(report) == comparable(to_json_dict(direct(sample_archive(), "shop.tar.gz")))
    with pytest.raises(MissingWorkFileError):  # let go of once the analysis ended
        read_document(store, keys.index, steps_work.IndexDocument, record.id)


def test_held_documents_beyond_the_bound_are_written_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(steps_work, "HELD_ENTRIES", 2)
    store = LocalObjectStore(tmp_path / "bucket", work_in_memory=True)
    outcomes = {f"a{i}": ReviewOutcome(f"a{i}", {"high": i}) for i in range(3)}
    for aid, outcome in outcomes.items():
        write_document(store, WorkKeys(aid).outcome, outcome)
    assert [info.key for info in store.list("work/")] == [WorkKeys("a0").outcome]
    for aid, outcome in outcomes.items():
        assert read_document(store, WorkKeys(aid).outcome, ReviewOutcome, aid) == outcome


def test_a_held_document_is_checked_as_a_decoded_one_is(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "bucket", work_in_memory=True)
    key = WorkKeys("a1").outcome
    write_document(store, key, ReviewOutcome("a1", {"high": 1}))
    with pytest.raises(CorruptWorkFileError, match="holds a ReviewOutcome, not a ShardResult"):
        read_document(store, key, ShardResult, "a1")
    with pytest.raises(CorruptWorkFileError, match="belongs to analysis 'a1', not 'b2'"):
        read_unchanged(store, key, ReviewOutcome, "b2")
    other = LocalObjectStore(tmp_path / "other", work_in_memory=True)
    with pytest.raises(MissingWorkFileError):  # another store's, as its files would be
        read_document(other, key, ReviewOutcome, "a1")
    assert steps_work.discard_held("work/a1/") == 1
    with pytest.raises(MissingWorkFileError):
        read_document(store, key, ReviewOutcome, "a1")


def test_mark_failed_lets_go_of_what_the_failed_analysis_held(platform: Platform) -> None:
    store = LocalObjectStore(platform.store.root, work_in_memory=True)
    record = platform.upload(sample_archive())
    steps.index(store, platform.records, record.id, shards=2)
    assert read_unchanged(store, WorkKeys(record.id).index, steps_work.IndexDocument, record.id)
    steps.mark_failed(platform.records, platform.bus, record.id, "States.TaskFailed", "boom")
    with pytest.raises(MissingWorkFileError):
        read_unchanged(store, WorkKeys(record.id).index, steps_work.IndexDocument, record.id)


def test_finalize_publishes_the_reports_by_copy_not_through_itself(tmp_path: Path) -> None:
    """On S3 a CopyObject: the reports (Django's report.json is 10 MB) are neither downloaded
    into the Finalize function nor uploaded again."""
    records = open_repository(SqlAnalysisRepository, database_url(None, tmp_path / "data"))
    store = CountingStore(tmp_path / "bucket")
    platform = Platform(store, records, InMemoryEventBus())
    record = platform.upload(sample_archive())
    try:
        platform.run(record.id)
    finally:
        records.close()
    keys = WorkKeys(record.id)
    assert not {k for k in store.reads if k.startswith(keys.prefix + "report.")}
    assert json.loads(platform.report(record.id))["source"] == "shop.tar.gz"
