"""JSON documents of the domain's frozen dataclasses: the work files of the analysis steps.

The steps of the analysis state machine hand each other FileAnalysis lists, findings, the
architecture and the whole ReviewResult through the object store, so every one of them must
come back exactly as it went: `decode(T, encode(x)) == x` for every field, including the ones
equality ignores (`Finding.extra`). Encoding is driven by the dataclasses' own type hints, so
a field added to the domain is carried without touching this module:

- a dataclass is an object of its fields (all of them, defaults included);
- an enum is its value, a tuple or list an array, a `dict[str, X]` an object;
- `bytes` is a base64 string (a SourceFile's content);
- `X | None` is `null` or X; a union of several dataclasses (e.g. the `Contract` kinds of
  ProjectConfig) adds a `"__type__"` member naming the class;
- floats are written by `repr`, which Python reads back bit for bit (NaN and infinities as
  Python's `NaN`/`Infinity` extension: these documents are read by coderev only);
- strings are ASCII-escaped, so even a lone surrogate survives the UTF-8 round trip.

Documents are built with the cyclic collector paused (see coderev.analysis.collector).

Decoding is strict: an unknown member, a missing required field or a value of the wrong JSON
type raises CodecError naming where (`$.analyses[3].metrics.loc`). A missing field that has a
default takes the default, so documents written before a field was added still read.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import types
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, Union, cast, get_args, get_origin, get_type_hints

from coderev.analysis.collector import collector_paused
from coderev.domain.errors import CoderevError

__all__ = ["TYPE_TAG", "CodecError", "decode", "dumps", "encode", "loads"]

TYPE_TAG = "__type__"

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]

_ENCODERS: dict[object, Encoder] = {}
_DECODERS: dict[object, Decoder] = {}


class CodecError(CoderevError, ValueError):
    """A document does not decode to the type asked for; the message says where and why."""


def encode(value: object, tp: object | None = None) -> Any:
    """`value` as JSON-ready data; `tp` is its declared type (default: its class)."""
    return _encoder(type(value) if tp is None else tp)(value)


def decode[T](tp: type[T], data: object) -> T:
    """The `tp` that `data` (as made by `encode`) describes. Raises CodecError."""
    try:
        with collector_paused():
            return cast(T, _decoder(tp)(data))
    except _Mismatch as exc:
        raise _located(exc) from None


def dumps(value: object, tp: object | None = None) -> bytes:
    """`value` as compact UTF-8 JSON bytes."""
    with collector_paused():
        document = encode(value, tp)
    return json.dumps(document, separators=(",", ":")).encode("ascii")


def loads[T](tp: type[T], data: bytes | str) -> T:
    """The `tp` held by the JSON `data`. Raises CodecError for bad JSON or a bad document."""
    try:
        with collector_paused():
            document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CodecError(f"not a JSON document: {exc}") from None
    return decode(tp, document)


# --- encoders -------------------------------------------------------------------------------


def _encoder(tp: object) -> Encoder:
    found = _ENCODERS.get(tp)
    if found is None:
        found = _ENCODERS[tp] = _build_encoder(tp)
    return found


def _identity(value: Any) -> Any:
    return value


def _build_encoder(tp: object) -> Encoder:
    if tp is bytes:
        return _encode_bytes
    if tp in _PRIMITIVES:
        return _identity
    kind, detail = _shape(tp)
    if kind == "enum":
        return _encode_enum
    if kind == "dataclass":
        return _dataclass_encoder(detail)
    if kind == "union":
        return _union_encoder(detail)
    if kind == "sequence":
        item = _encoder(detail[0])
        if item is _identity:  # a tuple or list of str, int, float or bool
            return list
        return lambda value: [item(v) for v in value]
    if kind == "fixed":
        parts = [_encoder(a) for a in detail]
        return lambda value: [enc(v) for enc, v in zip(parts, value, strict=True)]
    member = _encoder(detail)
    if member is _identity:
        return dict
    return lambda value: {k: member(v) for k, v in value.items()}


def _shape(tp: object) -> tuple[str, Any]:
    """What kind of type `tp` is for the codec, and what the builders need of it."""
    if isinstance(tp, type):
        if issubclass(tp, Enum):
            return "enum", tp
        if dataclasses.is_dataclass(tp):
            return "dataclass", tp
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        return "union", args
    if origin is list or (origin is tuple and len(args) == 2 and args[1] is ...):
        return "sequence", (args[0], origin)
    if origin is tuple:
        return "fixed", args
    if origin in (dict, Mapping) and args and args[0] is str:
        return "dict", args[1]
    raise TypeError(f"the codec does not support the type {tp!r}")


def _encode_bytes(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _encode_enum(value: Enum) -> Any:
    return value.value


def _dataclass_encoder(cls: type) -> Encoder:
    """An object of the fields, in their order, built by one generated function (as
    `dataclasses` builds `__init__`): `{"a": v.a, "b": enc_b(v.b)}`, the fields that need no
    encoding (str, int, float, bool, Any, and None-or-one-of-them) read as they are. A
    comprehension calling an encoder per field cost twice as much on Django's work files."""
    hints = get_type_hints(cls)
    encoders: dict[str, Encoder] = {}
    members: list[str] = []
    for i, field in enumerate(dataclasses.fields(cls)):
        enc = _encoder(hints[field.name])
        value = f"v.{field.name}"
        if enc is not _identity:
            encoders[f"_e{i}"] = enc
            value = f"_e{i}({value})"
        members.append(f"{field.name!r}: {value}")
    source = f"def encode_dataclass(v):\n    return {{{', '.join(members)}}}\n"
    namespace: dict[str, Any] = dict(encoders)
    exec(compile(source, f"<codec encoder of {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    return cast(Encoder, namespace["encode_dataclass"])


def _union_encoder(args: tuple[Any, ...]) -> Encoder:
    members = [a for a in args if a is not type(None)]
    if len(members) == 1:
        inner = _encoder(members[0])
        if inner is _identity:  # None is written as itself too
            return _identity
        return lambda value: None if value is None else inner(value)
    by_class = {cls: (cls.__name__, _encoder(cls)) for cls in _tagged_classes(args)}

    def encode_tagged(value: Any) -> Any:
        if value is None:
            return None
        name, enc = by_class[type(value)]
        return {TYPE_TAG: name, **enc(value)}

    return encode_tagged


def _tagged_classes(args: tuple[Any, ...]) -> list[type]:
    """The members of a union told apart by TYPE_TAG: dataclasses without such a field."""
    members = [a for a in args if a is not type(None)]
    classes = [m for m in members if isinstance(m, type) and dataclasses.is_dataclass(m)]
    if len(classes) != len(members):
        raise TypeError(f"the codec supports unions of dataclasses only, not {args!r}")
    for cls in classes:
        if TYPE_TAG in {f.name for f in dataclasses.fields(cls)}:
            raise TypeError(f"{cls.__name__} has a field named {TYPE_TAG!r}")
    return classes


# --- decoders -------------------------------------------------------------------------------
#
# A decoder takes the value alone: where it sits is worked out only when it fails. Building
# `$.analyses[3].metrics.loc` for every value read would cost more than the reading itself, so
# a failure raises _Mismatch with its complaint, each container it crosses on the way out adds
# its own step of the path, and `decode` turns the whole into a CodecError.


class _Mismatch(Exception):
    """A value that is not what its decoder expects; `steps` is its path, innermost first."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.steps: list[str] = []

    def at(self, step: str) -> _Mismatch:
        self.steps.append(step)
        return self

    def where(self) -> str:
        return "$" + "".join(reversed(self.steps))


def _located(exc: _Mismatch) -> CodecError:
    return CodecError(f"{exc.where()}: {exc.problem}")


def _decoder(tp: object) -> Decoder:
    found = _DECODERS.get(tp)
    if found is None:
        found = _DECODERS[tp] = _build_decoder(tp)
    return found


def _fail(expected: str, value: object) -> _Mismatch:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return _Mismatch(f"expected {expected}, got {type(value).__name__} {shown}")


def _build_decoder(tp: object) -> Decoder:
    primitive = _PRIMITIVES.get(tp)
    if primitive is not None:
        return primitive
    kind, detail = _shape(tp)
    if kind == "enum":
        return _enum_decoder(detail)
    if kind == "dataclass":
        return _dataclass_decoder(detail)
    if kind == "union":
        return _union_decoder(detail)
    if kind == "sequence":
        return _sequence_decoder(_decoder(detail[0]), detail[1])
    if kind == "fixed":
        return _fixed_tuple_decoder([_decoder(a) for a in detail])
    return _dict_decoder(_decoder(detail))


def _decode_str(value: Any) -> str:
    if type(value) is str:
        return value
    raise _fail("a string", value)


def _decode_int(value: Any) -> int:
    if type(value) is int:  # not a bool, which is an int subclass
        return value
    raise _fail("an integer", value)


def _decode_float(value: Any) -> float:
    kind = type(value)
    if kind is float:
        return cast(float, value)
    if kind is int:
        return float(value)
    raise _fail("a number", value)


def _decode_bool(value: Any) -> bool:
    if type(value) is bool:
        return value
    raise _fail("true or false", value)


def _decode_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise _fail("base64 text", value)


def _decode_none(value: Any) -> None:
    if value is None:
        return None
    raise _fail("null", value)


def _decode_any(value: Any) -> Any:
    return value


_PRIMITIVES: dict[object, Decoder] = {
    str: _decode_str,
    int: _decode_int,
    float: _decode_float,
    bool: _decode_bool,
    bytes: _decode_bytes,
    type(None): _decode_none,
    Any: _decode_any,
}


def _enum_decoder(cls: type[Enum]) -> Decoder:
    by_value = {member.value: member for member in cls}

    def decode_enum(value: Any) -> Enum:
        try:
            return by_value[value]
        except (KeyError, TypeError):  # TypeError: an unhashable value (a list, an object)
            raise _fail(f"a {cls.__name__} value", value) from None

    return decode_enum


def _failing_index(item: Decoder, values: list[Any]) -> int:
    """Which of `values` `item` refuses (the slow path, taken only to name a failure)."""
    for i, value in enumerate(values):
        try:
            item(value)
        except _Mismatch:
            return i
    return -1


def _sequence_decoder(item: Decoder, origin: object) -> Decoder:
    def decode_sequence(value: Any) -> tuple[Any, ...] | list[Any]:
        if type(value) is not list:
            raise _fail("an array", value)
        try:
            items = [item(v) for v in value]
        except _Mismatch as exc:
            raise exc.at(f"[{_failing_index(item, value)}]") from None
        return items if origin is list else tuple(items)

    return decode_sequence


def _fixed_tuple_decoder(parts: list[Decoder]) -> Decoder:
    def decode_fixed(value: Any) -> tuple[Any, ...]:
        if type(value) is not list or len(value) != len(parts):
            raise _fail(f"an array of {len(parts)}", value)
        decoded = []
        for i, (dec, v) in enumerate(zip(parts, value, strict=True)):
            try:
                decoded.append(dec(v))
            except _Mismatch as exc:
                raise exc.at(f"[{i}]") from None
        return tuple(decoded)

    return decode_fixed


def _dict_decoder(member: Decoder) -> Decoder:
    def decode_dict(value: Any) -> dict[str, Any]:
        if type(value) is not dict:
            raise _fail("an object", value)
        decoded = {}
        for k, v in value.items():
            try:
                decoded[k] = member(v)
            except _Mismatch as exc:
                raise exc.at(f".{k}") from None
        return decoded

    return decode_dict


def _dataclass_decoder(cls: type) -> Decoder:
    hints = get_type_hints(cls)
    fields = {f.name: _decoder(hints[f.name]) for f in dataclasses.fields(cls)}
    names = frozenset(fields)
    required = frozenset(
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )

    def decode_dataclass(value: Any) -> Any:
        if type(value) is not dict:
            raise _fail(f"a {cls.__name__} object", value)
        present = value.keys()
        if not present <= names:
            unknown = ", ".join(sorted(present - names))
            raise _Mismatch(f"{cls.__name__} has no field(s) {unknown}")
        if not required <= present:
            missing = ", ".join(sorted(required - present))
            raise _Mismatch(f"{cls.__name__} lacks field(s) {missing}")
        kwargs = {}
        for name, v in value.items():
            try:
                kwargs[name] = fields[name](v)
            except _Mismatch as exc:
                raise exc.at(f".{name}") from None
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise _Mismatch(f"not a valid {cls.__name__}: {exc}") from None

    return decode_dataclass


def _union_decoder(args: tuple[Any, ...]) -> Decoder:
    members = [a for a in args if a is not type(None)]
    nullable = len(members) != len(args)
    if len(members) == 1:
        inner = _decoder(members[0])
        if not nullable:
            return inner

        def decode_optional(value: Any) -> Any:
            return None if value is None else inner(value)

        return decode_optional
    classes = {cls.__name__: _decoder(cls) for cls in _tagged_classes(args)}

    def decode_tagged(value: Any) -> Any:
        if value is None and nullable:
            return None
        if type(value) is not dict or value.get(TYPE_TAG) not in classes:
            raise _fail(f"an object with {TYPE_TAG} one of {sorted(classes)}", value)
        body = {k: v for k, v in value.items() if k != TYPE_TAG}
        return classes[value[TYPE_TAG]](body)

    return decode_tagged
