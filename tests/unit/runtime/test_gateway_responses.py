"""The deployed API answers its own errors in the shape the local gateway does: template.yaml's
GatewayResponses name the same `error` for each status, and the same 413 sentence."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from coderev.runtime.gateway.responses import GATEWAY_ERRORS
from coderev.runtime.gateway.uploads import DIRECT_UPLOAD_TOO_LARGE

TEMPLATE = Path(__file__).parents[3] / "template.yaml"
DEFAULT_STATUS = {"UNAUTHORIZED": 401, "ACCESS_DENIED": 403, "THROTTLED": 429,
                  "DEFAULT_4XX": 400, "DEFAULT_5XX": 500}  # fmt: skip


class _Loader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !Sub...) as plain values."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def test_template_gateway_responses_use_the_local_error_names() -> None:
    template = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_Loader)
    responses = template["Resources"]["CoderevApi"]["Properties"]["GatewayResponses"]

    for kind, response in responses.items():
        status = response.get("StatusCode", DEFAULT_STATUS.get(kind))
        body = response["ResponseTemplates"]["application/json"]
        quoted = body.replace("$context.error.messageString", '"Something"')
        assert json.loads(quoted)["error"] == GATEWAY_ERRORS[status], kind

    too_large = json.loads(responses["REQUEST_TOO_LARGE"]["ResponseTemplates"]["application/json"])
    assert too_large == {"error": "RequestTooLarge", "message": DIRECT_UPLOAD_TOO_LARGE}
