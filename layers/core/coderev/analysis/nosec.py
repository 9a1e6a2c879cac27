"""bandit's `# nosec` comments, honoured for ruff's security (S) findings.

ruff implements bandit's checks as its S rules but reads only `# noqa`. Projects that used
bandit marked the exceptions they reviewed with `# nosec`, so with the project's configuration
coderev drops an S finding when a `# nosec` comment is on one of its lines (the flagged line
to the end of the flagged node, and the line ruff would read a `# noqa` on), as bandit does:

- `# nosec` alone, or followed by words that name no test, suppresses every security finding
  there;
- `# nosec B105, B106` (also `# nosec: B105`, or bandit's test names such as
  `# nosec hardcoded_password_string`) suppresses only those. bandit's test ids map to ruff's
  codes by number (B105 is S105: ruff's flake8-bandit port kept them), except B703 (django
  mark_safe), which ruff checks as S308; ruff's own codes (S105) are read too. Words that
  name no test are ignored, as bandit ignores them.

Comments are found with tokenize, as bandit finds them, so "# nosec" inside a string does not
count; a file that does not tokenize is read line by line. Written by hand: no library reads
bandit's comments without running bandit.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["NosecLines", "drop_nosec"]

_NOSEC = re.compile(r"#\s*nosec\b:?(?P<rest>[^#]*)", re.IGNORECASE)
_RUFF_CODE = re.compile(r"S\d{3}")
# bandit 1.8's tests that ruff checks, by name (plugins, then the call and import
# blacklists); B703 is the one ruff checks under another number.
_BANDIT_IDS = {
    "assert_used": "B101", "exec_used": "B102", "set_bad_file_permissions": "B103",
    "hardcoded_bind_all_interfaces": "B104", "hardcoded_password_string": "B105",
    "hardcoded_password_funcarg": "B106", "hardcoded_password_default": "B107",
    "hardcoded_tmp_directory": "B108", "try_except_pass": "B110", "try_except_continue": "B112",
    "request_without_timeout": "B113", "flask_debug_true": "B201",
    "tarfile_unsafe_members": "B202", "hashlib_insecure_functions": "B324",
    "request_with_no_cert_validation": "B501", "ssl_with_bad_version": "B502",
    "ssl_with_bad_defaults": "B503", "ssl_with_no_version": "B504",
    "weak_cryptographic_key": "B505", "yaml_load": "B506", "ssh_no_host_key_verification": "B507",
    "snmp_insecure_version": "B508", "snmp_weak_cryptography": "B509", "paramiko_calls": "B601",
    "subprocess_popen_with_shell_equals_true": "B602",
    "subprocess_without_shell_equals_true": "B603",
    "any_other_function_with_shell_equals_true": "B604", "start_process_with_a_shell": "B605",
    "start_process_with_no_shell": "B606", "start_process_with_partial_path": "B607",
    "hardcoded_sql_expressions": "B608", "linux_commands_wildcard_injection": "B609",
    "django_extra_used": "B610", "django_rawsql_used": "B611",
    "logging_config_insecure_listen": "B612", "jinja2_autoescape_false": "B701",
    "use_of_mako_templates": "B702", "django_mark_safe": "B703", "markupsafe_markup_xss": "B704",
    "pickle": "B301", "marshal": "B302", "md5": "B303", "ciphers": "B304", "cipher_modes": "B305",
    "mktemp_q": "B306", "eval": "B307", "mark_safe": "B308", "urllib_urlopen": "B310",
    "random": "B311", "telnetlib": "B312", "xml_bad_cElementTree": "B313",
    "xml_bad_ElementTree": "B314", "xml_bad_expatreader": "B315", "xml_bad_expatbuilder": "B316",
    "xml_bad_sax": "B317", "xml_bad_minidom": "B318", "xml_bad_pulldom": "B319",
    "xml_bad_etree": "B320", "ftplib": "B321", "unverified_context": "B323",
    "import_telnetlib": "B401", "import_ftplib": "B402", "import_pickle": "B403",
    "import_subprocess": "B404", "import_xml_etree": "B405", "import_xml_sax": "B406",
    "import_xml_expat": "B407", "import_xml_minidom": "B408", "import_xml_pulldom": "B409",
    "import_lxml": "B410", "import_xmlrpclib": "B411", "import_httpoxy": "B412",
    "import_pycrypto": "B413", "import_pyghmi": "B415",
}  # fmt: skip
_TO_RUFF: dict[str, str] = {}
for _name, _id in _BANDIT_IDS.items():
    _TO_RUFF[_id] = _TO_RUFF[_name] = "S308" if _id == "B703" else "S" + _id[1:]

# A line's mark: None suppresses every security finding there, else only these ruff codes.
NosecLines = dict[int, frozenset[str] | None]


def drop_nosec(
    diagnostics: Sequence[tuple[str, dict[str, Any]]], sources: Mapping[str, bytes]
) -> tuple[list[tuple[str, dict[str, Any]]], int]:
    """ruff's diagnostics (each with its path) without the security ones a `# nosec` comment
    suppresses, and how many were dropped."""
    marks: dict[str, NosecLines] = {}
    kept: list[tuple[str, dict[str, Any]]] = []
    for path, d in diagnostics:
        code = str(d.get("code") or "")
        if _is_security(code) and path in sources:
            if path not in marks:
                marks[path] = nosec_lines(sources[path])
            if _suppressed(code, _rows(d), marks[path]):
                continue
        kept.append((path, d))
    return kept, len(diagnostics) - len(kept)


def nosec_lines(source: bytes) -> NosecLines:
    """Every line of `source` holding a `# nosec` comment, with what it suppresses."""
    if b"nosec" not in source.lower():
        return {}
    marks: NosecLines = {}
    for row, comment in _comments(source):
        if match := _NOSEC.search(comment):
            marks[row] = _named(match["rest"])
    return marks


def _is_security(code: str) -> bool:
    return code.startswith("S") and code[1:].isdigit()


def _rows(d: dict[str, Any]) -> set[int]:
    first = int(d["location"]["row"])
    last = int((d.get("end_location") or {}).get("row") or first)
    rows = set(range(first, max(first, last) + 1))
    if isinstance(d.get("noqa_row"), int):
        rows.add(d["noqa_row"])
    return rows


def _suppressed(code: str, rows: set[int], marks: NosecLines) -> bool:
    for row in rows:
        if row in marks:
            named = marks[row]
            if named is None or code in named:
                return True
    return False


def _named(rest: str) -> frozenset[str] | None:
    """The ruff codes a `# nosec` comment's words name; None (all) when they name none."""
    named: set[str] = set()
    for token in re.split(r"[\s,]+", rest.strip()):
        if token.upper() in _TO_RUFF:
            named.add(_TO_RUFF[token.upper()])
        elif token in _TO_RUFF:
            named.add(_TO_RUFF[token])
        elif _RUFF_CODE.fullmatch(token.upper()):
            named.add(token.upper())
    return frozenset(named) or None


def _comments(source: bytes) -> Iterator[tuple[int, str]]:
    try:
        tokens = list(tokenize.tokenize(io.BytesIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        text = source.decode("utf-8", "replace")
        for row, line in enumerate(text.splitlines(), start=1):
            if "#" in line:
                yield row, line[line.index("#") :]
        return
    for token in tokens:
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
