"""The JSONPath subset the States Language uses, evaluated the way Step Functions does.

Step Functions evaluates paths with Jayway JsonPath: a *definite* path (names and single
indexes only) yields one value, an *indefinite* one (wildcard, slice, union, filter, deep
scan) yields the list of matches. jsonpath-ng (moto's choice) returns match lists and moto
re-derives definiteness with regular expressions; parsing the small grammar here keeps the
AWS rule exact and keeps the runtime free of a parser dependency. Reference paths (for
ResultPath) are the definite subset and can be written to.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from coderev.runtime.states.errors import StatesError


class PathSyntaxError(StatesError):
    """The text is not a JSONPath this interpreter understands."""


class PathNotFoundError(StatesError):
    """A definite path selects nothing in the data."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(path)


@dataclass(frozen=True, slots=True)
class Step:
    """One selector: kind is name | index | wildcard | slice | union | filter | deep."""

    kind: str
    name: str = ""
    index: int = 0
    start: int | None = None
    stop: int | None = None
    step: int | None = None
    names: tuple[str | int, ...] = ()
    filter_key: tuple[str, ...] = ()
    filter_op: str = ""
    filter_value: Any = None


@dataclass(frozen=True, slots=True)
class JsonPath:
    text: str
    context: bool  # starts with $$ (the context object)
    steps: tuple[Step, ...]
    definite: bool  # only names and single indexes: selects one value, can be assigned to

    def normalized(self) -> str:
        """Jayway's normalized form, e.g. $['a'][0], used in error causes."""
        out = "$"
        for s in self.steps:
            out += f"['{s.name}']" if s.kind == "name" else f"[{s.index}]"
        return out


_NAME = re.compile(r"[^.\[\]\s]+")
_FILTER = re.compile(r"\?\(\s*@((?:\.[A-Za-z_][\w-]*)+)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*\)\s*$")


@lru_cache(maxsize=4096)
def parse(text: str) -> JsonPath:
    if not text.startswith("$"):
        raise PathSyntaxError(f"a path must start with '$': {text!r}")
    context = text.startswith("$$")
    pos = 2 if context else 1
    steps: list[Step] = []
    while pos < len(text):
        if text.startswith("..", pos):
            match = _NAME.match(text, pos + 2)
            if not match:
                raise PathSyntaxError(f"bad deep scan in {text!r}")
            steps.append(Step("deep", name=match.group()))
            pos = match.end()
        elif text[pos] == ".":
            if text.startswith(".*", pos):
                steps.append(Step("wildcard"))
                pos += 2
                continue
            match = _NAME.match(text, pos + 1)
            if not match:
                raise PathSyntaxError(f"bad member name in {text!r}")
            steps.append(Step("name", name=match.group()))
            pos = match.end()
        elif text[pos] == "[":
            end = _closing_bracket(text, pos)
            steps.append(_bracket(text[pos + 1 : end].strip(), text))
            pos = end + 1
        else:
            raise PathSyntaxError(f"unexpected {text[pos]!r} in {text!r}")
    definite = all(s.kind in ("name", "index") for s in steps)
    return JsonPath(text, context, tuple(steps), definite)


def _closing_bracket(text: str, pos: int) -> int:
    quote = ""
    depth = 0
    for i in range(pos, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
            if depth == 0:
                return i
    raise PathSyntaxError(f"unclosed bracket in {text!r}")


def _bracket(inner: str, text: str) -> Step:
    if inner == "*":
        return Step("wildcard")
    if inner.startswith("?"):
        match = _FILTER.match(inner)
        if not match:
            raise PathSyntaxError(f"unsupported filter in {text!r}")
        key = tuple(match.group(1).split(".")[1:])
        value = json.loads(match.group(3).replace("'", '"')) if match.group(2) else None
        return Step("filter", filter_key=key, filter_op=match.group(2) or "", filter_value=value)
    parts = [p.strip() for p in _split_union(inner)]
    if len(parts) > 1:
        return Step("union", names=tuple(_member(p, text) for p in parts))
    if ":" in inner and not inner.startswith(("'", '"')):
        bounds = [int(b) if b.strip() else None for b in inner.split(":")]
        bounds += [None] * (3 - len(bounds))
        return Step("slice", start=bounds[0], stop=bounds[1], step=bounds[2])
    member = _member(inner, text)
    if isinstance(member, int):
        return Step("index", index=member)
    return Step("name", name=member)


def _split_union(inner: str) -> list[str]:
    parts: list[str] = []
    quote, current = "", ""
    for ch in inner:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == ",":
            parts.append(current)
            current = ""
            continue
        current += ch
    return [*parts, current]


def _member(part: str, text: str) -> str | int:
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "'\"":
        return part[1:-1]
    try:
        return int(part)
    except ValueError:
        raise PathSyntaxError(f"bad selector [{part}] in {text!r}") from None


def select(path: JsonPath, data: Any) -> Any:
    """Evaluate `path` on `data`: one value if definite, else the list of matches."""
    if path.definite:
        value = data
        for s in path.steps:
            if s.kind == "name" and isinstance(value, dict) and s.name in value:
                value = value[s.name]
            elif (
                s.kind == "index"
                and isinstance(value, list)
                and -len(value) <= s.index < len(value)
            ):
                value = value[s.index]
            else:
                raise PathNotFoundError(path.text)
        return value
    nodes = [data]
    for s in path.steps:
        nodes = [child for node in nodes for child in _children(s, node)]
    return nodes


def _children(s: Step, node: Any) -> list[Any]:
    if s.kind == "name":
        return [node[s.name]] if isinstance(node, dict) and s.name in node else []
    if s.kind == "index":
        ok = isinstance(node, list) and -len(node) <= s.index < len(node)
        return [node[s.index]] if ok else []
    if s.kind == "wildcard":
        return (
            list(node.values())
            if isinstance(node, dict)
            else list(node)
            if isinstance(node, list)
            else []
        )
    if s.kind == "slice":
        return node[s.start : s.stop : s.step] if isinstance(node, list) else []
    if s.kind == "union":
        return [c for n in s.names for c in _children(_single(n), node)]
    if s.kind == "deep":
        return _deep(s.name, node)
    items = (
        node if isinstance(node, list) else list(node.values()) if isinstance(node, dict) else []
    )
    return [item for item in items if _keep(s, item)]


def _single(member: str | int) -> Step:
    return Step("index", index=member) if isinstance(member, int) else Step("name", name=member)


def _deep(name: str, node: Any) -> list[Any]:
    found: list[Any] = []
    if isinstance(node, dict):
        if name in node:
            found.append(node[name])
        for value in node.values():
            found.extend(_deep(name, value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_deep(name, value))
    return found


def _keep(s: Step, item: Any) -> bool:
    value = item
    for key in s.filter_key:
        if not isinstance(value, dict) or key not in value:
            return False
        value = value[key]
    if not s.filter_op:
        return True
    other = s.filter_value
    try:
        return bool(
            {
                "==": lambda: value == other,
                "!=": lambda: value != other,
                "<": lambda: value < other,
                "<=": lambda: value <= other,
                ">": lambda: value > other,
                ">=": lambda: value >= other,
            }[s.filter_op]()
        )
    except TypeError:
        return False


def assign(path: JsonPath, data: Any, value: Any) -> Any:
    """Return a copy of `data` with `value` placed at the reference path (ResultPath)."""
    if not path.definite:
        raise PathSyntaxError(f"not a reference path: {path.text!r}")
    if not path.steps:
        return value
    return _assign(path.steps, data, value, path.text)


def _assign(steps: tuple[Step, ...], node: Any, value: Any, text: str) -> Any:
    head, rest = steps[0], steps[1:]
    if head.kind == "name":
        if node is None:
            node = {}
        if not isinstance(node, dict):
            raise PathNotFoundError(text)
        copy = dict(node)
        copy[head.name] = _assign(rest, copy.get(head.name), value, text) if rest else value
        return copy
    if not isinstance(node, list) or not -len(node) <= head.index < len(node):
        raise PathNotFoundError(text)
    items = list(node)
    items[head.index] = _assign(rest, items[head.index], value, text) if rest else value
    return items
