"""The AI review's unit tests: a small project, reviewed by the offline engine (`reviewed`,
`subject`), and its files' bytes (`sources`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderev.domain.report import ReviewResult
from coderev.review.reviewer import ReviewInput

PROJECT = {
    "proj/pyproject.toml": '[project]\nname = "proj"\n',
    "proj/src/proj/__init__.py": "",
    "proj/src/proj/store.py": (
        "import pickle\n"
        "import sqlite3\n\n\n"
        "def load(blob):\n"
        "    return pickle.loads(blob)\n\n\n"
        "def find(db: sqlite3.Connection, name):\n"
        "    return db.execute(\"select * from users where name = '%s'\" % name).fetchall()\n"
    ),
    "proj/src/proj/service.py": (
        "from proj import store\n\n\n"
        "def total(items):\n"
        "    result = 0\n"
        "    for item in items:\n"
        "        result += item\n"
        "    return result\n"
    ),
    "proj/tests/test_service.py": (
        "from proj.service import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n"
    ),
    "proj/docs/conf.py": "project = 'proj'\n",
}


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ai")
    for name, text in PROJECT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "proj"


@pytest.fixture(scope="session")
def reviewed(project: Path) -> ReviewResult:
    from coderev.analysis.archive import read_source
    from coderev.pipeline.options import ReviewOptions
    from coderev.pipeline.run import run_review

    return run_review(read_source(project), ReviewOptions(jobs=1))


@pytest.fixture(scope="session")
def subject(reviewed: ReviewResult) -> ReviewInput:
    return ReviewInput(
        source=reviewed.source, findings=reviewed.findings, files=reviewed.files,
        architecture=reviewed.architecture,
    )  # fmt: skip


@pytest.fixture(scope="session")
def sources(project: Path) -> dict[str, bytes]:
    return {str(p.relative_to(project)): p.read_bytes() for p in project.rglob("*") if p.is_file()}
