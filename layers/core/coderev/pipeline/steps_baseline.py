"""The baseline of the Review step: an earlier report.json, read from the object store.

The same checks as `coderev.reports.load_baseline` on a file (schema version 1.x, the report
schema), applied to the stored object's bytes.
"""

from __future__ import annotations

import json

from coderev.domain.errors import BaselineError
from coderev.pipeline.options import BaselineInput
from coderev.ports import ObjectStore
from coderev.reports.baseline_reader import architecture_from_dict, validate_report

__all__ = ["read_baseline"]


def read_baseline(store: ObjectStore, key: str) -> BaselineInput:
    """The fingerprints and architecture of the report.json at `key`. Raises BaselineError."""
    try:
        body = store.get(key)
    except KeyError:
        raise BaselineError(f"baseline {key} does not exist") from None
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {key} is not JSON: {exc}") from None
    version = document.get("schema_version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith("1."):
        raise BaselineError(
            f"baseline {key} has schema_version {version!r}; this coderev reads version 1.x"
        )
    validate_report(document, f"baseline {key}")
    return BaselineInput(
        fingerprints=frozenset(f["fingerprint"] for f in document["findings"]),
        architecture=architecture_from_dict(document["architecture"]),
    )
