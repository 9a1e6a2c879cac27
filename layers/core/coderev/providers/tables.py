"""The `providers` schema's tables: what the Alembic migrations must produce (a test compares).

- `providers`: one row per registered provider, with its sealed API key (`key_blob`, opaque:
  the SecretBox's envelope), the master key that wraps it (`key_id`) and its `key_version`;
- `models`: the models of each provider, in the order given, with tier, context window and
  prices in USD per 1M input/output tokens;
- `health`: the last probe of each provider (registered or implied by the environment).

Shared by `coderev.providers.sql_repository` (which queries them) and
`coderev.migrations.runner` (which compares the database with them); it imports neither.
This module imports SQLAlchemy; `coderev.providers` does not import this module.
"""

from __future__ import annotations

import sqlalchemy as sa

from coderev.analyses.tables import NAMING_CONVENTION
from coderev.providers.model import MAX_MODEL_NAME, MAX_URL

__all__ = ["LOGICAL_SCHEMA", "health", "metadata", "models", "providers"]

LOGICAL_SCHEMA = "providers"
NAME_LENGTH = 64

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

providers = sa.Table(
    "providers",
    metadata,
    sa.Column("name", sa.String(NAME_LENGTH), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("base_url", sa.String(MAX_URL), nullable=True),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("timeout_s", sa.Float(), nullable=False),
    sa.Column("key_blob", sa.LargeBinary(), nullable=True),
    sa.Column("key_id", sa.String(2048), nullable=True, index=True),
    sa.Column("key_version", sa.Integer(), nullable=False),
    sa.Column("key_updated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    schema=LOGICAL_SCHEMA,
)

models = sa.Table(
    "models",
    metadata,
    sa.Column(
        "provider",
        sa.String(NAME_LENGTH),
        sa.ForeignKey(providers.c.name, ondelete="CASCADE", name="fk_models_provider_providers"),
        primary_key=True,
    ),
    sa.Column("model", sa.String(MAX_MODEL_NAME), primary_key=True),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("tier", sa.String(16), nullable=False),
    sa.Column("context_window", sa.Integer(), nullable=False),
    sa.Column("max_output_tokens", sa.Integer(), nullable=False),
    sa.Column("input_usd_per_mtok", sa.Float(), nullable=False),
    sa.Column("output_usd_per_mtok", sa.Float(), nullable=False),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    schema=LOGICAL_SCHEMA,
)

health = sa.Table(
    "health",
    metadata,
    sa.Column("provider", sa.String(NAME_LENGTH), primary_key=True),
    sa.Column("ok", sa.Boolean(), nullable=False),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("latency_ms", sa.Float(), nullable=True),
    sa.Column("error", sa.String(1024), nullable=True),
    sa.Column("consecutive_failures", sa.Integer(), nullable=False),
    schema=LOGICAL_SCHEMA,
)
