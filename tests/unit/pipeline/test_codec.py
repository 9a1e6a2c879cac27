"""The work-file codec: every domain dataclass the steps exchange comes back exactly."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coderev.analysis.archive import read_source
from coderev.domain.architecture import (
    ArchitectureDrift,
    ArchitectureResult,
    ContractViolation,
    ContractWarning,
    Cycle,
    ImportEdge,
    ImportKind,
    ModuleNode,
    PackageDrift,
    PackageMetrics,
    UnsupportedContract,
)
from coderev.domain.code import ClassInfo, FileAnalysis, RawImport
from coderev.domain.config import (
    AcyclicSiblingsContract,
    ForbiddenContract,
    IndependenceContract,
    LayersContract,
    PrivateModulesContract,
    ProjectConfig,
    ProtectedContract,
    Thresholds,
)
from coderev.domain.findings import Category, Finding, FindingStatus, Severity
from coderev.domain.metrics import FileMetrics, FunctionMetrics, SourceFileInfo
from coderev.domain.report import FindingsDrift, ReviewResult
from coderev.domain.review import Review, ReviewComment
from coderev.domain.source import SkippedEntry, SkipReason, SourceFile
from coderev.pipeline import codec
from coderev.pipeline.options import ReviewOptions
from coderev.pipeline.run import run_review

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "shop"

text = st.text(max_size=20)
names = st.lists(text, max_size=3).map(tuple)
ints = st.integers(min_value=-(2**63), max_value=2**63)
floats = st.floats(allow_nan=False)  # infinities included: repr round-trips them too

findings = st.builds(
    Finding,
    rule_id=text,
    severity=st.sampled_from(Severity),
    category=st.sampled_from(Category),
    path=text,
    line=ints,
    message=text,
    fix_hint=text,
    fingerprint=text,
    source=text,
    column=ints,
    end_line=st.none() | ints,
    status=st.sampled_from(FindingStatus),
    extra=st.dictionaries(text, text, max_size=3),
)
function_metrics = st.builds(
    FunctionMetrics,
    name=text,
    qualname=text,
    line=ints,
    end_line=ints,
    complexity=ints,
    length=ints,
    parameters=ints,
    nesting=ints,
    is_method=st.booleans(),
)
file_metrics = st.builds(
    FileMetrics,
    loc=ints,
    sloc=ints,
    lloc=ints,
    comments=ints,
    multi=ints,
    blank=ints,
    maintainability_index=floats,
    complexity=ints,
    functions=st.lists(function_metrics, max_size=3).map(tuple),
)
raw_imports = st.builds(
    RawImport,
    module=text,
    names=names,
    level=ints,
    line=ints,
    is_from=st.booleans(),
    kind=st.sampled_from(ImportKind),
)
class_infos = st.builds(
    ClassInfo, name=text, qualname=text, line=ints, bases=names, is_abstract=st.booleans()
)
file_analyses = st.builds(
    FileAnalysis,
    path=text,
    language=text,
    size=ints,
    metrics=st.none() | file_metrics,
    imports=st.lists(raw_imports, max_size=3).map(tuple),
    classes=st.lists(class_infos, max_size=3).map(tuple),
    findings=st.lists(findings, max_size=3).map(tuple),
    parse_seconds=floats,
    analysis_seconds=floats,
    error=st.none() | text,
)
cycles = st.builds(Cycle, modules=names, path=names)
violations = st.builds(
    ContractViolation,
    contract=text,
    contract_type=text,
    importer=text,
    imported=text,
    chain=names,
    path=text,
    line=ints,
    message=text,
    guidance=text,
)
architectures = st.builds(
    ArchitectureResult,
    root_packages=names,
    modules=st.lists(st.builds(ModuleNode, text, text, st.booleans()), max_size=3).map(tuple),
    imports=st.lists(
        st.builds(ImportEdge, text, text, ints, st.sampled_from(ImportKind), st.booleans()),
        max_size=3,
    ).map(tuple),
    cycles=st.lists(cycles, max_size=2).map(tuple),
    violations=st.lists(violations, max_size=2).map(tuple),
    package_metrics=st.lists(
        st.builds(PackageMetrics, text, ints, ints, floats, floats, floats, ints, ints, ints),
        max_size=2,
    ).map(tuple),
    contracts_checked=names,
    contracts_unsupported=st.lists(
        st.builds(UnsupportedContract, text, text, text, text), max_size=2
    ).map(tuple),
    contract_warnings=st.lists(st.builds(ContractWarning, text, text, text), max_size=2).map(
        tuple
    ),
)
pairs = st.lists(st.tuples(text, text), max_size=2).map(tuple)
contracts = st.one_of(
    st.builds(
        LayersContract,
        name=text,
        layers=st.lists(names, max_size=3).map(tuple),
        containers=names,
        independent_siblings=st.booleans(),
        ignore_imports=pairs,
        exhaustive=st.booleans(),
        layer_independence=st.lists(st.booleans(), max_size=3).map(tuple),
        exhaustive_ignores=names,
    ),
    st.builds(ForbiddenContract, text, names, names, pairs, st.booleans(), st.booleans()),
    st.builds(IndependenceContract, text, names, pairs),
    st.builds(ProtectedContract, text, names, names, pairs, st.booleans()),
    st.builds(PrivateModulesContract, text, names, pairs),
    st.builds(AcyclicSiblingsContract, text, names, ints, names, pairs),
)
configs = st.builds(
    ProjectConfig,
    root_packages=names,
    contracts=st.lists(contracts, max_size=4).map(tuple),
    thresholds=st.builds(Thresholds, ints, ints, ints, ints, floats),
    exclude=names,
    ruff_select=names,
    sources=names,
    unsupported_contracts=st.lists(
        st.builds(UnsupportedContract, text, text, text, text), max_size=2
    ).map(tuple),
)
comments = st.builds(
    ReviewComment,
    path=text,
    line=ints,
    severity=st.sampled_from(Severity),
    category=st.sampled_from(Category),
    title=text,
    why=text,
    suggestion=text,
    fingerprints=names,
)
optional_float = st.none() | floats
results = st.builds(
    ReviewResult,
    source=text,
    files=st.lists(
        st.builds(SourceFileInfo, text, text, ints, st.none() | file_metrics), max_size=2
    ).map(tuple),
    findings=st.lists(findings, max_size=3).map(tuple),
    skipped=st.lists(
        st.builds(SkippedEntry, text, st.sampled_from(SkipReason), text), max_size=2
    ).map(tuple),
    architecture=architectures,
    review=st.builds(Review, text, text, st.lists(comments, max_size=2).map(tuple), ints),
    findings_drift=st.none() | st.builds(FindingsDrift, ints, ints, names),
    architecture_drift=st.none()
    | st.builds(
        ArchitectureDrift,
        new_imports=pairs,
        removed_imports=pairs,
        new_cycles=st.lists(cycles, max_size=2).map(tuple),
        new_violations=st.lists(violations, max_size=2).map(tuple),
        packages=st.lists(
            st.builds(
                PackageDrift, text, optional_float, optional_float, optional_float, optional_float
            ),
            max_size=2,
        ).map(tuple),
    ),
    tool_versions=st.dictionaries(text, text, max_size=2),
    timings=st.dictionaries(text, floats, max_size=2),
    figures=st.dictionaries(text, floats, max_size=2),
)


def _round_trip[T](value: T) -> T:
    """Through bytes, as the work files go: encode, dump, load, decode."""
    return codec.loads(type(value), codec.dumps(value))


def _assert_identical(a: object, b: object) -> None:
    """Equal, and equal in the fields equality ignores (Finding.extra), the types included."""
    assert a == b
    assert type(a) is type(b)
    assert json.dumps(codec.encode(a)) == json.dumps(codec.encode(b))


@settings(max_examples=150, deadline=None)
@given(findings)
def test_finding_round_trips_with_extra(finding: Finding) -> None:
    back = _round_trip(finding)
    _assert_identical(back, finding)
    assert back.extra == finding.extra  # compare=False: == alone would not notice a loss
    assert type(back.severity) is Severity and type(back.status) is FindingStatus


@settings(max_examples=150, deadline=None)
@given(file_analyses)
def test_file_analysis_round_trips(analysis: FileAnalysis) -> None:
    back = _round_trip(analysis)
    _assert_identical(back, analysis)
    for got, want in zip(back.findings, analysis.findings, strict=True):
        assert got.extra == want.extra


@settings(max_examples=100, deadline=None)
@given(architectures)
def test_architecture_round_trips(architecture: ArchitectureResult) -> None:
    _assert_identical(_round_trip(architecture), architecture)


@settings(max_examples=100, deadline=None)
@given(configs)
def test_project_config_round_trips_each_contract_kind(config: ProjectConfig) -> None:
    back = _round_trip(config)
    _assert_identical(back, config)
    assert [type(c) for c in back.contracts] == [type(c) for c in config.contracts]


@settings(max_examples=60, deadline=None)
@given(results)
def test_review_result_round_trips(result: ReviewResult) -> None:
    _assert_identical(_round_trip(result), result)


@given(st.lists(st.builds(SourceFile, text, st.binary(max_size=64), text), max_size=3))
def test_bytes_round_trip_as_base64(files: list[SourceFile]) -> None:
    for f in files:
        _assert_identical(_round_trip(f), f)


def test_a_real_review_result_round_trips() -> None:
    result = run_review(read_source(SAMPLE), ReviewOptions(jobs=1, source_root=SAMPLE))
    assert result.findings and result.architecture.violations and result.review.comments
    back = _round_trip(result)
    _assert_identical(back, result)
    assert [f.extra for f in back.findings] == [f.extra for f in result.findings]


def test_floats_come_back_bit_for_bit() -> None:
    for x in (0.1 + 0.2, 5e-324, 1.7976931348623157e308, -0.0, math.inf, -math.inf):
        back = _round_trip(FileMetrics(1, 1, 1, 0, 0, 0, x, 1)).maintainability_index
        assert math.copysign(1, back) == math.copysign(1, x) and back == x
    nan = _round_trip(FileMetrics(1, 1, 1, 0, 0, 0, math.nan, 1)).maintainability_index
    assert math.isnan(nan)


def test_a_lone_surrogate_survives_the_utf8_bytes() -> None:
    entry = SkippedEntry("bad\udcffname.py", SkipReason.DECODE_ERROR, "\ud800")
    body = codec.dumps(entry)
    body.decode("ascii")  # escaped, so any UTF-8 store takes it
    assert codec.loads(SkippedEntry, body) == entry


def test_an_integer_in_a_float_field_reads_as_a_float() -> None:
    document = codec.encode(FileMetrics(1, 1, 1, 0, 0, 0, 50.0, 1))
    document["maintainability_index"] = 50
    back = codec.decode(FileMetrics, document)
    assert type(back.maintainability_index) is float


def test_a_missing_field_with_a_default_takes_it() -> None:
    document = codec.encode(Finding("R1", Severity.LOW, Category.STYLE, "a.py", 1, "m", "h", "f"))
    for name in ("source", "column", "end_line", "status", "extra"):
        del document[name]
    back = codec.decode(Finding, document)
    assert back.source == "coderev" and back.status is FindingStatus.NEW and back.extra == {}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("rule_id"), r"\$: Finding lacks field\(s\) rule_id"),
        (lambda d: d.update(surprise=1), r"\$: Finding has no field\(s\) surprise"),
        (lambda d: d.update(line="7"), r"\$\.line: expected an integer, got str"),
        (lambda d: d.update(line=True), r"\$\.line: expected an integer, got bool"),
        (lambda d: d.update(severity="dire"), r"\$\.severity: expected a Severity value"),
        (lambda d: d.update(extra=[]), r"\$\.extra: expected an object"),
        (lambda d: d.update(end_line=1.5), r"\$\.end_line: expected an integer"),
    ],
)
def test_a_bad_document_names_where_it_is_wrong(mutate: object, message: str) -> None:
    document = codec.encode(Finding("R1", Severity.LOW, Category.STYLE, "a.py", 1, "m", "h", "f"))
    mutate(document)  # type: ignore[operator]
    with pytest.raises(codec.CodecError, match=message):
        codec.decode(Finding, document)


def test_errors_deep_inside_name_the_path() -> None:
    analysis = FileAnalysis("a.py", "python", 3, FileMetrics(1, 1, 1, 0, 0, 0, 1.0, 1), (), (), ())
    document = codec.encode(analysis)
    document["metrics"]["loc"] = None
    with pytest.raises(codec.CodecError, match=r"\$\.metrics\.loc: expected an integer"):
        codec.decode(FileAnalysis, document)


def test_a_contract_needs_a_known_type_tag() -> None:
    document = codec.encode(ProjectConfig(contracts=(IndependenceContract("c", ("a", "b")),)))
    assert document["contracts"][0][codec.TYPE_TAG] == "IndependenceContract"
    document["contracts"][0][codec.TYPE_TAG] = "AcyclicContract"
    with pytest.raises(codec.CodecError, match=r"\$\.contracts\[0\]: expected an object with"):
        codec.decode(ProjectConfig, document)


def test_bad_base64_and_bad_json_are_codec_errors() -> None:
    with pytest.raises(codec.CodecError, match=r"\$\.data: expected base64"):
        codec.decode(SourceFile, {"path": "a", "data": "not base64!", "language": "python"})
    with pytest.raises(codec.CodecError, match="not a JSON document"):
        codec.loads(Finding, b"{truncated")
    with pytest.raises(codec.CodecError, match=r"\$: expected a Finding object, got list"):
        codec.loads(Finding, b"[]")


def test_every_field_is_written_even_at_its_default() -> None:
    finding = Finding("R1", Severity.LOW, Category.STYLE, "a.py", 1, "m", "h", "f")
    assert set(codec.encode(finding)) == {f.name for f in fields(Finding)}


def test_unsupported_types_are_refused_when_first_used() -> None:
    @dataclass(frozen=True)
    class Odd:
        values: set[str]

    with pytest.raises(TypeError, match="does not support"):
        codec.encode(Odd({"a"}))


@dataclass(frozen=True)
class _Empty:
    pass


@dataclass(frozen=True)
class _One:
    when: Severity | None


@dataclass(frozen=True)
class _Mixed:
    name: str
    tags: tuple[str, ...]
    counts: dict[str, int]
    note: str | None
    severity: Severity
    blob: bytes | None
    inner: _One


def test_fields_are_written_in_order_whatever_their_kind() -> None:
    value = _Mixed("n", ("a", "b"), {"x": 1}, None, Severity.HIGH, b"\x00", _One(Severity.LOW))
    encoded = codec.encode(value)
    assert list(encoded) == [f.name for f in fields(_Mixed)]
    assert encoded == {
        "name": "n", "tags": ["a", "b"], "counts": {"x": 1}, "note": None, "severity": "high",
        "blob": "AA==", "inner": {"when": "low"},
    }  # fmt: skip
    assert codec.loads(_Mixed, codec.dumps(value)) == value
    assert codec.encode(_Empty()) == {}
    assert codec.loads(_Empty, codec.dumps(_Empty())) == _Empty()
    assert codec.loads(_One, codec.dumps(_One(None))) == _One(None)
