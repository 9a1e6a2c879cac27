"""One settings object: argument > environment variable > embedded default.

The seed's variable names are the configuration interface (`DATABASE_URL`, `REDIS_URL`, ...);
anything further is `CODEREV_*`. Unset means the embedded default, so `coderev review` and
`coderev serve` run on one laptop with zero services.

`get_settings()` gives the Settings of the environment it is called in: those a
`settings_scope` bound to this thread (the local platform binds each invocation's, see
`coderev.runtime.invoker.environment`), else those of `os.environ` as it is now. Either way
they are built once per distinct set of values of the variables Settings reads (a Lambda
sandbox, whose environment never changes, builds them once), so two functions of one
process, declared with different variables, never see each other's settings.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings", "settings_for", "settings_scope"]


def _default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or str(_home(env) / ".local" / "share")
    return Path(base) / "coderev"


def _home(environ: Mapping[str, str]) -> Path:
    home = environ.get("HOME")
    return Path(home) if home else Path.home()


class Settings(BaseSettings):
    """Every knob coderev reads from the environment. See `.env.example`."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # Backends (unset = embedded default)
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    neo4j_uri: str | None = Field(default=None, validation_alias="NEO4J_URI")
    neo4j_user: str | None = Field(default=None, validation_alias="NEO4J_USER")
    neo4j_password: SecretStr | None = Field(default=None, validation_alias="NEO4J_PASSWORD")
    # The Neo4j database (unset: the server's default) or, with a falkor:// NEO4J_URI, the
    # FalkorDB graph key (unset: "coderev") holding every analysis's code graph
    graph_database: str | None = Field(default=None, validation_alias="CODEREV_GRAPH_DATABASE")
    s3_endpoint: str | None = Field(default=None, validation_alias="S3_ENDPOINT")
    s3_access_key: str | None = Field(default=None, validation_alias="S3_ACCESS_KEY")
    s3_secret_key: SecretStr | None = Field(default=None, validation_alias="S3_SECRET_KEY")
    s3_bucket: str = Field(default="coderev", validation_alias="S3_BUCKET")
    kafka_bootstrap_servers: str | None = Field(
        default=None, validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    opa_url: str | None = Field(default=None, validation_alias="OPA_URL")

    # AI providers (never logged)
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    anthropic_api_key: SecretStr | None = Field(default=None, validation_alias="ANTHROPIC_API_KEY")
    huggingface_api_key: SecretStr | None = Field(
        default=None, validation_alias="HUGGINGFACE_API_KEY"
    )
    # The SDKs' base URLs: a gateway or a self-hosted server speaking the same API
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    anthropic_base_url: str | None = Field(default=None, validation_alias="ANTHROPIC_BASE_URL")
    # A Hugging Face Inference Endpoint (or TGI server) URL; unset: the Hugging Face router
    hf_endpoint_url: str | None = Field(default=None, validation_alias="CODEREV_HF_ENDPOINT_URL")
    # Which OpenAI API the openai provider calls: chat (Chat Completions) or responses
    openai_api: str = Field(default="chat", validation_alias="CODEREV_OPENAI_API")
    # Provider registry: API keys sealed under AWS KMS data keys when a KMS key is named, else
    # under a local AES-GCM master key (this variable: base64 keys, comma-separated, the first
    # seals; unset: the key file <data dir>/master.key, made with mode 0600)
    kms_key_id: str | None = Field(default=None, validation_alias="CODEREV_KMS_KEY_ID")
    master_key: SecretStr | None = Field(default=None, validation_alias="CODEREV_MASTER_KEY")
    # default model lists per provider kind (a TOML file; unset: the built-in one)
    provider_models: Path | None = Field(default=None, validation_alias="CODEREV_PROVIDER_MODELS")
    # how long the provider catalog trusts what it read from the registry
    provider_cache_seconds: float = Field(
        default=30.0, ge=0, validation_alias="CODEREV_PROVIDER_CACHE_SECONDS"
    )

    # Access policy (coderev.policy): the Rego folder (unset: the packaged policies, which
    # infrastructure/opa/policies links to) and how long an OPA server (OPA_URL) may take
    policy_dir: Path | None = Field(default=None, validation_alias="CODEREV_POLICY_DIR")
    opa_timeout_seconds: float = Field(
        default=2.0, gt=0, le=30, validation_alias="CODEREV_OPA_TIMEOUT_SECONDS"
    )
    # The local gateway's rate limit per principal (authorizer principalId): requests per
    # minute, refilled evenly, and the burst allowed above it; 0 turns the limit off
    rate_limit_per_minute: int = Field(
        default=1200, ge=0, validation_alias="CODEREV_RATE_LIMIT_PER_MINUTE"
    )
    rate_limit_burst: int = Field(default=200, ge=1, validation_alias="CODEREV_RATE_LIMIT_BURST")

    @field_validator("policy_dir", "opa_url", mode="before")
    @classmethod
    def _policy_unset_when_empty(cls, value: object) -> object:
        return None if value == "" else value  # a template passes "" for "not set"

    # Tokens
    jwt_secret_key: SecretStr | None = Field(default=None, validation_alias="JWT_SECRET_KEY")
    access_token_expire_minutes: int = Field(
        default=15, ge=1, validation_alias="ACCESS_TOKEN_EXPIRE_MINUTES"
    )
    refresh_token_expire_days: int = Field(
        default=7, ge=1, validation_alias="REFRESH_TOKEN_EXPIRE_DAYS"
    )
    # access JWTs: the `iss` and `aud` they carry and require, and the clock skew allowed
    jwt_issuer: str = Field(default="coderev", min_length=1, validation_alias="CODEREV_JWT_ISSUER")
    jwt_audience: str = Field(
        default="coderev-api", min_length=1, validation_alias="CODEREV_JWT_AUDIENCE"
    )
    jwt_leeway_seconds: float = Field(
        default=30.0, ge=0, le=300, validation_alias="CODEREV_JWT_LEEWAY_SECONDS"
    )
    # POST /auth/register: anyone may create an organization (true), or only the first one
    # may be created that way and admins add everyone else (false)
    open_registration: bool = Field(default=True, validation_alias="CODEREV_OPEN_REGISTRATION")

    # coderev's own
    data_dir: Path = Field(default_factory=_default_data_dir, validation_alias="CODEREV_DATA_DIR")
    jobs: int = Field(default=0, ge=0, validation_alias="CODEREV_JOBS")  # 0 = one per CPU
    # the Architecture step writes the code graph (false: a review nobody keeps, see
    # coderev.runtime.platform.ephemeral)
    code_graph: bool = Field(default=True, validation_alias="CODEREV_CODE_GRAPH")
    # the embedded stores wait for the disk (fsync, SQLite's synchronous=FULL) before a write
    # returns (false: a data dir removed when the review is, see ephemeral)
    durable_writes: bool = Field(default=True, validation_alias="CODEREV_DURABLE_WRITES")
    # the analysis steps hold their work documents in this process's memory instead of
    # writing them to the embedded object store (true: a data dir nothing else reads, see
    # ephemeral; with S3 they always travel through the bucket)
    work_in_memory: bool = Field(default=False, validation_alias="CODEREV_WORK_IN_MEMORY")
    file_budget_seconds: float = Field(
        default=10.0, gt=0, validation_alias="CODEREV_FILE_BUDGET_SECONDS"
    )
    # offline | auto | openai:MODEL | anthropic:MODEL | hf:MODEL (coderev.review.ai.names)
    reviewer: str = Field(default="offline", validation_alias="CODEREV_REVIEWER")
    # AI review: a chunk's prompt size (tokens), model calls per review, chunks reviewed at
    # once (direct engine; the state machine's Map has its own MaxConcurrency), and the
    # confidence below which a model's comment is dropped
    ai_chunk_tokens: int = Field(default=6000, ge=500, validation_alias="CODEREV_AI_CHUNK_TOKENS")
    ai_max_chunks: int = Field(default=12, ge=1, validation_alias="CODEREV_AI_MAX_CHUNKS")
    ai_concurrency: int = Field(default=4, ge=1, validation_alias="CODEREV_AI_CONCURRENCY")
    ai_min_confidence: float = Field(
        default=0.3, ge=0, le=1, validation_alias="CODEREV_AI_MIN_CONFIDENCE"
    )
    log_level: str = Field(default="INFO", validation_alias="CODEREV_LOG_LEVEL")
    # text | json: `coderev serve`'s own log lines as JSON with trace and span ids (Loki's
    # `| json`); handlers log JSON through Powertools' Logger either way
    log_format: Literal["text", "json"] = Field(
        default="text", validation_alias="CODEREV_LOG_FORMAT"
    )
    # Traces (coderev.telemetry.tracing reads these itself, before any settings are loaded):
    # OTLP over HTTP to this endpoint (a collector's :4318), or `console` to print spans
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    otel_traces_exporter: str | None = Field(default=None, validation_alias="OTEL_TRACES_EXPORTER")
    # housekeeping: unanalysed/finished uploads older than this go, and records older than that
    upload_hours: float = Field(default=24.0, gt=0, validation_alias="CODEREV_UPLOAD_HOURS")
    retention_days: float = Field(default=30.0, gt=0, validation_alias="CODEREV_RETENTION_DAYS")
    # presigned uploads a tenant may hold unused at once (one more: 429)
    max_pending_uploads: int = Field(
        default=20, ge=1, validation_alias="CODEREV_MAX_PENDING_UPLOADS"
    )
    # POST /analyses/uploads: how long a presigned upload URL stays valid (S3 allows 7 days)
    upload_url_seconds: int = Field(
        default=900, ge=1, le=604800, validation_alias="CODEREV_UPLOAD_URL_SECONDS"
    )
    # GET /analyses/{id}/report/{fmt}: how long the presigned download URL it answers is valid
    report_url_seconds: int = Field(
        default=300, ge=1, le=604800, validation_alias="CODEREV_REPORT_URL_SECONDS"
    )
    # an analysis still QUEUED/RUNNING with no execution, or whose execution cannot be found,
    # is recorded FAILED once not updated for this long (one whose execution ended: at once)
    reconcile_grace_minutes: float = Field(
        default=90.0, ge=0, validation_alias="CODEREV_RECONCILE_GRACE_MINUTES"
    )
    # quotas (coderev.quotas.limits): a TOML file of limits, and inline TOML merged over it
    quotas_file: Path | None = Field(default=None, validation_alias="CODEREV_QUOTAS_FILE")
    quotas: str | None = Field(default=None, validation_alias="CODEREV_QUOTAS")

    @field_validator("quotas_file", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if value == "" else value  # a template passes "" for "not set"

    # model routing (coderev.routing): the rules file (unset: the packaged rules-v1.toml), the
    # longest Retry-After a call waits for before its last retry, what one analysis may spend
    # on models (unset: no limit), and when a provider's circuit opens and for how long
    routing_rules: Path | None = Field(default=None, validation_alias="CODEREV_ROUTING_RULES")
    max_retry_after_s: float = Field(
        default=10.0, ge=0, validation_alias="CODEREV_MAX_RETRY_AFTER_S"
    )
    analysis_budget_usd: float | None = Field(
        default=None, ge=0, validation_alias="CODEREV_ANALYSIS_BUDGET_USD"
    )
    breaker_failures: int = Field(default=3, ge=1, validation_alias="CODEREV_BREAKER_FAILURES")
    breaker_cooldown_s: float = Field(
        default=30.0, gt=0, validation_alias="CODEREV_BREAKER_COOLDOWN_S"
    )

    # feedback on review comments (coderev.experiments.feedback): a rule is shown collapsed in
    # a project's reports once it has this many verdicts there and < 30% of them accept it;
    # reports link each finding's verdicts to this URL (the experiments API's /feedback/new;
    # unset: no links)
    feedback_min_votes: int = Field(default=5, ge=1, validation_alias="CODEREV_FEEDBACK_MIN_VOTES")
    feedback_url: str | None = Field(default=None, validation_alias="CODEREV_FEEDBACK_URL")

    # promotion (coderev.promotion): no promotion during these windows (a JSON list of
    # {"name", "start", "end"}, RFC 3339 with an offset), and the cost ceiling (mean USD per
    # task of the candidate) for experiments whose plan sets none
    freeze_windows: str | None = Field(default=None, validation_alias="CODEREV_FREEZE_WINDOWS")
    promotion_cost_ceiling_usd: float | None = Field(
        default=None, ge=0, validation_alias="CODEREV_PROMOTION_COST_CEILING_USD"
    )

    @field_validator("routing_rules", "analysis_budget_usd", "feedback_url", "freeze_windows",
                     "promotion_cost_ceiling_usd", mode="before")  # fmt: skip
    @classmethod
    def _routing_unset_when_empty(cls, value: object) -> object:
        return None if value == "" else value  # a template passes "" for "not set"


# What the environment source reads besides the fields: the data dir's default.
_DEFAULTS_READ = ("XDG_DATA_HOME", "HOME")
_SCOPE: ContextVar[Mapping[str, str] | Settings | None] = ContextVar(
    "coderev_settings", default=None
)
_Key = tuple[str | None, ...]


@cache
def _aliases() -> tuple[str, ...]:
    return tuple(str(field.validation_alias) for field in Settings.model_fields.values())


def _key(environ: Mapping[str, str]) -> _Key:
    """The values of the variables Settings reads (names matched case-insensitively, as
    pydantic-settings matches them), then those its defaults read."""
    folded = {name.lower(): value for name, value in environ.items()}
    return tuple(folded.get(alias.lower()) for alias in _aliases()) + tuple(
        environ.get(name) for name in _DEFAULTS_READ
    )


@lru_cache(maxsize=32)
def _settings_of(key: _Key) -> Settings:
    aliases = _aliases()
    environ = {name: value for name, value in zip(_DEFAULTS_READ, key[len(aliases) :],
                                                  strict=True) if value is not None}  # fmt: skip
    given: dict[str, Any] = {}
    for (name, field), alias, value in zip(Settings.model_fields.items(), aliases, key,
                                           strict=False):  # fmt: skip
        if value is not None:
            given[alias] = value
        elif name == "data_dir":
            given[alias] = _default_data_dir(environ)
        else:
            given[alias] = field.get_default(call_default_factory=True)
    # Every field is given: init arguments outrank the real os.environ, which is not read.
    return Settings(**given)


def settings_for(environ: Mapping[str, str]) -> Settings:
    """The Settings of an environment (a mapping of variables), built once per distinct one."""
    return _settings_of(_key(environ))


class _Settings:
    """`get_settings()`; `get_settings.cache_clear()` forgets every built Settings."""

    def __call__(self) -> Settings:
        scoped = _SCOPE.get()
        if isinstance(scoped, Settings):
            return scoped
        return settings_for(os.environ if scoped is None else scoped)

    def cache_clear(self) -> None:
        _settings_of.cache_clear()


get_settings = _Settings()
"""The Settings of this thread's scope, else of `os.environ` (see the module docstring)."""


@contextmanager
def settings_scope(environ: Mapping[str, str] | Settings) -> Iterator[None]:
    """Within the block, on this thread (in this context), `get_settings()` returns `environ`
    when it is a Settings, else the Settings of that environment, built when first asked for
    (an invalid value fails the caller that reads Settings, not the block); after it, those
    of the enclosing scope."""
    token = _SCOPE.set(environ)
    try:
        yield
    finally:
        _SCOPE.reset(token)
