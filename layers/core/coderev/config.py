"""One settings object: argument > environment variable > embedded default.

The seed's variable names are the configuration interface (`DATABASE_URL`, `REDIS_URL`, ...);
anything further is `CODEREV_*`. Unset means the embedded default, so `coderev review` and
`coderev serve` run on one laptop with zero services.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "coderev"


class Settings(BaseSettings):
    """Every knob coderev reads from the environment. See `.env.example`."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # Backends (unset = embedded default)
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    neo4j_uri: str | None = Field(default=None, validation_alias="NEO4J_URI")
    neo4j_user: str | None = Field(default=None, validation_alias="NEO4J_USER")
    neo4j_password: SecretStr | None = Field(default=None, validation_alias="NEO4J_PASSWORD")
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

    # Tokens
    jwt_secret_key: SecretStr | None = Field(default=None, validation_alias="JWT_SECRET_KEY")
    access_token_expire_minutes: int = Field(
        default=15, validation_alias="ACCESS_TOKEN_EXPIRE_MINUTES"
    )
    refresh_token_expire_days: int = Field(default=7, validation_alias="REFRESH_TOKEN_EXPIRE_DAYS")

    # coderev's own
    data_dir: Path = Field(default_factory=_default_data_dir, validation_alias="CODEREV_DATA_DIR")
    jobs: int = Field(default=0, ge=0, validation_alias="CODEREV_JOBS")  # 0 = one per CPU
    file_budget_seconds: float = Field(
        default=10.0, gt=0, validation_alias="CODEREV_FILE_BUDGET_SECONDS"
    )
    reviewer: str = Field(default="offline", validation_alias="CODEREV_REVIEWER")
    log_level: str = Field(default="INFO", validation_alias="CODEREV_LOG_LEVEL")
    # housekeeping: unanalysed/finished uploads older than this go, and records older than that
    upload_hours: float = Field(default=24.0, gt=0, validation_alias="CODEREV_UPLOAD_HOURS")
    retention_days: float = Field(default=30.0, gt=0, validation_alias="CODEREV_RETENTION_DAYS")
    # POST /analyses/uploads: how long a presigned upload URL stays valid (S3 allows 7 days)
    upload_url_seconds: int = Field(
        default=900, ge=1, le=604800, validation_alias="CODEREV_UPLOAD_URL_SECONDS"
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once (Lambda reuses the process between invocations)."""
    return Settings()
