"""What template.yaml declares, as frozen specs the local platform runs.

`load_template` reads the SAM template, merges `Globals.Function` into each function the
way SAM does (scalars: the function wins; maps: merged key-wise; lists: globals first),
evaluates intrinsics for one local stack and checks, up front, that every function can
run here: a python3.x runtime, a handler file that exists, event types the platform
serves. Anything else is a `TemplateError` naming the resource and the property.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coderev.runtime.errors import (
    FunctionNotFoundError,
    HandlerLoadError,
    ScheduleExpressionError,
    TemplateError,
)
from coderev.runtime.template.events import (
    ApiEvent,
    AuthorizerSpec,
    DeadLetterTarget,
    EventSpec,
    KafkaEvent,
    S3Event,
    ScheduleEvent,
    SQSEvent,
    parse_authorizers,
    parse_events,
)
from coderev.runtime.template.intrinsics import (
    IntrinsicResolver,
    StackIdentity,
    load_template_text,
    logical_reference,
    parameter_values,
)
from coderev.runtime.template.schedule_expressions import parse_schedule
from coderev.runtime.template.state_machines import StateMachineSpec, parse_state_machine

__all__ = [
    "ApiEvent",
    "AuthorizerSpec",
    "BucketSpec",
    "DeadLetterTarget",
    "EventSpec",
    "FunctionSpec",
    "KafkaEvent",
    "QueueSpec",
    "S3Event",
    "SQSEvent",
    "ScheduleEvent",
    "StateMachineSpec",
    "Template",
    "load_handler",
    "load_template",
]

FUNCTION_TYPES = ("AWS::Serverless::Function",)
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine",)
_PYTHON_RUNTIME = re.compile(r"python3\.\d+")
_FUNCTION_ARN = re.compile(r"arn:[\w-]+:lambda:[\w-]+:\d+:function:([^:]+)(?::[^:]+)?")

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class FunctionSpec:
    """One `AWS::Serverless::Function`, Globals merged and intrinsics resolved."""

    logical_id: str
    function_name: str
    arn: str
    handler: str
    code_uri: str
    code_dir: Path
    handler_file: Path
    runtime: str
    timeout: int = 3
    memory: int = 128
    environment: Mapping[str, str] = field(default_factory=dict)
    events: tuple[EventSpec, ...] = ()
    dead_letter: DeadLetterTarget | None = None
    reserved_concurrency: int | None = None
    maximum_retry_attempts: int = 2
    maximum_event_age_seconds: int = 21600
    layers: tuple[str, ...] = ()
    tracing: str | None = None

    @property
    def handler_module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def handler_attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass(frozen=True)
class BucketSpec:
    logical_id: str
    name: str
    arn: str


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    name: str
    arn: str
    url: str


@dataclass(frozen=True)
class Template:
    """A loaded template: the functions, state machines, buckets and queues it declares."""

    path: Path
    identity: StackIdentity
    parameters: Mapping[str, Any]
    functions: Mapping[str, FunctionSpec]
    state_machines: Mapping[str, StateMachineSpec]
    buckets: Mapping[str, BucketSpec]
    queues: Mapping[str, QueueSpec]
    authorizers: Mapping[str, AuthorizerSpec] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def function(self, reference: str) -> FunctionSpec:
        """A function by logical id, function name, ARN (qualified or not) or `${X.Arn}`."""
        found = self._lookup_function(reference.strip())
        if found is None:
            raise FunctionNotFoundError(reference)
        return found

    def _lookup_function(self, reference: str) -> FunctionSpec | None:
        if reference.startswith("${") and reference.endswith("}"):
            reference = reference[2:-1].split(".", 1)[0]
        if reference in self.functions:
            return self.functions[reference]
        match = _FUNCTION_ARN.fullmatch(reference)
        name = match.group(1) if match else reference.split(":", 1)[0]
        return next((f for f in self.functions.values() if f.function_name == name), None)

    def events_of(self, kind: type[EventSpec]) -> Iterator[tuple[FunctionSpec, Any]]:
        """Every (function, event) pair whose event is of `kind`, in template order."""
        for function in self.functions.values():
            for event in function.events:
                if isinstance(event, kind):
                    yield function, event


def load_template(
    path: str | Path,
    *,
    parameter_overrides: Mapping[str, str] | None = None,
    identity: StackIdentity | None = None,
    imports: Mapping[str, str] | None = None,
) -> Template:
    """Read and check `path`; `parameter_overrides` as `sam deploy --parameter-overrides`."""
    template_path = Path(path).resolve()
    try:
        text = template_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"cannot read {template_path}: {exc}") from exc
    document = load_template_text(text)
    resources = document.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("the template declares no Resources")
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or "Type" not in resource:
            raise TemplateError("a resource is a mapping with a Type", resource=logical_id)
    resolver = IntrinsicResolver(
        parameters=parameter_values(document.get("Parameters") or {}, parameter_overrides or {}),
        resources=resources,
        identity=identity or StackIdentity(),
        mappings=document.get("Mappings") or {},
        conditions=document.get("Conditions") or {},
        imports=imports or {},
    )
    present = {
        logical_id: resource
        for logical_id, resource in resources.items()
        if "Condition" not in resource or resolver.resolve(
            {"Condition": str(resource["Condition"])}, resource=logical_id, prop="Condition")
    }
    globals_section = document.get("Globals") or {}
    function_globals = globals_section.get("Function") or {}
    base_dir = template_path.parent
    functions = {
        logical_id: _function(logical_id, resource, function_globals, globals_section,
                              resolver, base_dir, present)
        for logical_id, resource in present.items()
        if resource["Type"] in FUNCTION_TYPES
    }
    for logical_id, resource in present.items():
        if resource["Type"] == "AWS::Lambda::Function":
            raise TemplateError("only AWS::Serverless::Function runs locally",
                                resource=logical_id, prop="Type")
    return Template(
        path=template_path,
        identity=resolver.identity,
        parameters=dict(resolver.parameters),
        functions=functions,
        state_machines={
            logical_id: parse_state_machine(logical_id, resource, resolver, base_dir, present)
            for logical_id, resource in present.items()
            if resource["Type"] in STATE_MACHINE_TYPES
        },
        buckets={
            logical_id: BucketSpec(logical_id, resolver.physical_name(logical_id),
                                   resolver.arn(logical_id))
            for logical_id, resource in present.items()
            if resource["Type"] == "AWS::S3::Bucket"
        },
        queues={
            logical_id: QueueSpec(logical_id, resolver.physical_name(logical_id),
                                  resolver.arn(logical_id),
                                  str(resolver.resolve({"Ref": logical_id})))
            for logical_id, resource in present.items()
            if resource["Type"] == "AWS::SQS::Queue"
        },
        authorizers=parse_authorizers(present, globals_section, resolver),
    )


def _merge_globals(global_value: Any, own: Any) -> Any:
    if logical_reference(own) is not None or logical_reference(global_value) is not None:
        return copy.deepcopy(own)
    if isinstance(global_value, dict) and isinstance(own, dict):
        merged = copy.deepcopy(global_value)
        for key, value in own.items():
            merged[key] = _merge_globals(merged[key], value) if key in merged else value
        return merged
    if isinstance(global_value, list) and isinstance(own, list):
        return [*copy.deepcopy(global_value), *own]
    return copy.deepcopy(own)


def _function(
    logical_id: str,
    resource: Mapping[str, Any],
    function_globals: Mapping[str, Any],
    globals_section: Mapping[str, Any],
    resolver: IntrinsicResolver,
    base_dir: Path,
    present: Mapping[str, Any],
) -> FunctionSpec:
    raw = dict(copy.deepcopy(function_globals))
    for key, value in (resource.get("Properties") or {}).items():
        raw[key] = _merge_globals(raw[key], value) if key in raw else value

    def prop(name: str, default: Any = None) -> Any:
        if name not in raw:
            return default
        return resolver.resolve(raw[name], resource=logical_id, prop=name)

    if prop("PackageType", "Zip") != "Zip" or "InlineCode" in raw:
        raise TemplateError("only Zip functions with a CodeUri run locally",
                            resource=logical_id, prop="PackageType")
    runtime = str(prop("Runtime", ""))
    if not _PYTHON_RUNTIME.fullmatch(runtime):
        raise TemplateError(f"runtime {runtime or '(none)'!r} is not python3.x",
                            resource=logical_id, prop="Runtime")
    handler = str(prop("Handler", ""))
    if "." not in handler.strip("."):
        raise TemplateError(f"handler {handler!r} is not module.function",
                            resource=logical_id, prop="Handler")
    code_uri = prop("CodeUri", ".")
    if not isinstance(code_uri, str):
        raise TemplateError("CodeUri must be a local folder", resource=logical_id, prop="CodeUri")
    code_dir = (base_dir / code_uri).resolve()
    module_path = handler.rsplit(".", 1)[0].replace(".", "/")
    handler_file = code_dir / f"{module_path}.py"
    if not handler_file.is_file():
        package_init = code_dir / module_path / "__init__.py"
        if not package_init.is_file():
            raise TemplateError(f"handler file {handler_file} does not exist",
                                resource=logical_id, prop="Handler")
        handler_file = package_init
    environment = (prop("Environment") or {}).get("Variables") or {}
    invoke_config = prop("EventInvokeConfig") or {}
    reserved = prop("ReservedConcurrentExecutions")
    tracing = prop("Tracing")
    return FunctionSpec(
        logical_id=logical_id,
        function_name=resolver.physical_name(logical_id),
        arn=resolver.arn(logical_id),
        handler=handler,
        code_uri=code_uri,
        code_dir=code_dir,
        handler_file=handler_file,
        runtime=runtime,
        timeout=_integer(prop("Timeout", 3), logical_id, "Timeout"),
        memory=_integer(prop("MemorySize", 128), logical_id, "MemorySize"),
        environment={str(key): _env_value(value) for key, value in environment.items()},
        events=_checked_schedules(logical_id, parse_events(
            logical_id, raw.get("Events") or {}, resolver, globals_section, present)),
        dead_letter=DeadLetterTarget.from_properties(logical_id, raw, resolver),
        reserved_concurrency=None if reserved is None else _integer(
            reserved, logical_id, "ReservedConcurrentExecutions"),
        maximum_retry_attempts=_integer(invoke_config.get("MaximumRetryAttempts", 2),
                                        logical_id, "EventInvokeConfig.MaximumRetryAttempts"),
        maximum_event_age_seconds=_integer(
            invoke_config.get("MaximumEventAgeInSeconds", 21600), logical_id,
            "EventInvokeConfig.MaximumEventAgeInSeconds"),
        layers=tuple(str(layer) for layer in prop("Layers", []) or []),
        tracing=None if tracing is None else str(tracing),
    )


def _checked_schedules(logical_id: str, events: tuple[EventSpec, ...]) -> tuple[EventSpec, ...]:
    for event in events:
        if isinstance(event, ScheduleEvent):
            try:
                parse_schedule(event.expression, event.timezone)
            except ScheduleExpressionError as exc:
                raise TemplateError(exc.reason + f" in {event.expression!r}", resource=logical_id,
                                    prop=f"Events.{event.name}.Properties") from exc
    return events


def _integer(value: Any, resource: str, prop: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TemplateError(f"{value!r} is not a whole number", resource=resource,
                            prop=prop) from None


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        raise TemplateError(f"{value!r} is not a string")
    return str(value)


def load_handler(function: FunctionSpec) -> Handler:
    """Import the handler's file under a module name unique to this function.

    Two functions both have an `app.py`; importing by file path under
    `coderev_function_<LogicalId>_<hash>` keeps them apart in `sys.modules`. Unlike
    Lambda, the code folder is not put on `sys.path` (two folders' sibling modules would
    clash): a handler imports shared code from the layer, the `coderev` package.
    """
    digest = hashlib.sha1(str(function.handler_file).encode(), usedforsecurity=False)
    module_name = f"coderev_function_{function.logical_id}_{digest.hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(module_name, function.handler_file)
    if spec is None or spec.loader is None:
        raise HandlerLoadError("Runtime.ImportModuleError",
                               f"Unable to import module '{function.handler_module}'")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise HandlerLoadError(
            "Runtime.ImportModuleError",
            f"Unable to import module '{function.handler_module}': {exc}") from exc
    handler = getattr(module, function.handler_attribute, None)
    if not callable(handler):
        raise HandlerLoadError(
            "Runtime.HandlerNotFound",
            f"Handler '{function.handler_attribute}' missing on module "
            f"'{function.handler_module}'")
    return handler  # type: ignore[no-any-return]
