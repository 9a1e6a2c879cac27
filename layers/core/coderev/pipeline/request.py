"""What a client asks of one analysis besides its archive: baseline, gate, exclusions, config.

The same choices `coderev review` takes as flags (`--baseline`, `--fail-on`, `--exclude`,
`--config`, `--lint-config`) travel with the uploaded archive as one S3 user-metadata entry,
`x-amz-meta-coderev-request`, holding compact JSON. Metadata is written atomically with the
object, so the notification that starts the analysis can never see an archive without the
request it was uploaded with (a separate request object could arrive after its archive's
notification), and `aws s3 cp --metadata` can set it by hand. S3 caps user metadata at 2 KB,
so a request is refused when larger, with the advice to put the configuration in the archive.

- `baseline_key`: the object key of an earlier report.json in the same bucket (over HTTP, a
  baseline analysis id is turned into `reports/<id>/report.json`).
- `fail_on`: a gate spec (`coderev.review.gate`); evaluated by Finalize, written into the
  report's `gate` member, so a client reads pass/fail from report.json.
- `exclude`: globs of paths to skip, added to the configuration's own.
- `config`: a whole ProjectConfig (in the codec's JSON form) replacing what the archive's
  files say, as `--config` does for the direct engine.
- `allow_unsupported_contracts`: true lets the `architecture` gate pass although a configured
  contract could not be checked (`--allow-unsupported-contracts`); it is listed either way.
- `lint_config`: `project` (the default, not written) or `isolated`: whether ruff runs with
  the archive's own ruff configuration (coderev.domain.lint).
- `reviewer`: `offline`, `auto`, `openai:MODEL`, `anthropic:MODEL` or `hf:MODEL`
  (coderev.review.ai.names); absent: the Review function's own (CODEREV_REVIEWER).

`ReviewRequest.parse` checks every member, so a malformed request fails ingest with a clear
`RequestError` and the analysis ends FAILED with that cause instead of starting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from coderev.domain.config import ProjectConfig
from coderev.domain.errors import InputError
from coderev.domain.lint import LintConfigMode

__all__ = ["MAX_METADATA_BYTES", "METADATA_KEY", "RequestError", "ReviewRequest"]

METADATA_KEY = "coderev-request"
MAX_METADATA_BYTES = 2048  # S3: user-defined metadata, keys and values together
_MEMBERS = {
    "baseline_key", "fail_on", "exclude", "config", "allow_unsupported_contracts", "lint_config",
    "config_key", "reviewer",
}  # fmt: skip


class RequestError(InputError):
    """The analysis request attached to an upload is malformed or too large."""


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    baseline_key: str | None = None
    fail_on: str = "none"
    exclude: tuple[str, ...] = ()
    config: ProjectConfig | None = None
    allow_unsupported_contracts: bool = False
    lint_config: LintConfigMode = LintConfigMode.PROJECT
    # where `config` waits in the store when it is too large for the metadata (see
    # `with_config_stored`): an object beside the upload, read back by Index
    config_key: str | None = None
    reviewer: str | None = None  # None: the Review function's CODEREV_REVIEWER

    @property
    def empty(self) -> bool:
        return self == ReviewRequest()

    @property
    def gate_given(self) -> bool:
        return self.fail_on.strip().lower() not in ("", "none")

    def as_json(self) -> dict[str, Any]:
        """The request's JSON form: only the members that differ from the defaults."""
        from coderev.pipeline.codec import encode

        document: dict[str, Any] = {}
        if self.baseline_key is not None:
            document["baseline_key"] = self.baseline_key
        if self.gate_given:
            document["fail_on"] = self.fail_on
        if self.exclude:
            document["exclude"] = list(self.exclude)
        if self.config is not None:
            document["config"] = encode(self.config, ProjectConfig)
        if self.allow_unsupported_contracts:
            document["allow_unsupported_contracts"] = True
        if self.lint_config is not LintConfigMode.PROJECT:
            document["lint_config"] = self.lint_config.value
        if self.config_key is not None:
            document["config_key"] = self.config_key
        if self.reviewer is not None:
            document["reviewer"] = self.reviewer
        return document

    def fits_metadata(self) -> bool:
        """Whether the request fits S3's user metadata as it is."""
        value = json.dumps(self.as_json(), separators=(",", ":"), ensure_ascii=True)
        return len(METADATA_KEY) + len(value) <= MAX_METADATA_BYTES

    def with_config_stored(self, key: str) -> tuple[ReviewRequest, bytes | None]:
        """This request with its configuration moved to the object `key`, and the bytes to
        put there, when the configuration makes it too large for the metadata (a project's
        full import-linter contracts easily are); else itself and None."""
        from coderev.pipeline.codec import dumps

        if self.config is None or self.fits_metadata():
            return self, None
        return replace(self, config=None, config_key=key), dumps(self.config, ProjectConfig)

    def with_config_loaded(self, data: bytes) -> ReviewRequest:
        """This request with the configuration its `config_key` object holds."""
        from coderev.pipeline.codec import CodecError, loads

        try:
            config = loads(ProjectConfig, data)
        except CodecError as exc:
            raise RequestError(f"config_key {self.config_key}: {exc}") from None
        return replace(self, config=config)

    def to_metadata(self) -> dict[str, str]:
        """The object metadata carrying this request ({} for the default request)."""
        if self.empty:
            return {}
        value = json.dumps(self.as_json(), separators=(",", ":"), ensure_ascii=True)
        size = len(METADATA_KEY) + len(value)
        if size > MAX_METADATA_BYTES:
            raise RequestError(
                f"the analysis request takes {size} bytes of object metadata, over S3's "
                f"{MAX_METADATA_BYTES}: put the configuration in the archive "
                "(.coderev.toml or pyproject.toml at its root) instead of --config, or "
                "store it beside the upload (ReviewRequest.with_config_stored)"
            )
        return {METADATA_KEY: value}

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, str]) -> ReviewRequest:
        """The request in an object's metadata (keys compared case-insensitively, as S3 does);
        the default request when there is none."""
        for key, value in metadata.items():
            if key.lower() == METADATA_KEY:
                try:
                    document = json.loads(value)
                except ValueError as exc:
                    raise RequestError(f"{METADATA_KEY} metadata is not JSON: {exc}") from None
                return cls.parse(document)
        return cls()

    @classmethod
    def parse(cls, document: object) -> ReviewRequest:
        """A request from its JSON form, every member checked (RequestError otherwise)."""
        if document is None:
            return cls()
        if not isinstance(document, dict):
            raise RequestError("the analysis request must be a JSON object")
        if unknown := sorted(set(document) - _MEMBERS):
            raise RequestError(f"the analysis request has unknown member(s) {', '.join(unknown)}")
        baseline = document.get("baseline_key")
        if baseline is not None and (not isinstance(baseline, str) or not baseline.strip()):
            raise RequestError("baseline_key must be a non-empty object key")
        fail_on = document.get("fail_on", "none")
        if not isinstance(fail_on, str):
            raise RequestError("fail_on must be a string such as 'high' or 'new-high'")
        _check_gate(fail_on)
        exclude = document.get("exclude", [])
        if not isinstance(exclude, list) or not all(isinstance(g, str) and g for g in exclude):
            raise RequestError("exclude must be a list of non-empty glob strings")
        allow = document.get("allow_unsupported_contracts", False)
        if not isinstance(allow, bool):
            raise RequestError("allow_unsupported_contracts must be true or false")
        config = _config(document.get("config"))
        lint = lint_mode(document.get("lint_config"))
        config_key = document.get("config_key")
        if config_key is not None and (not isinstance(config_key, str) or not config_key.strip()):
            raise RequestError("config_key must be a non-empty object key")
        reviewer = document.get("reviewer")
        if reviewer is not None:
            reviewer = _reviewer(reviewer)
        return cls(baseline, fail_on, tuple(exclude), config, allow, lint, config_key, reviewer)


def lint_mode(raw: object) -> LintConfigMode:
    """`project` or `isolated` (None: the default, `project`); RequestError otherwise."""
    if raw is None:
        return LintConfigMode.PROJECT
    choices = [m.value for m in LintConfigMode]
    if not isinstance(raw, str) or raw not in choices:
        raise RequestError(f"lint_config must be {' or '.join(choices)}, not {raw!r}")
    return LintConfigMode(raw)


def _reviewer(raw: object) -> str:
    from coderev.domain.errors import ConfigError
    from coderev.review.ai.names import parse_reviewer

    if not isinstance(raw, str):
        raise RequestError("reviewer must be a string such as 'auto' or 'openai:gpt-4.1'")
    try:
        return parse_reviewer(raw)
    except ConfigError as exc:
        raise RequestError(f"reviewer: {exc}") from None


def _check_gate(spec: str) -> None:
    from coderev.domain.errors import ConfigError
    from coderev.review.gate import parse_gate

    try:
        parse_gate(spec)
    except ConfigError as exc:
        raise RequestError(f"fail_on: {exc}") from None


def _config(raw: object) -> ProjectConfig | None:
    if raw is None:
        return None
    from coderev.pipeline.codec import CodecError, decode

    try:
        return decode(ProjectConfig, raw)
    except CodecError as exc:
        raise RequestError(f"config: {exc}") from None
