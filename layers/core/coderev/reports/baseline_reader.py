"""Reading an earlier report.json back as a baseline: fingerprints and architecture."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from coderev.domain.architecture import (
    ArchitectureResult,
    ContractViolation,
    ContractWarning,
    CutEdge,
    Cycle,
    ImportEdge,
    ImportKind,
    ModuleNode,
    PackageMetrics,
    UnsupportedContract,
)
from coderev.domain.errors import BaselineError

SCHEMA_FILE = "report-v1.schema.json"


@dataclass(frozen=True, slots=True)
class Baseline:
    path: str
    fingerprints: frozenset[str]
    architecture: ArchitectureResult


@lru_cache(maxsize=1)
def report_schema() -> dict[str, Any]:
    text = resources.files("coderev.reports").joinpath("schema", SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_report(document: object, where: str = "report") -> None:
    """Raise BaselineError naming the first problem when `document` breaks the report schema."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(report_schema())
    error = next(iter(sorted(validator.iter_errors(document), key=lambda e: list(e.path))), None)
    if error is not None:
        at = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise BaselineError(f"{where} is not a valid coderev report: at {at}: {error.message}")


def load_baseline(path: Path) -> Baseline:
    """The baseline in `path` (a report.json), validated against the report schema."""
    try:
        text = Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise BaselineError(f"baseline {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path} cannot be read: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"baseline {path} is not JSON: {exc}") from None
    version = document.get("schema_version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith("1."):
        raise BaselineError(
            f"baseline {path} has schema_version {version!r}; this coderev reads version 1.x"
        )
    validate_report(document, f"baseline {path}")
    return Baseline(
        path=str(path),
        fingerprints=frozenset(f["fingerprint"] for f in document["findings"]),
        architecture=architecture_from_dict(document["architecture"]),
    )


def architecture_from_dict(a: dict[str, Any]) -> ArchitectureResult:
    return ArchitectureResult(
        root_packages=tuple(a["root_packages"]),
        modules=tuple(ModuleNode(m["name"], m["path"], m["is_package"]) for m in a["modules"]),
        imports=tuple(
            ImportEdge(e["source"], e["target"], e["line"], _import_kind(e), e["external"])
            for e in a["imports"]
        ),
        cycles=tuple(cycle_from_dict(c) for c in a["cycles"]),
        other_cycles=tuple(cycle_from_dict(c) for c in a.get("other_cycles", ())),
        violations=tuple(violation_from_dict(v) for v in a["violations"]),
        package_metrics=tuple(PackageMetrics(**p) for p in a["package_metrics"]),
        contracts_checked=tuple(a["contracts_checked"]),
        contracts_unsupported=tuple(
            UnsupportedContract(u["name"], u["type"], u["source"], u["reason"])
            for u in a.get("contracts_unsupported", ())  # absent in reports before it existed
        ),
        contract_warnings=tuple(
            ContractWarning(w["contract"], w["level"], w["message"])
            for w in a.get("contract_warnings", ())
        ),
    )


def _import_kind(e: dict[str, Any]) -> ImportKind:
    """Reports before 1.1 only told type-checking imports apart."""
    if "kind" in e:
        return ImportKind(e["kind"])
    return ImportKind.TYPE_CHECKING if e["type_checking"] else ImportKind.IMPORT_TIME


def cycle_from_dict(c: dict[str, Any]) -> Cycle:
    cut = tuple(
        CutEdge(e["source"], e["target"], e["path"], tuple(e["lines"])) for e in c.get("cut", ())
    )
    kind = ImportKind(c.get("kind", ImportKind.IMPORT_TIME))
    return Cycle(tuple(c["modules"]), tuple(c["path"]), kind, cut)


def violation_from_dict(v: dict[str, Any]) -> ContractViolation:
    return ContractViolation(
        contract=v["contract"],
        contract_type=v["contract_type"],
        importer=v["importer"],
        imported=v["imported"],
        chain=tuple(v["chain"]),
        path=v["path"],
        line=v["line"],
        message=v["message"],
        guidance=v.get("guidance", ""),
    )
