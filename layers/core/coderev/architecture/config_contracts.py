"""One contract's settings (from TOML or import-linter INI) turned into a domain Contract.

Every built-in contract type of import-linter 2.x is read, with its keys:

- layers: `layers`, `containers`, `exhaustive`, `exhaustive_ignores`;
- forbidden: `source_modules`, `forbidden_modules`, `allow_indirect_imports`, `as_packages`;
- independence: `modules`;
- protected: `protected_modules`, `allowed_importers`, `as_packages`;
- private_modules: `packages_with_private_modules`;
- acyclic_siblings: `ancestors`, `depth`, `skip_descendants`;

and, for all, `name`, `type`, `ignore_imports`, `unmatched_ignore_imports_alerting` and
`broken_contract_guidance` (the project's advice, shown with each violation's), plus `id` for INI
sections. A list may also be given as one string (INI single-line values); booleans may be INI
strings ("True", "false").

A contract of another type (a custom contract class registered through import-linter's
`contract_types`, or a type import-linter itself would not know) cannot be checked without
running the project's code: it becomes an UnsupportedContract, which every report lists.

Layers use import-linter 2.x syntax: "a | b" independent siblings, "a : b" siblings that may
import each other, "(a)" an optional layer (kept as written; the checker reads the parentheses).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coderev.domain.config import (
    AcyclicSiblingsContract,
    Contract,
    ForbiddenContract,
    IndependenceContract,
    LayersContract,
    PrivateModulesContract,
    ProtectedContract,
)
from coderev.domain.errors import ConfigError

SUPPORTED_TYPES = (
    "layers",
    "forbidden",
    "independence",
    "protected",
    "private_modules",
    "acyclic_siblings",
)

_COMMON = {
    "id",
    "name",
    "type",
    "ignore_imports",
    "unmatched_ignore_imports_alerting",
    "broken_contract_guidance",
}
_KEYS = {
    "layers": _COMMON | {"layers", "containers", "exhaustive", "exhaustive_ignores"},
    "forbidden": _COMMON
    | {"source_modules", "forbidden_modules", "allow_indirect_imports", "as_packages"},
    "independence": _COMMON | {"modules"},
    "protected": _COMMON | {"protected_modules", "allowed_importers", "as_packages"},
    "private_modules": _COMMON | {"packages_with_private_modules"},
    "acyclic_siblings": _COMMON | {"ancestors", "depth", "skip_descendants"},
}
_ALERTING = ("none", "warn", "error")


class _Reader:
    """Typed access to one contract's raw settings; errors name the file and the key."""

    def __init__(self, raw: Mapping[str, Any], where: str) -> None:
        self.raw = raw
        self.where = where

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.where}: {key} {problem}")

    def string(self, key: str, required: bool = True) -> str:
        value = self.raw.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(
                key, "must be a non-empty string" if value is not None else "is missing"
            )
        return value.strip()

    def strings(self, key: str, required: bool = False) -> tuple[str, ...]:
        value = self.raw.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is missing")
            return ()
        if isinstance(value, str):
            value = [line for line in value.splitlines() if line.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of strings")
        items = tuple(v.strip() for v in value if v.strip())
        if required and not items:
            raise self.fail(key, "must not be empty")
        return items

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise self.fail(key, "must be true or false")

    def integer(self, key: str, default: int) -> int:
        value = self.raw.get(key, default)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(key, "must be a whole number >= 0")
        return value

    def ignore_imports(self) -> tuple[tuple[str, str], ...]:
        pairs = []
        for line in self.strings("ignore_imports"):
            importer, arrow, imported = line.partition("->")
            if not arrow or not importer.strip() or not imported.strip():
                raise self.fail("ignore_imports", f"entry {line!r} is not 'importer -> imported'")
            pairs.append((importer.strip(), imported.strip()))
        return tuple(pairs)


def contract_type(raw: Mapping[str, Any], where: str) -> str:
    return _Reader(raw, where).string("type")


def parse_contract(raw: Mapping[str, Any], where: str) -> Contract:
    """A supported contract; raises ConfigError on a missing or mistyped key."""
    r = _Reader(raw, where)
    kind = r.string("type")
    if kind not in _KEYS:
        raise r.fail("type", f"{kind!r} is not one of {', '.join(SUPPORTED_TYPES)}")
    unknown = sorted(set(raw) - _KEYS[kind])
    if unknown:
        raise r.fail(unknown[0], f"is not a setting of {kind} contracts")
    alerting = r.string("unmatched_ignore_imports_alerting", required=False).lower() or "error"
    if alerting not in _ALERTING:
        raise r.fail("unmatched_ignore_imports_alerting", f"must be one of {', '.join(_ALERTING)}")
    name = r.string("name")
    ignore = r.ignore_imports()
    guidance = " ".join(r.strings("broken_contract_guidance"))
    if kind == "forbidden":
        return ForbiddenContract(
            name=name,
            source_modules=r.strings("source_modules", required=True),
            forbidden_modules=r.strings("forbidden_modules", required=True),
            ignore_imports=ignore,
            allow_indirect_imports=r.boolean("allow_indirect_imports", False),
            as_packages=r.boolean("as_packages", True),
            guidance=guidance,
            unmatched_alerting=alerting,
        )
    if kind == "independence":
        return IndependenceContract(
            name=name,
            modules=r.strings("modules", required=True),
            ignore_imports=ignore,
            guidance=guidance,
            unmatched_alerting=alerting,
        )
    if kind == "protected":
        return ProtectedContract(
            name=name,
            protected_modules=r.strings("protected_modules", required=True),
            allowed_importers=r.strings("allowed_importers", required=True),
            ignore_imports=ignore,
            as_packages=r.boolean("as_packages", True),
            guidance=guidance,
            unmatched_alerting=alerting,
        )
    if kind == "private_modules":
        packages = r.strings("packages_with_private_modules")
        private = [p for p in packages if any(_is_private(part) for part in p.split("."))]
        if private:
            raise r.fail(
                "packages_with_private_modules",
                f"names private packages ({', '.join(private)}): list an ancestor instead",
            )
        return PrivateModulesContract(
            name=name,
            packages=packages,
            ignore_imports=ignore,
            guidance=guidance,
            unmatched_alerting=alerting,
        )
    if kind == "acyclic_siblings":
        ancestors = r.strings("ancestors", required=True)
        skipped = r.strings("skip_descendants")
        if overlap := sorted(set(ancestors) & set(skipped)):
            raise r.fail("skip_descendants", f"repeats the ancestor {overlap[0]!r}")
        return AcyclicSiblingsContract(
            name=name,
            ancestors=ancestors,
            depth=r.integer("depth", 10),
            skip_descendants=skipped,
            ignore_imports=ignore,
            guidance=guidance,
            unmatched_alerting=alerting,
        )
    layers, independence = _layers(r)
    return LayersContract(
        name=name,
        layers=layers,
        containers=r.strings("containers"),
        independent_siblings=all(independence),
        ignore_imports=ignore,
        exhaustive=r.boolean("exhaustive", False),
        exhaustive_ignores=r.strings("exhaustive_ignores"),
        layer_independence=independence,
        guidance=guidance,
        unmatched_alerting=alerting,
    )


def _is_private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _layers(r: _Reader) -> tuple[tuple[tuple[str, ...], ...], tuple[bool, ...]]:
    layers: list[tuple[str, ...]] = []
    independence: list[bool] = []
    for entry in r.strings("layers", required=True):
        if "|" in entry and ":" in entry:
            raise r.fail("layers", f"entry {entry!r} mixes '|' and ':'")
        separator = ":" if ":" in entry else "|"
        siblings = tuple(s.strip() for s in entry.split(separator))
        if not all(siblings):
            raise r.fail("layers", f"entry {entry!r} has an empty module name")
        layers.append(siblings)
        independence.append(separator == "|")  # a single module: independent (vacuously)
    return tuple(layers), tuple(independence)
