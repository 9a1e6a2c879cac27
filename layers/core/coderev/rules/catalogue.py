"""The rule catalogue: every rule coderev can emit, read from data files on first use.

Three files beside this module make it up:
- `ruff_rules.json`, generated from the pinned ruff (see ruff_export): every ruff rule in
  ruff's own words;
- `vetted/*.toml`, entries written by hand for the ruff rules coderev selects by default, each
  for that rule alone (title, why, suggestion, severity, precision, CWE, roles to skip); a
  file's top-level `category` is the default of its entries;
- `coderev.toml`, coderev's own rules (CR-PARSE-*, CR-MET-*, CR-ARCH-*) and the catalogue's
  `version` (bump it when a text changes meaning; reports name "<version>+ruff-<ruff's>").

A vetted entry replaces ruff's texts; a ruff rule without one keeps ruff's description, an
empty suggestion (no invented advice), and a category, severity and precision derived from
the category ruff itself files the rule under. Lookup is by exact rule id: no prefix matching.

Nothing is read at import time: the files are parsed once, on the first lookup, because a
handler importing coderev must not pay for 970 rules it may never need.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from coderev.domain.errors import ConfigError
from coderev.domain.findings import Category, Severity
from coderev.domain.roles import FileRole
from coderev.rules.entry import Origin, Precision, RuleEntry, RuleForm

if TYPE_CHECKING:
    from typing import Any

RUFF_DOCS = "https://docs.astral.sh/ruff/rules/{name}/"
# coderev's own rules are documented in the repository's docs/rules.md, one heading each.
CODEREV_DOCS = "https://github.com/coderev/coderev/blob/main/docs/rules.md#{anchor}"
# ruff reports a file it cannot parse with this code; it is not in `ruff rule --all`.
RUFF_SYNTAX_ERROR = "invalid-syntax"

# How an unvetted ruff rule is filed, from the category ruff gives it: (coderev category,
# severity in product code, precision). Never above medium: high is a judgement made by hand.
_BY_RUFF_CATEGORY: dict[str, tuple[Category, Severity, Precision]] = {
    "correctness": (Category.BUG_RISK, Severity.MEDIUM, Precision.HIGH),
    "suspicious": (Category.BUG_RISK, Severity.LOW, Precision.MEDIUM),
    "security": (Category.SECURITY, Severity.MEDIUM, Precision.LOW),
    "performance": (Category.MAINTAINABILITY, Severity.LOW, Precision.HIGH),
    "complexity": (Category.MAINTAINABILITY, Severity.LOW, Precision.HIGH),
}
_STYLE = (Category.STYLE, Severity.LOW, Precision.HIGH)

_REQUIRED = ("title", "why", "suggestion", "severity", "precision")
_KNOWN = frozenset(
    {*_REQUIRED, "name", "category", "cwe", "skip_roles", "graded", "help_uri", "variants", "forms"}
)


@dataclass(frozen=True, slots=True)
class RuffRule:
    """ruff's own documentation of one rule (a row of ruff_rules.json)."""

    code: str
    name: str
    linter: str
    summary: str
    category: str
    status: str
    fix: str
    what: str
    why: str


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every rule's entry by exact id, plus the version of the data it was built from."""

    version: str
    ruff_version: str
    entries: Mapping[str, RuleEntry]
    variants: Mapping[str, Mapping[str, str]]  # rule id -> context -> suggestion there

    def __iter__(self) -> Iterator[RuleEntry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.entries

    def rule(self, rule_id: str) -> RuleEntry:
        """The entry for `rule_id`; a rule the catalogue lacks gets a plain, unvetted one."""
        return self.entries.get(rule_id) or _unknown(rule_id)

    def suggestion(self, rule_id: str, context: str | None = None) -> str:
        """The rule's suggestion, or the one written for `context` (e.g. "package-init")."""
        if context and (text := self.variants.get(rule_id, {}).get(context)):
            return text
        return self.rule(rule_id).suggestion


def _unknown(rule_id: str) -> RuleEntry:
    return RuleEntry(
        id=rule_id, name=rule_id, title=rule_id, why="", suggestion="",
        category=Category.STYLE, severity=Severity.LOW, precision=Precision.LOW,
        origin=Origin.RUFF, vetted=False,
    )  # fmt: skip


def title_from_summary(summary: str, name: str) -> str:
    """ruff's summary, or its rule name in words where the summary has message placeholders
    (`Line too long ({width} > {limit})` would read as a broken sentence without them)."""
    if "{" in summary or not summary.strip():
        return name.replace("-", " ").capitalize()
    return summary.strip().rstrip(".")


def first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n", 1)[0].split())


def ruff_entry(rule: RuffRule) -> RuleEntry:
    """An unvetted entry: ruff's words, no advice of coderev's own."""
    from coderev.rules.repetition import without_repeats

    category, severity, precision = _BY_RUFF_CATEGORY.get(rule.category, _STYLE)
    title = title_from_summary(rule.summary, rule.name)
    # ruff's summary often opens its "why" as well: the entry says it once
    _, why = without_repeats((title, first_paragraph(rule.why)))
    _, what = without_repeats((title, first_paragraph(rule.what)))
    return RuleEntry(
        id=rule.code,
        name=rule.name,
        title=title,
        why=why or what,
        suggestion="",
        category=category,
        severity=severity,
        precision=precision,
        origin=Origin.RUFF,
        vetted=False,
        help_uri=RUFF_DOCS.format(name=rule.name),
        fixable=rule.fix,
        linter=rule.linter,
    )


def vetted_entry(
    rule_id: str,
    raw: Mapping[str, Any],
    base: RuleEntry | None,
    origin: Origin,
    default_category: str | None = None,
) -> RuleEntry:
    """An entry written by hand; `base` is ruff's entry for the same rule, if there is one.

    Its category is its own `category`, else the file's, else the one derived for `base`."""
    where = f"rules catalogue: [{rule_id}]"
    if unknown := set(raw) - _KNOWN:
        raise ConfigError(f"{where} has unknown field(s) {', '.join(sorted(unknown))}")
    if missing := [k for k in _REQUIRED if not isinstance(raw.get(k), str) or not raw[k]]:
        raise ConfigError(f"{where} lacks {', '.join(missing)}")
    category = raw.get("category") or default_category
    if category is None and base is None:
        raise ConfigError(f"{where} lacks category")
    name = raw.get("name") or (base.name if base else "")
    if not name:
        raise ConfigError(f"{where} lacks name")
    try:
        return RuleEntry(
            id=rule_id,
            name=str(name),
            title=raw["title"],
            why=raw["why"],
            suggestion=raw["suggestion"],
            category=Category(category) if category else base.category,  # type: ignore[union-attr]
            severity=Severity(raw["severity"]),
            precision=Precision(raw["precision"]),
            origin=origin,
            vetted=True,
            help_uri=str(
                raw.get("help_uri")
                or (base.help_uri if base else "")
                or (CODEREV_DOCS.format(anchor=rule_id.lower()) if origin is Origin.CODEREV else "")
            ),
            cwe=tuple(int(n) for n in raw.get("cwe", ())),
            skip_roles=frozenset(FileRole(r) for r in raw.get("skip_roles", ())),
            graded=bool(raw.get("graded", False)),
            fixable=base.fixable if base else "none",
            linter=base.linter if base else "coderev",
            forms=_forms(where, raw.get("forms", {})),
        )
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


_FORM_FIELDS = frozenset(
    {"severity", "precision", "why", "message_contains", "line_matches", "line_lacks"}
)


def _forms(where: str, raw: Mapping[str, Any]) -> tuple[RuleForm, ...]:
    """A rule's `[rules.X.forms.NAME]` tables, each with a severity, a why and a test."""
    forms = []
    for name, table in raw.items():
        if unknown := set(table) - _FORM_FIELDS:
            raise ConfigError(f"{where} form {name!r} has unknown field(s) {sorted(unknown)}")
        tests = ("message_contains", "line_matches", "line_lacks")
        if not table.get("why") or not any(table.get(t) for t in tests):
            raise ConfigError(f"{where} form {name!r} needs a why and one of {', '.join(tests)}")
        for field in ("line_matches", "line_lacks"):
            if table.get(field):
                import re

                try:
                    re.compile(table[field])
                except re.error as exc:
                    raise ConfigError(f"{where} form {name!r}: {field}: {exc}") from None
        try:
            severity = Severity(table["severity"]) if "severity" in table else None
            precision = Precision(table["precision"]) if "precision" in table else None
        except ValueError as exc:
            raise ConfigError(f"{where} form {name!r}: {exc}") from None
        forms.append(
            RuleForm(
                name=str(name),
                severity=severity,
                why=str(table["why"]),
                message_contains=str(table.get("message_contains", "")),
                line_matches=str(table.get("line_matches", "")),
                line_lacks=str(table.get("line_lacks", "")),
                precision=precision,
            )
        )
    return tuple(forms)


def _read(name: str) -> str:
    from importlib import resources  # 13 ms to import: only when the catalogue is first read

    return resources.files("coderev.rules").joinpath(name).read_text("utf-8")


def _toml(text: str, source: str) -> dict[str, Any]:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"rules catalogue: {source} is not valid TOML: {exc}") from None
    if not isinstance(data.get("rules"), dict):
        raise ConfigError(f"rules catalogue: {source} has no [rules] table")
    return data


def build(ruff_data: Mapping[str, Any], vetted: Mapping[str, str], own: str) -> Catalogue:
    """The catalogue from ruff's data, the vetted overlay files (name -> TOML) and coderev.toml."""
    rules = ruff_data["rules"]
    entries: dict[str, RuleEntry] = {
        code: ruff_entry(RuffRule(code=code, **row)) for code, row in rules.items()
    }
    variants: dict[str, dict[str, str]] = {}
    own_data = _toml(own, "coderev.toml")
    version = own_data.get("version")
    if not isinstance(version, int):
        raise ConfigError("rules catalogue: coderev.toml needs an integer `version`")
    overlays = [(name, _toml(text, name), Origin.RUFF) for name, text in sorted(vetted.items())]
    for name, data, origin in [*overlays, ("coderev.toml", own_data, Origin.CODEREV)]:
        for rule_id, raw in data["rules"].items():
            base = entries.get(rule_id)
            if origin is Origin.RUFF and base is None and rule_id != RUFF_SYNTAX_ERROR:
                raise ConfigError(f"rules catalogue: {name} vets {rule_id}, not a ruff rule")
            if rule_id in entries and entries[rule_id].vetted:
                raise ConfigError(f"rules catalogue: {rule_id} is vetted twice")
            entries[rule_id] = vetted_entry(rule_id, raw, base, origin, data.get("category"))
            if raw.get("variants"):
                variants[rule_id] = {str(k): str(v) for k, v in raw["variants"].items()}
    return Catalogue(
        version=f"{version}+ruff-{ruff_data['ruff_version']}",
        ruff_version=str(ruff_data["ruff_version"]),
        entries=entries,
        variants=variants,
    )


@cache
def default_catalogue() -> Catalogue:
    """The catalogue shipped with coderev (read once per process, on first use)."""
    import json
    from importlib import resources

    folder = resources.files("coderev.rules").joinpath("vetted")
    vetted = {f.name: f.read_text("utf-8") for f in folder.iterdir() if f.name.endswith(".toml")}
    return build(json.loads(_read("ruff_rules.json")), vetted, _read("coderev.toml"))


def rule(rule_id: str) -> RuleEntry:
    """The catalogue's entry for `rule_id` (see Catalogue.rule)."""
    return default_catalogue().rule(rule_id)
