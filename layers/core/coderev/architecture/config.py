"""Reading a repository's coderev and import-linter configuration into one ProjectConfig.

Looked for at the repository root:

- coderev: `.coderev.toml` (its top level, or a `[tool.coderev]` table in it), else
  `[tool.coderev]` in `pyproject.toml`. Keys: root_packages, exclude, ruff_select, thresholds
  (max_complexity, max_function_length, max_parameters, max_nesting, min_maintainability),
  contracts (a list of tables with import-linter's keys, see config_contracts), roles (a table
  of role = [globs], see coderev.analysis.roles) and gate_roles (the roles whose findings the
  quality gate counts; default ["source"]).
- import-linter: `.importlinter` and `setup.cfg` (`[importlinter]` with root_package /
  root_packages, and `[importlinter:contract:<id>]` sections, values one per line), and
  `[tool.importlinter]` in `pyproject.toml` (root_package(s) and a `contracts` list).

Everything found is merged: root packages (coderev's first, then import-linter's), and all the
contracts (a contract whose name was already seen is kept once). Every built-in import-linter
2.x contract type is checked (see config_contracts); a contract of a custom type (one the
file registers through `contract_types`, even under a built-in name, or any other type name) is
recorded in `unsupported_contracts`, never silently dropped. Of import-linter's graph options,
`exclude_type_checking_imports = true` is honoured for the contracts of that file (they are
checked without imports made only under `if TYPE_CHECKING:`); `include_external_packages` is
accepted and has no effect (coderev always keeps external imports, so a forbidden external
package is checked even where import-linter would ask for the option). A file that cannot be
read, or a key of the wrong type, raises ConfigError naming the file and the key.
"""

from __future__ import annotations

import configparser
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from coderev.architecture.config_contracts import SUPPORTED_TYPES, contract_type, parse_contract
from coderev.domain.architecture import UnsupportedContract
from coderev.domain.config import Contract, GraphRule, ProjectConfig, Thresholds
from coderev.domain.errors import ConfigError
from coderev.domain.roles import FileRole, RoleGlobs

_CODEREV_KEYS = {
    "root_packages",
    "exclude",
    "ruff_select",
    "thresholds",
    "contracts",
    "roles",
    "gate_roles",
    "graph_rules",
}
_IMPORTLINTER_KEYS = {
    "root_package",
    "root_packages",
    "contracts",
    "include_external_packages",
    "exclude_type_checking_imports",
    "cache_dir",
    "contract_types",
}


@dataclass(slots=True)
class _Merged:
    root_packages: list[str] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)
    unsupported: list[UnsupportedContract] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    without_type_checking: list[str] = field(default_factory=list)

    def add_roots(self, roots: tuple[str, ...]) -> None:
        self.root_packages.extend(r for r in roots if r not in self.root_packages)

    def add_contract(
        self,
        raw: Mapping[str, Any],
        where: str,
        custom: Mapping[str, str] | None = None,
        without_type_checking: bool = False,
    ) -> None:
        """`custom`: the contract types the same file registers (type name -> class);
        `without_type_checking`: the file sets exclude_type_checking_imports."""
        kind = contract_type(raw, where)
        if (custom and kind in custom) or kind not in SUPPORTED_TYPES:
            name = str(raw.get("name", "?"))
            if custom and kind in custom:
                why = f"coderev does not run the project's own contract class ({custom[kind]})"
            else:
                why = "not an import-linter 2.x contract type, nor one this file registers"
            self.unsupported.append(UnsupportedContract(name, kind, where, why))
            return
        contract = parse_contract(raw, where)
        if all(c.name != contract.name for c in self.contracts):
            self.contracts.append(contract)
            if without_type_checking:
                self.without_type_checking.append(contract.name)


def load_project_config(config_files: Mapping[str, bytes]) -> ProjectConfig:
    """The configuration the files at the repository root describe (keys are relative paths)."""
    files = {k.removeprefix("./"): v for k, v in config_files.items()}
    files = {k: v for k, v in files.items() if "/" not in k}
    merged = _Merged()
    config = ProjectConfig()
    pyproject = (
        _toml(files["pyproject.toml"], "pyproject.toml") if "pyproject.toml" in files else {}
    )
    if ".coderev.toml" in files:
        data = _toml(files[".coderev.toml"], ".coderev.toml")
        tool = data.get("tool")
        table = tool["coderev"] if isinstance(tool, dict) and "coderev" in tool else data
        config = _coderev(table, ".coderev.toml", merged)
    elif isinstance(pyproject.get("tool"), dict) and "coderev" in pyproject["tool"]:
        config = _coderev(pyproject["tool"]["coderev"], "pyproject.toml [tool.coderev]", merged)
    for name in (".importlinter", "setup.cfg"):
        if name in files:
            _importlinter_ini(files[name], name, merged)
    if isinstance(pyproject.get("tool"), dict) and "importlinter" in pyproject["tool"]:
        _importlinter_toml(pyproject["tool"]["importlinter"], merged)
    return replace(
        config,
        root_packages=tuple(merged.root_packages),
        contracts=tuple(merged.contracts),
        unsupported_contracts=tuple(merged.unsupported),
        contracts_without_type_checking=tuple(merged.without_type_checking),
        sources=tuple(merged.sources),
    )


def load_config_file(path: str | Path) -> ProjectConfig:
    """The configuration in one file given on the command line (`--config`).

    `pyproject.toml` is read for [tool.coderev] and [tool.importlinter]; another `.toml` file is
    read as a `.coderev.toml`; `setup.cfg`, `.importlinter` and `.ini` files as import-linter INI.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise ConfigError(f"{p}: cannot read the configuration file ({e.strerror})") from None
    if p.name == "pyproject.toml":
        key = "pyproject.toml"
    elif p.suffix == ".toml":
        key = ".coderev.toml"
    elif p.name == "setup.cfg" or p.suffix in (".ini", ".cfg") or p.name == ".importlinter":
        key = ".importlinter" if p.name != "setup.cfg" else "setup.cfg"
    else:
        raise ConfigError(f"{p}: not a .toml, setup.cfg, .importlinter or .ini file")
    config = load_project_config({key: data})
    if not config.sources:
        raise ConfigError(f"{p}: holds no coderev or import-linter configuration")
    return config


# --- coderev ---------------------------------------------------------------------------------


def _toml(data: bytes, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{name}: invalid TOML ({e})") from None


def _coderev(table: Any, where: str, merged: _Merged) -> ProjectConfig:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    unknown = sorted(set(table) - _CODEREV_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_CODEREV_KEYS))})"
        )
    merged.sources.append(where)
    merged.add_roots(_string_list(table, "root_packages", where))
    contracts = table.get("contracts", [])
    if not isinstance(contracts, list) or not all(isinstance(c, dict) for c in contracts):
        raise ConfigError(f"{where}: contracts must be a list of tables ([[...contracts]])")
    for i, raw in enumerate(contracts):
        merged.add_contract(raw, f"{where} contracts[{i}]")
    return ProjectConfig(
        exclude=_string_list(table, "exclude", where),
        ruff_select=_string_list(table, "ruff_select", where),
        thresholds=_thresholds(table.get("thresholds", {}), f"{where} thresholds"),
        roles=_roles(table.get("roles", {}), f"{where} roles"),
        gate_roles=_gate_roles(table, where),
        graph_rules=_graph_rules(table.get("graph_rules", []), f"{where} graph_rules"),
    )


def _graph_rules(value: Any, where: str) -> tuple[GraphRule, ...]:
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise ConfigError(f"{where}: must be a list of tables ([[...graph_rules]])")
    rules: list[GraphRule] = []
    for i, raw in enumerate(value):
        unknown = sorted(set(raw) - {"name", "cypher", "guidance"})
        if unknown:
            raise ConfigError(f"{where}[{i}]: unknown key {unknown[0]!r} (name, cypher, guidance)")
        fields = {k: raw.get(k, "") for k in ("name", "cypher", "guidance")}
        if not all(isinstance(v, str) for v in fields.values()):
            raise ConfigError(f"{where}[{i}]: name, cypher and guidance must be strings")
        if not fields["name"].strip() or not fields["cypher"].strip():
            raise ConfigError(f"{where}[{i}]: a graph rule needs a name and a cypher query")
        if any(r.name == fields["name"] for r in rules):
            raise ConfigError(f"{where}[{i}]: a second rule named {fields['name']!r}")
        rules.append(GraphRule(fields["name"], fields["cypher"], fields["guidance"]))
    return tuple(rules)


def _string_list(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    return tuple(v.strip() for v in value)


def _thresholds(table: Any, where: str) -> Thresholds:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    defaults = Thresholds()
    values: dict[str, Any] = {}
    for key, value in table.items():
        if not hasattr(defaults, key):
            raise ConfigError(f"{where}: unknown key {key!r}")
        wanted = type(getattr(defaults, key))
        ok = isinstance(value, int | float) if wanted is float else isinstance(value, int)
        if isinstance(value, bool) or not ok or value < 0:
            kind = "a number" if wanted is float else "a whole number"
            raise ConfigError(f"{where}: {key} must be {kind} >= 0, not {value!r}")
        values[key] = float(value) if wanted is float else value
    return replace(defaults, **values)


def _role(name: str, where: str) -> FileRole:
    try:
        return FileRole(name)
    except ValueError:
        known = ", ".join(r.value for r in FileRole)
        raise ConfigError(f"{where}: unknown role {name!r} (known: {known})") from None


def _roles(table: Any, where: str) -> tuple[RoleGlobs, ...]:
    """`[tool.coderev.roles]`: a list of globs per role name, kept in the order written."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table of role = [globs]")
    return tuple(RoleGlobs(_role(name, where), _string_list(table, name, where)) for name in table)


def _gate_roles(table: Mapping[str, Any], where: str) -> tuple[FileRole, ...]:
    if "gate_roles" not in table:
        return (FileRole.SOURCE,)
    names = _string_list(table, "gate_roles", where)
    if not names:
        raise ConfigError(f"{where}: gate_roles must name at least one role")
    return tuple(dict.fromkeys(_role(n, f"{where} gate_roles") for n in names))


# --- import-linter ---------------------------------------------------------------------------


def _importlinter_ini(data: bytes, name: str, merged: _Merged) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(data.decode("utf-8"), source=name)
    except (UnicodeDecodeError, configparser.Error) as e:
        raise ConfigError(f"{name}: invalid INI ({e})") from None
    if not parser.has_section("importlinter"):
        return
    where = f"{name} [importlinter]"
    merged.sources.append(where)
    main = _ini_values(parser["importlinter"])
    merged.add_roots(_roots(main, where))
    custom = _custom_types(main.get("contract_types"), where)
    no_tc = _flag(main, "exclude_type_checking_imports", where)
    prefix = "importlinter:contract:"
    for section in parser.sections():
        if section.startswith(prefix):
            raw = {"id": section[len(prefix) :], **_ini_values(parser[section])}
            merged.add_contract(raw, f"{name} [{section}]", custom, no_tc)


def _ini_values(section: configparser.SectionProxy) -> dict[str, str | list[str]]:
    """import-linter's INI reading: a value spanning several lines is a list of its lines."""
    out: dict[str, str | list[str]] = {}
    for key, value in section.items():
        value = value.strip()
        lines = [line.strip() for line in value.splitlines() if line.strip()]
        out[key] = lines if "\n" in value else value
    return out


def _importlinter_toml(table: Any, merged: _Merged) -> None:
    where = "pyproject.toml [tool.importlinter]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    unknown = sorted(set(table) - _IMPORTLINTER_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}")
    merged.sources.append(where)
    merged.add_roots(_roots(table, where))
    custom = _custom_types(table.get("contract_types"), where)
    no_tc = _flag(table, "exclude_type_checking_imports", where)
    contracts = table.get("contracts", [])
    if not isinstance(contracts, list) or not all(isinstance(c, dict) for c in contracts):
        raise ConfigError(f"{where}: contracts must be a list of tables")
    for i, raw in enumerate(contracts):
        merged.add_contract(raw, f"{where} contracts[{i}]", custom, no_tc)


def _flag(table: Mapping[str, Any], key: str, where: str) -> bool:
    value = table.get(key, False)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false")
    return value


def _custom_types(value: object, where: str) -> dict[str, str]:
    """import-linter's `contract_types`: "name: package.module.Class" lines."""
    if value is None:
        return {}
    lines = value.splitlines() if isinstance(value, str) else value
    if not isinstance(lines, list) or not all(isinstance(v, str) for v in lines):
        raise ConfigError(f"{where}: contract_types must be a list of 'name: module.Class'")
    out: dict[str, str] = {}
    for line in (v.strip() for v in lines):
        name, colon, cls = line.partition(":")
        if line and (not colon or not name.strip() or not cls.strip()):
            raise ConfigError(f"{where}: contract_types entry {line!r} is not 'name: module.Class'")
        if line:
            out[name.strip()] = cls.strip()
    return out


def _roots(table: Mapping[str, Any], where: str) -> tuple[str, ...]:
    if "root_package" in table and "root_packages" in table:
        raise ConfigError(f"{where}: give root_package or root_packages, not both")
    if "root_package" in table:
        value = table["root_package"]
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: root_package must be a module name")
        return (value.strip(),)
    value = table.get("root_packages", [])
    if isinstance(value, str):
        value = value.split()
    return _string_list({"root_packages": value}, "root_packages", where)
