"""CloudFormation's YAML dialect and intrinsic functions, evaluated for one local stack.

Why by hand: the SAM CLI's resolver is not importable as a library and cfn-lint only
*checks* intrinsics. What runs locally needs values: the short-form tags (`!Ref`, `!Sub`,
...) become the long form, then `IntrinsicResolver` turns them into strings the way
CloudFormation would for a stack in one account and region. Resources resolve to
deterministic names and ARN-like strings (`arn:aws:lambda:us-east-1:123456789012:
function:coderev-IngestFunction`) so the invoker can map an ARN back to its function.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from coderev.runtime.errors import TemplateError

# libyaml's parser where PyYAML was built with it (the wheels are): 5x faster on template.yaml,
# whose parse was 0.1 s of every `coderev review` and `coderev invoke`
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CloudFormationLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that reads `!Tag value` as `{"Fn::Tag": value}` (`!Ref` as `{"Ref": ...}`).

    Dates stay strings: `AWSTemplateFormatVersion: 2010-09-09` is a string to CloudFormation.
    """


CloudFormationLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load_template_text(text: str) -> dict[str, Any]:
    """Parse template.yaml (or JSON) text into the long-form document."""
    try:
        document = yaml.load(text, Loader=CloudFormationLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        raise TemplateError(f"not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise TemplateError("a template is a mapping with a Resources section")
    return document


def parameter_values(declared: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    """Each parameter's value: the override, else the Default; AllowedValues enforced."""
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(f"parameter override for undeclared parameter(s) {unknown}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec or {}
        if name in overrides:
            value: Any = overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            raise TemplateError(f"parameter {name!r} has no Default and no override given")
        allowed = spec.get("AllowedValues")
        if allowed is not None and str(value) not in {str(option) for option in allowed}:
            raise TemplateError(f"parameter {name!r} = {value!r} is not one of {allowed}")
        kind = str(spec.get("Type", "String"))
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            value = value if isinstance(value, list) else [
                item.strip() for item in str(value).split(",")]
        values[name] = value
    return values


@dataclass(frozen=True)
class StackIdentity:
    """The pseudo parameters of the local stack."""

    region: str = "us-east-1"
    account_id: str = "123456789012"
    stack_name: str = "coderev"
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"

    def pseudo(self, name: str) -> str:
        values = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::StackId": f"arn:{self.partition}:cloudformation:{self.region}:"
            f"{self.account_id}:stack/{self.stack_name}/local",
        }
        if name not in values:
            raise KeyError(name)
        return values[name]


NO_VALUE: Any = object()
"""What `!Ref AWS::NoValue` resolves to; the property holding it is dropped."""

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_UNSUPPORTED = ("Fn::Cidr", "Fn::Transform", "Fn::ForEach")


@dataclass
class IntrinsicResolver:
    """Evaluates intrinsic functions against parameters, mappings, conditions and resources."""

    parameters: Mapping[str, Any]
    resources: Mapping[str, Mapping[str, Any]]
    identity: StackIdentity = field(default_factory=StackIdentity)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    imports: Mapping[str, str] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)
    _naming: set[str] = field(default_factory=set)
    _condition_values: dict[str, bool] = field(default_factory=dict)

    def resolve(self, value: Any, *, resource: str | None = None, prop: str | None = None) -> Any:
        """Resolve every intrinsic in `value`; errors name `resource` and `prop`."""
        try:
            return self._resolve(value)
        except TemplateError as exc:
            if exc.resource is not None:
                raise
            raise TemplateError(exc.reason, resource=resource, prop=prop) from exc

    def condition(self, name: str) -> bool:
        """The value of a condition declared in the template's Conditions section."""
        if name in self._condition_values:
            return self._condition_values[name]
        if name not in self.conditions:
            raise TemplateError(f"condition {name!r} is not declared in Conditions")
        value = self._resolve(self.conditions[name])
        if not isinstance(value, bool):
            raise TemplateError(f"condition {name!r} does not evaluate to true or false")
        self._condition_values[name] = value
        return value

    def physical_name(self, logical_id: str) -> str:
        """What `!Ref` gives for a resource's name (a function name, a bucket name...)."""
        if logical_id in self._names:
            return self._names[logical_id]
        if logical_id in self._naming:
            raise TemplateError("its name refers to itself", resource=logical_id)
        self._naming.add(logical_id)
        try:
            name = self._declared_name(logical_id)
        finally:
            self._naming.discard(logical_id)
        self._names[logical_id] = name
        return name

    def arn(self, logical_id: str) -> str:
        """The ARN-like string of a resource, as `!GetAtt Resource.Arn` gives it."""
        kind = str(self.resources[logical_id].get("Type", ""))
        name = self.physical_name(logical_id)
        ident = self.identity
        prefix = f"arn:{ident.partition}"
        if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            return f"{prefix}:lambda:{ident.region}:{ident.account_id}:function:{name}"
        if kind == "AWS::S3::Bucket":
            return f"{prefix}:s3:::{name}"
        if kind in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            return f"{prefix}:states:{ident.region}:{ident.account_id}:stateMachine:{name}"
        if kind in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            return f"{prefix}:lambda:{ident.region}:{ident.account_id}:layer:{name}:1"
        service = kind.split("::")[1].lower() if kind.count("::") >= 2 else "local"
        return f"{prefix}:{service}:{ident.region}:{ident.account_id}:{name}"

    def _declared_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        kind = str(resource.get("Type", ""))
        properties = resource.get("Properties") or {}
        name_property = {
            "AWS::Serverless::Function": "FunctionName",
            "AWS::Lambda::Function": "FunctionName",
            "AWS::S3::Bucket": "BucketName",
            "AWS::SQS::Queue": "QueueName",
            "AWS::SNS::Topic": "TopicName",
            "AWS::Serverless::StateMachine": "Name",
            "AWS::StepFunctions::StateMachine": "StateMachineName",
            "AWS::Serverless::LayerVersion": "LayerName",
        }.get(kind)
        if name_property and name_property in properties:
            declared = self.resolve(properties[name_property], resource=logical_id,
                                    prop=name_property)
            return str(declared)
        generated = f"{self.identity.stack_name}-{logical_id}"
        return generated.lower() if kind == "AWS::S3::Bucket" else generated

    def _ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise TemplateError(f"Ref takes a name, not {name!r}")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name.startswith("AWS::"):
            try:
                return self.identity.pseudo(name)
            except KeyError:
                raise TemplateError(f"unknown pseudo parameter {name}") from None
        if name in self.parameters:
            return self.parameters[name]
        if name not in self.resources:
            raise TemplateError(f"Ref to {name!r}: no such parameter or resource")
        kind = str(self.resources[name].get("Type", ""))
        ident = self.identity
        if kind == "AWS::SQS::Queue":
            return (f"https://sqs.{ident.region}.{ident.url_suffix}/{ident.account_id}/"
                    f"{self.physical_name(name)}")
        if kind in ("AWS::SNS::Topic", "AWS::Serverless::StateMachine",
                    "AWS::StepFunctions::StateMachine", "AWS::Serverless::LayerVersion",
                    "AWS::Lambda::LayerVersion"):
            return self.arn(name) if kind != "AWS::SNS::Topic" else (
                f"arn:{ident.partition}:sns:{ident.region}:{ident.account_id}:"
                f"{self.physical_name(name)}")
        return self.physical_name(name)

    def _get_att(self, args: Any) -> Any:
        if not (isinstance(args, list) and len(args) == 2):
            raise TemplateError(f"Fn::GetAtt takes [Resource, Attribute], not {args!r}")
        logical_id, attribute = self._resolve(args[0]), self._resolve(args[1])
        if logical_id not in self.resources:
            raise TemplateError(f"Fn::GetAtt on {logical_id!r}: no such resource")
        if attribute == "Arn":
            if self.resources[logical_id].get("Type") == "AWS::SNS::Topic":
                return self._ref(logical_id)
            return self.arn(logical_id)
        if attribute in ("QueueName", "Name", "TopicName", "StateMachineName"):
            return self.physical_name(logical_id)
        if attribute == "QueueUrl":
            return self._ref(logical_id)
        if attribute in ("DomainName", "RegionalDomainName"):
            return f"{self.physical_name(logical_id)}.s3.{self.identity.url_suffix}"
        return f"{self.physical_name(logical_id)}.{attribute}"

    def _sub(self, args: Any) -> str:
        if isinstance(args, str):
            text, variables = args, {}
        elif isinstance(args, list) and len(args) == 2 and isinstance(args[0], str):
            text, variables = args[0], self._resolve(args[1])
        else:
            raise TemplateError(f"Fn::Sub takes a string or [string, variables], not {args!r}")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = variables[name]
            elif "." in name and not name.startswith("AWS::"):
                value = self._get_att(name.split(".", 1))
            else:
                value = self._ref(name)
            if isinstance(value, (list, dict)) or value is NO_VALUE:
                raise TemplateError(f"Fn::Sub variable ${{{name}}} is not a string")
            return str(value)

        return _SUB_VARIABLE.sub(replace, text)

    def _function(self, name: str, args: Any) -> Any:
        if name == "Ref":
            return self._ref(args)
        if name == "Fn::GetAtt":
            return self._get_att(args if isinstance(args, list) else str(args).split(".", 1))
        if name == "Fn::Sub":
            return self._sub(args)
        if name == "Fn::If":
            if not (isinstance(args, list) and len(args) == 3):
                raise TemplateError("Fn::If takes [Condition, ValueIfTrue, ValueIfFalse]")
            return self._resolve(args[1] if self.condition(str(args[0])) else args[2])
        if name == "Condition":
            return self.condition(str(args))
        if name in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
            return self._boolean(name, args)
        values = self._resolve(args)
        if name == "Fn::Join":
            delimiter, items = values
            return str(delimiter).join(str(item) for item in items)
        if name == "Fn::Select":
            index, items = values
            return items[int(index)]
        if name == "Fn::Split":
            delimiter, text = values
            return str(text).split(str(delimiter))
        if name == "Fn::FindInMap":
            map_name, top, second = values[:3]
            try:
                return self.mappings[map_name][top][second]
            except (KeyError, TypeError):
                if len(values) == 4 and isinstance(values[3], dict):
                    return values[3].get("DefaultValue")
                raise TemplateError(f"Fn::FindInMap: no {map_name}.{top}.{second}") from None
        if name == "Fn::ImportValue":
            if values not in self.imports:
                raise TemplateError(f"Fn::ImportValue {values!r}: no such export given")
            return self.imports[values]
        if name == "Fn::Base64":
            return base64.b64encode(str(values).encode()).decode()
        if name == "Fn::GetAZs":
            return [f"{self.identity.region}{zone}" for zone in "abc"]
        if name == "Fn::Length":
            return len(values)
        if name == "Fn::ToJsonString":
            return json.dumps(values, separators=(",", ":"))
        raise TemplateError(f"{name} cannot be evaluated locally")

    def _boolean(self, name: str, args: Any) -> bool:
        if not isinstance(args, list):
            raise TemplateError(f"{name} takes a list")
        if name == "Fn::Equals":
            if len(args) != 2:
                raise TemplateError("Fn::Equals takes two values")
            left, right = (self._resolve(arg) for arg in args)
            return bool(_as_text(left) == _as_text(right))
        values = [self._resolve(arg) for arg in args]
        if not all(isinstance(value, bool) for value in values):
            raise TemplateError(f"{name} takes conditions")
        if name == "Fn::Not":
            return not values[0]
        return all(values) if name == "Fn::And" else any(values)

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                (key, args), = value.items()
                if key == "Ref" or key == "Condition" or key.startswith("Fn::"):
                    if key in _UNSUPPORTED:
                        raise TemplateError(f"{key} cannot be evaluated locally")
                    try:
                        return self._function(key, args)
                    except (ValueError, IndexError, TypeError) as exc:
                        raise TemplateError(f"{key}: {exc}") from exc
            resolved = {k: self._resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in map(self._resolve, value) if item is not NO_VALUE]
        return value


def _as_text(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, (int, float)) else value


def logical_reference(value: Any) -> str | None:
    """The logical id an unresolved `!Ref X`, `!GetAtt X.Arn` or `${X.Arn}` points at."""
    if isinstance(value, dict) and len(value) == 1:
        (key, args), = value.items()
        if key == "Ref" and isinstance(args, str):
            return args
        if key == "Fn::GetAtt":
            parts = args if isinstance(args, list) else str(args).split(".", 1)
            return str(parts[0]) if parts else None
        if key == "Fn::Sub" and isinstance(args, str):
            match = _SUB_VARIABLE.fullmatch(args.strip())
            return match.group(1).split(".", 1)[0] if match else None
    return None

