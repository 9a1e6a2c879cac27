"""coderev.domain.pickling: the records a pool worker sends back (or is sent, to render the
reports) come back equal, every field."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass
from typing import Any

import pytest

from coderev.analysis.python_file import analyze_python_file
from coderev.domain.architecture import ImportEdge, ImportKind, ModuleNode, PackageMetrics
from coderev.domain.code import ClassInfo, FileAnalysis, RawImport
from coderev.domain.config import Thresholds
from coderev.domain.findings import Category, Finding, FindingStatus, Severity
from coderev.domain.metrics import FileMetrics, FunctionMetrics, SourceFileInfo
from coderev.domain.pickling import pickled_by_fields
from coderev.domain.roles import FileRole

FUNCTION = FunctionMetrics(
    "f", "C.f", 3, 9, 4, 6, 2, 1, is_method=True, optional_positional=1, flat_nesting=0,
    guard_lines=(4, 5),
)  # fmt: skip
METRICS = FileMetrics(10, 8, 7, 1, 2, 1, 71.5, 4, (FUNCTION,))
FINDING = Finding(
    "CR001", Severity.HIGH, Category.BUG_RISK, "a.py", 3, "m", "h", "fp", source="ruff",
    column=2, end_line=4, status=FindingStatus.EXISTING, role=FileRole.TEST, extra={"k": "v"},
)  # fmt: skip
IMPORT = RawImport("a.b", ("c",), 1, 2, True, ImportKind.TYPE_CHECKING)
CLASS = ClassInfo("C", "C", 1, ("abc.ABC",), True)
ANALYSIS = FileAnalysis(
    "a.py", "python", 120, METRICS, (IMPORT,), (CLASS,), (FINDING,), 0.5, 0.25, "boom"
)
FILE = SourceFileInfo("t/a.py", "python", 120, METRICS, FileRole.TEST)
MODULE = ModuleNode("a.b", "a/b/__init__.py", True)
EDGE = ImportEdge("a.b", "a.c", 7, ImportKind.DEFERRED, external=True)
PACKAGE = PackageMetrics("a", 3, 1, 0.25, 0.5, 0.25, 4, 6, 3)
RECORDS = [FUNCTION, METRICS, FINDING, IMPORT, CLASS, ANALYSIS, FILE, MODULE, EDGE, PACKAGE]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_a_record_survives_pickle_whole(record: Any) -> None:
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(record, protocol=protocol))
        assert back == record and type(back) is type(record)
        for f in dataclasses.fields(record):  # compare=False fields too (Finding.extra)
            assert getattr(back, f.name) == getattr(record, f.name), f.name


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_the_state_is_every_field_and_no_default_is_left_in_the_test(record: Any) -> None:
    # a field added to the class is in the state; the records above set every field to a
    # value other than its default, so a field added with a default must be set here too
    state = record.__getstate__()
    assert len(state) == len(dataclasses.fields(record))
    for f, value in zip(dataclasses.fields(record), state, strict=True):
        assert value is getattr(record, f.name)
        default = f.default_factory() if callable(f.default_factory) else f.default
        assert value != default, f"{type(record).__name__}.{f.name}: set it to a non-default"


def test_a_field_added_to_a_decorated_class_travels_with_it() -> None:
    @pickled_by_fields
    @dataclass(frozen=True, slots=True)
    class Later:
        a: int
        b: str = ""
        added: tuple[int, ...] = ()

    # a local class cannot be found by name: round-trip its state by hand
    record = Later(1, "x", (2,))
    blank = object.__new__(Later)
    getattr(blank, "__setstate__")(pickle.loads(pickle.dumps(record.__getstate__())))  # noqa: B009
    assert blank == record and blank.added == (2,)


def test_only_slots_dataclasses_are_accepted() -> None:
    @dataclass(frozen=True)
    class Plain:
        a: int
        b: int

    with pytest.raises(TypeError, match="slots dataclass"):
        pickled_by_fields(Plain)


def test_a_real_file_analysis_survives_pickle() -> None:
    source = (
        b"import os\nclass A:\n    def f(self, x=1):\n        if x:\n            return os.sep\n"
    )
    analysis = analyze_python_file("pkg/a.py", source, Thresholds())
    assert analysis.metrics is not None and analysis.metrics.functions
    assert pickle.loads(pickle.dumps(analysis)) == analysis
