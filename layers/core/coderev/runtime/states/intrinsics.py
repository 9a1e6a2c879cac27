"""Intrinsic functions (`States.Format(...)` and friends) used in `.$` fields.

Parsed once per expression into a small call tree, then evaluated against the state input
and the context object. Semantics follow the AWS Step Functions reference: argument kinds,
limits (ArrayRange at most 1000 items). A failing intrinsic is States.Runtime, as in
LocalStack's AWS-recorded behaviour (see errors.IntrinsicFailure).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from coderev.runtime.states import jsonpath
from coderev.runtime.states.errors import IntrinsicFailure, RuntimeFailure


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


@dataclass(frozen=True, slots=True)
class PathArg:
    path: jsonpath.JsonPath


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Literal | PathArg | Call, ...]


Arg = Literal | PathArg | Call


def is_intrinsic(text: str) -> bool:
    return text.startswith("States.") and text.rstrip().endswith(")")


@lru_cache(maxsize=1024)
def parse(text: str) -> Call:
    call, pos = _parse_call(text.strip(), 0)
    if pos != len(text.strip()):
        raise IntrinsicFailure(f"Unexpected text after the intrinsic function: {text!r}")
    return call


def _parse_call(text: str, pos: int) -> tuple[Call, int]:
    open_at = text.find("(", pos)
    name = text[pos:open_at].strip()
    if open_at < 0 or name not in FUNCTIONS:
        raise IntrinsicFailure(f"Unknown intrinsic function in {text!r}")
    pos = open_at + 1
    args: list[Arg] = []
    while True:
        pos = _skip_space(text, pos)
        if pos < len(text) and text[pos] == ")" and not args:
            return Call(name, tuple(args)), pos + 1
        arg, pos = _parse_arg(text, pos)
        args.append(arg)
        pos = _skip_space(text, pos)
        if pos >= len(text):
            raise IntrinsicFailure(f"Unclosed intrinsic function {text!r}")
        if text[pos] == ")":
            return Call(name, tuple(args)), pos + 1
        if text[pos] != ",":
            raise IntrinsicFailure(f"Expected ',' at {pos} in {text!r}")
        pos += 1


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _parse_arg(text: str, pos: int) -> tuple[Arg, int]:
    if text.startswith("States.", pos):
        return _parse_call(text, pos)
    if text[pos] == "'":
        out, i = "", pos + 1
        while i < len(text) and text[i] != "'":
            if text[i] == "\\" and i + 1 < len(text):
                i += 1
            out += text[i]
            i += 1
        return Literal(out), i + 1
    end = _arg_end(text, pos)
    token = text[pos:end].strip()
    if token.startswith("$"):
        return PathArg(jsonpath.parse(token)), end
    try:
        return Literal(json.loads(token)), end
    except json.JSONDecodeError:
        raise IntrinsicFailure(f"Bad argument {token!r} in {text!r}") from None


def _arg_end(text: str, pos: int) -> int:
    depth, quote = 0, ""
    for i in range(pos, len(text)):
        ch = text[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        elif ch in ",)" and not depth:
            return i
    return len(text)


def evaluate(call: Call, data: Any, context: Any) -> Any:
    args = [_value(a, data, context) for a in call.args]
    return FUNCTIONS[call.name](args)


def _value(arg: Arg, data: Any, context: Any) -> Any:
    if isinstance(arg, Literal):
        return arg.value
    if isinstance(arg, Call):
        return evaluate(arg, data, context)
    try:
        return jsonpath.select(arg.path, context if arg.path.context else data)
    except jsonpath.PathNotFoundError:
        raise RuntimeFailure(
            f"The JsonPath argument for the field '{arg.path.text}' could not be found"
        ) from None


def _arity(args: list[Any], low: int, high: int | None = None) -> None:
    if not low <= len(args) <= (low if high is None else high):
        raise IntrinsicFailure(f"Wrong number of arguments: {len(args)}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ints(*values: Any) -> list[int]:
    out: list[int] = []
    for v in values:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not _is_int(v):
            raise IntrinsicFailure(f"Expected an integer, got {json.dumps(v)}")
        out.append(v)
    return out


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise IntrinsicFailure(f"Expected an array, got {json.dumps(value)}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise IntrinsicFailure(f"Expected a string, got {json.dumps(value)}")
    return value


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _format(args: list[Any]) -> str:
    if not args:
        raise IntrinsicFailure("States.Format needs a template")
    template, values = _str(args[0]), args[1:]
    if template.count("{}") != len(values):
        raise IntrinsicFailure("Number of arguments does not match the number of placeholders")
    out, it = "", iter(values)
    parts = template.split("{}")
    for part in parts[:-1]:
        value = next(it)
        if isinstance(value, dict | list):
            raise IntrinsicFailure("States.Format takes only strings, numbers, booleans or null")
        out += part + (value if isinstance(value, str) else compact(value))
    return out + parts[-1]


def _string_to_json(args: list[Any]) -> Any:
    _arity(args, 1)
    try:
        return json.loads(_str(args[0]))
    except json.JSONDecodeError as exc:
        raise IntrinsicFailure(f"Invalid JSON: {exc}") from None


def _array_partition(args: list[Any]) -> list[Any]:
    _arity(args, 2)
    items, (size,) = _list(args[0]), _ints(args[1])
    if size <= 0:
        raise IntrinsicFailure("The chunk size must be a positive integer")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _array_range(args: list[Any]) -> list[int]:
    _arity(args, 3)
    start, end, step = _ints(*args)
    if step <= 0:
        raise IntrinsicFailure(f"Expected step argument to be non negative, but got: '{step}'.")
    items = list(range(start, end + (1 if step > 0 else -1), step))
    if len(items) > 1000:
        raise IntrinsicFailure("States.ArrayRange produces at most 1000 items")
    return items


def _array_get_item(args: list[Any]) -> Any:
    _arity(args, 2)
    items, (index,) = _list(args[0]), _ints(args[1])
    if not 0 <= index < len(items):
        raise IntrinsicFailure(f"Index {index} is out of bounds")
    return items[index]


def _array_unique(args: list[Any]) -> list[Any]:
    _arity(args, 1)
    seen: list[Any] = []
    for item in _list(args[0]):
        if not any(item == s and type(item) is type(s) for s in seen):
            seen.append(item)
    return seen


def _base64_decode(args: list[Any]) -> str:
    _arity(args, 1)
    try:
        return base64.b64decode(_str(args[0]), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise IntrinsicFailure(f"Invalid base64 input: {exc}") from None


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384",
           "SHA-512": "sha512"}  # fmt: skip


def _hash(args: list[Any]) -> str:
    _arity(args, 2)
    algorithm = _str(args[1])
    if algorithm not in _HASHES:
        raise IntrinsicFailure(f"Unsupported hash algorithm {algorithm!r}")
    data = args[0] if isinstance(args[0], str) else compact(args[0])
    return hashlib.new(_HASHES[algorithm], data.encode("utf-8")).hexdigest()


def _json_merge(args: list[Any]) -> dict[str, Any]:
    _arity(args, 3)
    left, right, deep = args
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise IntrinsicFailure("States.JsonMerge merges two objects")
    if deep is not False:
        raise IntrinsicFailure("States.JsonMerge supports only a shallow merge (false)")
    return {**left, **right}


def _math_random(args: list[Any]) -> int:
    _arity(args, 2, 3)
    start, end = _ints(args[0], args[1])
    rng = random.Random(_ints(args[2])[0]) if len(args) == 3 else random.Random()  # noqa: S311
    if end < start:
        raise IntrinsicFailure(f"The start {start} must not exceed the end {end}")
    return rng.randint(start, end)  # both ends inclusive, as moto/LocalStack


def _string_split(args: list[Any]) -> list[str]:
    _arity(args, 2)
    text, delimiters = _str(args[0]), _str(args[1])
    parts, current = [], ""
    for ch in text:
        if ch in delimiters:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [p for p in [*parts, current] if p]


def _array_contains(args: list[Any]) -> bool:
    _arity(args, 2)
    return any(item == args[1] for item in _list(args[0]))


def _math_add(args: list[Any]) -> int:
    _arity(args, 2)
    return sum(_ints(*args))


def _uuid(args: list[Any]) -> str:
    _arity(args, 0)
    return str(uuid.uuid4())


def _one(fn: Callable[[Any], Any]) -> Callable[[list[Any]], Any]:
    def call(args: list[Any]) -> Any:
        _arity(args, 1)
        return fn(args[0])

    return call


FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "States.Format": _format,
    "States.StringToJson": _string_to_json,
    "States.JsonToString": _one(compact),
    "States.Array": list,
    "States.ArrayPartition": _array_partition,
    "States.ArrayContains": _array_contains,
    "States.ArrayRange": _array_range,
    "States.ArrayGetItem": _array_get_item,
    "States.ArrayLength": _one(lambda v: len(_list(v))),
    "States.ArrayUnique": _array_unique,
    "States.Base64Encode": _one(lambda v: base64.b64encode(_str(v).encode()).decode()),
    "States.Base64Decode": _base64_decode,
    "States.Hash": _hash,
    "States.JsonMerge": _json_merge,
    "States.MathRandom": _math_random,
    "States.MathAdd": _math_add,
    "States.StringSplit": _string_split,
    "States.UUID": _uuid,
}
