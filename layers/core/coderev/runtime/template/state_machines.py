"""State machines the template declares, with their definition substitutions resolved.

`DefinitionSubstitutions` such as `IndexFunctionArn: !GetAtt IndexFunction.Arn` become
ARN-like strings the invoker maps back to functions, so the States Language interpreter
calls functions by the same ARNs the cloud would use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coderev.runtime.errors import TemplateError
from coderev.runtime.template.events import EventSpec, parse_events
from coderev.runtime.template.intrinsics import IntrinsicResolver

__all__ = ["StateMachineSpec", "parse_state_machine"]

_SUBSTITUTION = re.compile(r"\$\{([\w.:-]+)\}")


@dataclass(frozen=True)
class StateMachineSpec:
    """One `AWS::Serverless::StateMachine`; substitutions resolved to ARN-like strings."""

    logical_id: str
    name: str
    arn: str
    definition_uri: Path | None
    definition: Mapping[str, Any] | None
    definition_substitutions: Mapping[str, str]
    type: str = "STANDARD"
    events: tuple[EventSpec, ...] = ()

    def load_definition(self) -> dict[str, Any]:
        """The ASL document with `${Name}` definition substitutions applied."""
        if self.definition is not None:
            text = json.dumps(self.definition)
        elif self.definition_uri is not None:
            text = self.definition_uri.read_text(encoding="utf-8")
        else:
            raise TemplateError("no Definition or DefinitionUri", resource=self.logical_id)

        def substitute(match: re.Match[str]) -> str:
            return self.definition_substitutions.get(match.group(1), match.group(0))

        document = json.loads(_SUBSTITUTION.sub(substitute, text))
        if not isinstance(document, dict):
            raise TemplateError("the definition is not a JSON object", resource=self.logical_id,
                                prop="DefinitionUri")
        return document



def parse_state_machine(
    logical_id: str,
    resource: Mapping[str, Any],
    resolver: IntrinsicResolver,
    base_dir: Path,
    present: Mapping[str, Any],
) -> StateMachineSpec:
    """The spec of one AWS::Serverless::StateMachine resource."""
    raw = resource.get("Properties") or {}

    def prop(name: str, default: Any = None) -> Any:
        if name not in raw:
            return default
        return resolver.resolve(raw[name], resource=logical_id, prop=name)

    definition_uri = prop("DefinitionUri")
    definition = prop("Definition")
    if definition_uri is None and definition is None:
        raise TemplateError("a state machine needs Definition or DefinitionUri",
                            resource=logical_id, prop="DefinitionUri")
    if definition_uri is not None and not isinstance(definition_uri, str):
        raise TemplateError("DefinitionUri must be a local file", resource=logical_id,
                            prop="DefinitionUri")
    uri = (base_dir / definition_uri).resolve() if definition_uri else None
    if uri is not None and not uri.is_file():
        raise TemplateError(f"definition file {uri} does not exist", resource=logical_id,
                            prop="DefinitionUri")
    substitutions = prop("DefinitionSubstitutions") or {}
    return StateMachineSpec(
        logical_id=logical_id,
        name=resolver.physical_name(logical_id),
        arn=resolver.arn(logical_id),
        definition_uri=uri,
        definition=definition,
        definition_substitutions={
            str(key): _as_string(logical_id, key, value) for key, value in substitutions.items()
        },
        type=str(prop("Type", "STANDARD")),
        events=parse_events(logical_id, raw.get("Events") or {}, resolver, {}, present),
    )



def _as_string(logical_id: str, key: str, value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        raise TemplateError(f"substitution {key!r} is not a string", resource=logical_id,
                            prop="DefinitionSubstitutions")
    return str(value)
