"""What one parse of a source file yields: metrics, imports, classes, and per-file findings."""

from __future__ import annotations

from dataclasses import dataclass

from coderev.domain.architecture import ImportKind
from coderev.domain.findings import Finding
from coderev.domain.metrics import FileMetrics
from coderev.domain.pickling import pickled_by_fields


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class RawImport:
    """An import statement as written, before resolution to module names.

    `import a.b as c`      -> module="a.b", names=(),          level=0, is_from=False
    `from a.b import c, d` -> module="a.b", names=("c", "d"),  level=0, is_from=True
    `from .. import x`     -> module="",    names=("x",),      level=2, is_from=True
    `from .m import *`     -> module="m",   names=("*",),      level=1, is_from=True
    """

    module: str
    names: tuple[str, ...]
    level: int
    line: int
    is_from: bool
    kind: ImportKind = ImportKind.IMPORT_TIME  # deferred inside a function; type-checking under
    # `if TYPE_CHECKING:` in any spelling

    @property
    def type_checking(self) -> bool:
        return self.kind is ImportKind.TYPE_CHECKING


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ClassInfo:
    name: str
    qualname: str
    line: int
    bases: tuple[str, ...]  # dotted names as written, e.g. ("abc.ABC", "Base")
    is_abstract: bool  # ABC/Protocol base, ABCMeta metaclass, or an @abstractmethod inside


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class FileAnalysis:
    """Everything learnt from one file in one parse. `error` is set when parsing failed."""

    path: str
    language: str
    size: int
    metrics: FileMetrics | None
    imports: tuple[RawImport, ...]
    classes: tuple[ClassInfo, ...]
    findings: tuple[Finding, ...]
    parse_seconds: float = 0.0
    analysis_seconds: float = 0.0
    error: str | None = None
