"""The work files the analysis steps hand each other, under `work/<analysis-id>/`.

Step Functions passes at most 256 KB between states, so the steps pass keys, not contents:
each step reads what earlier steps wrote to the object store and writes its own result.

    work/<id>/index.json               IndexDocument: source, config, file list, skipped, shards
    work/<id>/shard-<i>.input.json.gz  ShardInput: the shard's Python files (JSON, gzip'd
                                       unless the store is a local disk's)
    work/<id>/shard-<i>.json           ShardResult: its FileAnalysis list
    work/<id>/ruff.json                RuffDocument: ruff's findings over every Python file
    work/<id>/architecture.json        ArchitectureDocument
    work/<id>/review-input.json        ReviewInputDocument: what Review needs of the shards
    work/<id>/review-plan.json         AI review only: the offline result, gate, chunk count
    work/<id>/review-chunk-<i>.json    AI review only: a chunk (code, findings, facts)
    work/<id>/review-chunk-<i>.result.json   what its model said (or why it failed)
    work/<id>/report.{json,sarif,md,html}   the reports Review (or MergeReview) rendered
    work/<id>/outcome.json             ReviewOutcome: the counts the record keeps
    reports/<id>/report.{json,sarif,md,html}   what finalize publishes

Why per-shard input bundles instead of every shard re-reading the upload: index reads and
checks the archive once (limits, skipping, language detection); a shard then reads only its
own files' bytes. Re-reading would fetch and inflate the whole archive once per shard, so
40 shards of an 11 MB upload would move 440 MB and repeat the archive checks 40 times; the
bundles together are about the size of the Python sources, gzip'd (on a local store they are
written plain: gzip cost 0.2 s of Django's Index and saved only disk bytes).

Architecture reads every shard's analyses (its import graph needs them all) and writes what
Review needs of them (the files with their metrics, the combined findings), so the largest
documents are decoded once, not once per later step; Review renders the reports itself, so
the whole ReviewResult is never written as a document to be read back whole.

Every document is written whole by one put, so a retried step simply rewrites it; a document
that is absent or does not decode raises MissingWorkFileError / CorruptWorkFileError.

Handed over, not decoded again: on a local store (`coderev review`, `coderev serve`) every step
runs in one process, so a document one step writes is read by the next in the same process,
which would decode the JSON it was just encoded from: about 1.4 s of Django's review on one
core (Review's inputs alone 0.9 s). write_document keeps the document it wrote, with the
version id the put returned; the next read_document of that key takes it back (once) if the
object still has that version (a `head`, no body read), else decodes the object as on S3. The
JSON is written all the same (`--keep`, `coderev executions show`, a retried step in another
process read it). An AnalyzeShard run in a worker process hands its result to this process
through `hand_over` (the pool's pickle, as the direct engine's analyses travel). Not on S3:
a Lambda sandbox's next read is another function's, so nothing is kept there. At most
HAND_OVER_ENTRIES documents are kept; the oldest goes first (a failed analysis leaves some).
index.json, which every step reads, is kept by version in each process that read it
(read_unchanged): a pool worker running many shards decodes it once.

Held, not written: a store whose `work_in_memory` is true (a default `coderev review`'s own
platform, whose data dir goes with it: nothing else ever reads its work files) gets no work
documents at all. write_document holds each in this process until Finalize or MarkFailed
discards the analysis' (discard_held), and every read takes it from there: on Django the JSON
of the shard inputs, the shard results, review-input.json and architecture.json, written only
to be deleted, cost about 0.6 s of CPU. The Map's worker processes cannot read what this
process holds, so AnalyzeShard sends a worker its shard with the task (coderev.pipeline.steps).
At most HELD_ENTRIES documents are held: beyond that the oldest is written after all, so a
process that never ends an analysis grows no further and loses nothing.
"""

from __future__ import annotations

import gzip
import itertools
import re
import threading
import zlib
from dataclasses import dataclass

from coderev.domain.architecture import ArchitectureResult
from coderev.domain.code import FileAnalysis
from coderev.domain.config import ProjectConfig
from coderev.domain.errors import CoderevError, InputError
from coderev.domain.findings import Finding
from coderev.domain.lint import LintConfigMode, LintConfiguration
from coderev.domain.metrics import SourceFileInfo
from coderev.domain.source import SkippedEntry, SourceFile
from coderev.pipeline import codec
from coderev.ports import ObjectInfo, ObjectStore

__all__ = [
    "ArchitectureDocument",
    "CorruptWorkFileError",
    "IndexDocument",
    "InvalidAnalysisIdError",
    "MissingWorkFileError",
    "ReviewInputDocument",
    "ReviewOutcome",
    "ShardInput",
    "ShardResult",
    "WorkFileError",
    "WorkKeys",
    "discard_held",
    "hand_over",
    "holds_in_memory",
    "read_document",
    "read_unchanged",
    "release_held",
    "work_exists",
    "write_document",
]

JSON = "application/json"
GZIP = "application/gzip"
_ANALYSIS_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class InvalidAnalysisIdError(InputError):
    """An analysis id that cannot name an object-store folder (it is used in keys)."""


class WorkFileError(CoderevError):
    """A work file of an analysis cannot be used; `key` names it."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        super().__init__(f"work file {key}: {problem}")


class MissingWorkFileError(WorkFileError):
    """A work file an earlier step should have written is absent (steps out of order)."""


class CorruptWorkFileError(WorkFileError):
    """A work file does not decode to what the step expects."""


@dataclass(frozen=True, slots=True)
class WorkKeys:
    """Where one analysis keeps its work files and reports."""

    analysis_id: str

    def __post_init__(self) -> None:
        if not isinstance(self.analysis_id, str) or not _ANALYSIS_ID.fullmatch(self.analysis_id):
            raise InvalidAnalysisIdError(
                f"analysis id {self.analysis_id!r} must be 1-128 of [A-Za-z0-9._-], "
                "starting with a letter or digit"
            )

    @property
    def prefix(self) -> str:
        return f"work/{self.analysis_id}/"

    @property
    def index(self) -> str:
        return f"{self.prefix}index.json"

    def shard_input(self, shard: int) -> str:
        return f"{self.prefix}shard-{shard}.input.json.gz"

    def shard_result(self, shard: int) -> str:
        return f"{self.prefix}shard-{shard}.json"

    @property
    def ruff(self) -> str:
        return f"{self.prefix}ruff.json"

    @property
    def architecture(self) -> str:
        return f"{self.prefix}architecture.json"

    @property
    def review_input(self) -> str:
        return f"{self.prefix}review-input.json"

    @property
    def review_plan(self) -> str:
        return f"{self.prefix}review-plan.json"

    def review_chunk(self, chunk: int) -> str:
        return f"{self.prefix}review-chunk-{chunk}.json"

    def review_chunk_result(self, chunk: int) -> str:
        return f"{self.prefix}review-chunk-{chunk}.result.json"

    def rendered(self, filename: str) -> str:
        """A report Review rendered, before Finalize publishes it."""
        return f"{self.prefix}{filename}"

    @property
    def outcome(self) -> str:
        return f"{self.prefix}outcome.json"

    def report(self, filename: str) -> str:
        return f"reports/{self.analysis_id}/{filename}"


@dataclass(frozen=True, slots=True)
class IndexDocument:
    analysis_id: str
    source: str  # the archive's name, as the report names it
    archive_key: str
    archive_etag: str
    config: ProjectConfig
    files: tuple[SourceFileInfo, ...]  # every kept file, in tree order, without metrics, with
    # the role its path, header and the configuration give (markers are applied at Review)
    skipped: tuple[SkippedEntry, ...]
    shards: int
    budget_seconds: float
    config_seconds: float  # time to read the archive and its configuration
    # from the upload's ReviewRequest (defaults: documents written before requests read)
    baseline_key: str | None = None
    fail_on: str = "none"
    allow_unsupported_contracts: bool = False
    lint_config: LintConfigMode = LintConfigMode.PROJECT
    toml_files: tuple[SourceFile, ...] = ()  # where the tree's ruff configuration may be
    reviewer: str | None = None  # the request's (None: the Review function's CODEREV_REVIEWER)

    @property
    def python_paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files if f.language == "python")


@dataclass(frozen=True, slots=True)
class ShardInput:
    analysis_id: str
    shard: int
    files: tuple[SourceFile, ...]


@dataclass(frozen=True, slots=True)
class ShardResult:
    analysis_id: str
    shard: int
    analyses: tuple[FileAnalysis, ...]
    analysis_seconds: float


@dataclass(frozen=True, slots=True)
class RuffDocument:
    analysis_id: str
    findings: tuple[Finding, ...]
    seconds: float
    configuration: LintConfiguration | None = None  # what ruff ran with


@dataclass(frozen=True, slots=True)
class ArchitectureDocument:
    analysis_id: str
    architecture: ArchitectureResult
    findings: tuple[Finding, ...]  # contract violations, then cycles
    seconds: float


@dataclass(frozen=True, slots=True)
class ReviewInputDocument:
    """What the Review step needs of the shards and ruff, as Architecture combined them."""

    analysis_id: str
    files: tuple[SourceFileInfo, ...]  # file_infos: path order, metrics, marker roles
    findings: tuple[Finding, ...]  # combine_findings: the shards', ruff's, architecture's
    analysis_seconds: float  # the shards' summed analysis time
    ruff_seconds: float
    lint_config: LintConfiguration | None = None  # what ruff ran with


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """What Finalize records of a reviewed analysis (its reports are beside it)."""

    analysis_id: str
    counts: dict[str, int]  # see steps_finalize.counts


def write_document(
    store: ObjectStore, key: str, document: object, *, compress: bool = False, keep: bool = True
) -> ObjectInfo | None:
    """Put `document` (a dataclass the codec knows) at `key`; what the put returned. On a local
    store the document is kept for this process's next read of `key` (see the module
    docstring) unless `keep` is False (a worker process, whose documents the parent reads).
    On a store that holds work in memory nothing is written: the document is held (None)."""
    if holds_in_memory(store):
        _hold(store, key, document)
        return None
    return _write(store, key, document, compress=compress, keep=keep)


def _write(
    store: ObjectStore, key: str, document: object, *, compress: bool = False, keep: bool = True
) -> ObjectInfo:
    body = codec.dumps(document)
    if compress:
        body = gzip.compress(body, compresslevel=1, mtime=0)  # 3x faster than 6, 30% larger
    info = store.put(key, body, content_type=GZIP if compress else JSON)
    if keep and getattr(store, "local", False):
        hand_over(key, info, document)
    return info


def holds_in_memory(store: ObjectStore) -> bool:
    """Whether `store`'s work documents are held in this process, never written (see the
    module docstring)."""
    return bool(getattr(store, "work_in_memory", False))


HELD_ENTRIES = 512  # > the documents of one analysis: MAX_SHARDS inputs and results, chunks
_held: dict[str, tuple[ObjectStore, object]] = {}


def _hold(store: ObjectStore, key: str, document: object) -> None:
    with _kept_lock:
        _held.pop(key, None)
        _held[key] = (store, document)
        beyond = max(0, len(_held) - HELD_ENTRIES)
        oldest = [(k, _held[k]) for k in itertools.islice(_held, beyond)]
    for old_key, entry in oldest:  # written after all, then let go: a read finds one or other
        _write(entry[0], old_key, entry[1], keep=False)
        with _kept_lock:
            if _held.get(old_key) is entry:  # not held anew meanwhile
                del _held[old_key]


def _held_document(store: ObjectStore, key: str) -> object | None:
    with _kept_lock:
        entry = _held.get(key)
    return entry[1] if entry is not None and entry[0] is store else None


def work_exists(store: ObjectStore, key: str) -> bool:
    """Whether a work document is at `key`: held in this process, or an object."""
    return _held_document(store, key) is not None or store.head(key) is not None


def discard_held(prefix: str) -> int:
    """Let go of the documents held under `prefix` (an analysis' work/<id>/, once it ended:
    its id is unique to it, whichever store held them); how many."""
    with _kept_lock:
        gone = [k for k in _held if k.startswith(prefix)]
        for key in gone:
            del _held[key]
    return len(gone)


def release_held() -> None:
    """Let go of every held document (the store that held them is gone)."""
    with _kept_lock:
        _held.clear()


HAND_OVER_ENTRIES = 128  # > the documents of one analysis: MAX_SHARDS inputs and results...
_kept: dict[str, tuple[str, object]] = {}
_kept_lock = threading.Lock()


def hand_over(key: str, info: ObjectInfo, document: object) -> None:
    """Keep `document`, just written at `key` as `info` says, for this process's next
    read_document of `key` (which checks the object still has `info.version_id`)."""
    if not info.version_id:
        return  # a store without versions: nothing tells a later read it is the same object
    _remember(_kept, key, (info.version_id, document), HAND_OVER_ENTRIES)


def _remember(
    cache: dict[str, tuple[str, object]], key: str, entry: tuple[str, object], limit: int
) -> None:
    """Keep `entry` for `key` as the newest of `cache`'s at most `limit` entries."""
    with _kept_lock:
        cache.pop(key, None)
        cache[key] = entry
        while len(cache) > limit:
            del cache[next(iter(cache))]


def _taken(store: ObjectStore, key: str) -> object | None:
    """The document kept for `key`, if the object there is still the one written."""
    with _kept_lock:
        entry = _kept.pop(key, None)
    if entry is None:
        return None
    info = store.head(key)
    return entry[1] if info is not None and info.version_id == entry[0] else None


_GZIP_MAGIC = b"\x1f\x8b"  # a JSON document never starts with it
REREAD_ENTRIES = 8  # documents read_unchanged keeps: a few analyses' index.json at once
_reread: dict[str, tuple[str, object]] = {}


def read_unchanged[T](store: ObjectStore, key: str, tp: type[T], analysis_id: str) -> T:
    """read_document for a document that every step reads and none rewrites (index.json): on
    a local store the document this process decoded last time is returned again while the
    object still has that version (a `head`, no body read). A pool worker runs many shards of
    one analysis and decoded Django's index.json (336 KB, ~35 ms) once per shard, 20 times."""
    if _held and (held := _held_document(store, key)) is not None:
        return _checked(key, held, tp, analysis_id)
    info = store.head(key) if getattr(store, "local", False) else None
    version = info.version_id if info is not None else None
    if version:
        with _kept_lock:
            entry = _reread.get(key)
        if entry is not None and entry[0] == version:
            kept = entry[1]
            if isinstance(kept, tp) and getattr(kept, "analysis_id", None) == analysis_id:
                return kept
    document = read_document(store, key, tp, analysis_id)
    if version:  # replaced since the head: the next call sees another version and reads again
        _remember(_reread, key, (version, document), REREAD_ENTRIES)
    return document


def read_document[T](
    store: ObjectStore, key: str, tp: type[T], analysis_id: str, *, compressed: bool = False
) -> T:
    """The `tp` at `key`, which must belong to `analysis_id`."""
    if _held and (held := _held_document(store, key)) is not None:
        return _checked(key, held, tp, analysis_id)
    kept = _taken(store, key) if _kept else None
    if isinstance(kept, tp) and getattr(kept, "analysis_id", None) == analysis_id:
        return kept
    try:
        body = store.get(key)
    except KeyError:
        raise MissingWorkFileError(key, "absent; did the step that writes it run?") from None
    try:
        if compressed and body[:2] == _GZIP_MAGIC:  # else written plain (a local store)
            body = gzip.decompress(body)
        document = codec.loads(tp, body)
    except (OSError, EOFError, zlib.error, codec.CodecError) as exc:
        raise CorruptWorkFileError(key, f"unreadable: {exc}") from None
    return _checked(key, document, tp, analysis_id)


def _checked[T](key: str, document: object, tp: type[T], analysis_id: str) -> T:
    """`document` (decoded from `key`, or held there) if it is a `tp` of `analysis_id`."""
    if not isinstance(document, tp):
        raise CorruptWorkFileError(key, f"holds a {type(document).__name__}, not a {tp.__name__}")
    owner = getattr(document, "analysis_id", None)
    if owner != analysis_id:
        raise CorruptWorkFileError(key, f"belongs to analysis {owner!r}, not {analysis_id!r}")
    return document
