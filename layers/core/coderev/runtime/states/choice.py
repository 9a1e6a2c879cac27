"""Choice rules: the comparison operators, And/Or/Not, and the type tests.

A comparison whose variable has the wrong type is simply false (AWS does not fail the
state); a variable path that selects nothing is States.Runtime, except for IsPresent.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from coderev.runtime.states import jsonpath
from coderev.runtime.states.errors import RuntimeFailure

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}
_KINDS = ("String", "Numeric", "Boolean", "Timestamp")
TYPE_TESTS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")
COMPARISONS = frozenset(
    f"{kind}{op}{suffix}"
    for kind in _KINDS
    for op in _ORDER
    for suffix in ("", "Path")
    if not (kind == "Boolean" and op != "Equals")
) | {"StringMatches"}


def parse_timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _coerce(kind: str, value: Any) -> Any:
    """The value as the comparison kind, or None when it is not of that kind."""
    if kind == "String":
        return value if isinstance(value, str) else None
    if kind == "Numeric":
        return value if _is_number(value) else None
    if kind == "Boolean":
        return value if isinstance(value, bool) else None
    return parse_timestamp(value)


def string_matches(value: str, pattern: str) -> bool:
    regex, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            regex += re.escape(pattern[i + 1])
            i += 2
            continue
        regex += ".*" if ch == "*" else re.escape(ch)
        i += 1
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _variable(rule: dict[str, Any], data: Any, context: Any) -> Any:
    path = jsonpath.parse(rule["Variable"])
    try:
        return jsonpath.select(path, context if path.context else data)
    except jsonpath.PathNotFoundError:
        raise RuntimeFailure(
            f"Invalid path '{rule['Variable']}': The choice state's condition path "
            "references an invalid value."
        ) from None


def _type_test(test: str, rule: dict[str, Any], data: Any, context: Any) -> bool:
    expected = bool(rule[test])
    if test == "IsPresent":
        try:
            _variable(rule, data, context)
            present = True
        except RuntimeFailure:
            present = False
        return present == expected
    try:
        value = _variable(rule, data, context)
    except RuntimeFailure:
        return False  # type tests on an absent variable are false, not an error
    actual = {
        "IsNull": value is None,
        "IsNumeric": _is_number(value),
        "IsString": isinstance(value, str),
        "IsBoolean": isinstance(value, bool),
        "IsTimestamp": parse_timestamp(value) is not None,
    }[test]
    return actual == expected


def matches(rule: dict[str, Any], data: Any, context: Any) -> bool:
    """Whether one Choice rule (top-level or nested) holds for `data`."""
    if "And" in rule:
        return all(matches(r, data, context) for r in rule["And"])
    if "Or" in rule:
        return any(matches(r, data, context) for r in rule["Or"])
    if "Not" in rule:
        return not matches(rule["Not"], data, context)
    for test in TYPE_TESTS:
        if test in rule:
            return _type_test(test, rule, data, context)
    op = next(k for k in rule if k in COMPARISONS)
    value = _variable(rule, data, context)
    expected = rule[op]
    if op == "StringMatches":
        return isinstance(value, str) and string_matches(value, expected)
    if op.endswith("Path"):
        op = op[:-4]
        expected = _variable({"Variable": expected}, data, context)
    kind = next(k for k in _KINDS if op.startswith(k))
    left, right = _coerce(kind, value), _coerce(kind, expected)
    if left is None or right is None:
        return False
    return _ORDER[op[len(kind) :]](left, right)
