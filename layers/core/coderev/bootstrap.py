"""The composition root: the one place that chooses adapters, lazily, once per process.

Handlers and the CLI ask this module for ports; nothing else constructs an adapter. Backends
are chosen by configuration (argument > environment > embedded default) and built on first
use, so importing coderev costs nothing at cold start.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from coderev.domain.errors import ConfigError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer

    from coderev.adapters.cypher_graph import CypherGraphStore, CypherSession
    from coderev.analyses.repository import AnalysisRepository
    from coderev.audit.repository import AuditRepository
    from coderev.auth.api_keys import ApiKeys
    from coderev.auth.service import AuthService
    from coderev.auth.sql_repository import SqlAuthRepository
    from coderev.config import Settings
    from coderev.experiments.arms import ExperimentArms
    from coderev.experiments.live import AnalysisOwner, InForce
    from coderev.experiments.repository import ExperimentRepository
    from coderev.experiments.service import Experiments
    from coderev.pipeline.options import ModelAccess
    from coderev.ports import (
        EventBus,
        GraphStore,
        ObjectStore,
        PolicyEngine,
        ProviderCatalog,
        QuotaStore,
        RevocationStore,
        SecretBox,
        StateMachineStarter,
    )
    from coderev.projects.analyses import ProjectAnalyses
    from coderev.projects.repository import ProjectRepository
    from coderev.projects.service import Projects
    from coderev.promotion.repository import PromotionRepository
    from coderev.promotion.service import PromotionService
    from coderev.promotion.sources import ExperimentSource
    from coderev.providers.catalog import RegistryCatalog
    from coderev.providers.registry import ProviderRegistry
    from coderev.providers.repository import ProviderRepository
    from coderev.review.ai.calls import ChunkRouter
    from coderev.routing import CircuitBreaker, Router


_NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
_FALKOR_SCHEMES = ("falkor", "falkors", "redis", "rediss")


def graph_store(settings: Settings, default_path: Path) -> GraphStore:
    """The GraphStore: Cypher on Neo4j when NEO4J_URI is bolt:// or neo4j:// (+s, +ssc), on
    FalkorDB when it is falkor:// or redis://, else SQLite at `default_path`."""
    if settings.neo4j_uri:
        return _cypher_graph_store(settings, settings.neo4j_uri)
    from coderev.adapters.embedded.graph_store import SqliteGraphStore

    default_path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteGraphStore(default_path)


_cypher_stores: dict[tuple[str, str | None, str | None], CypherGraphStore] = {}


def _cypher_graph_store(settings: Settings, uri: str) -> GraphStore:
    """One store (one driver, one connection pool) per server, user and database per process."""
    key = (uri, settings.neo4j_user, settings.graph_database)
    if key not in _cypher_stores:
        _cypher_stores[key] = _new_cypher_graph_store(settings, uri)
    return _cypher_stores[key]


def _new_cypher_graph_store(settings: Settings, uri: str) -> CypherGraphStore:
    from coderev.adapters.cypher_graph import CypherGraphStore

    session: CypherSession
    scheme = uri.partition("://")[0].lower()
    if scheme in _NEO4J_SCHEMES:
        from coderev.adapters.neo4j import Neo4jSession

        password = settings.neo4j_password
        session = Neo4jSession(
            uri,
            settings.neo4j_user,
            password.get_secret_value() if password else None,
            database=settings.graph_database,
        )
    elif scheme in _FALKOR_SCHEMES:
        from coderev.adapters.falkordb import FalkorSession

        session = FalkorSession(uri, settings.graph_database)
    else:
        raise ConfigError(
            f"NEO4J_URI must be bolt://, neo4j:// (+s, +ssc) for Neo4j or falkor:// / redis:// "
            f"for FalkorDB, not {scheme}://"
        )
    return CypherGraphStore(session)


# --- the handlers' providers: built on first use, once per process --------------------------


def on_aws() -> bool:
    """True inside a real Lambda sandbox (the local platform does not set the runtime API)."""
    return bool(os.environ.get("AWS_LAMBDA_RUNTIME_API"))


def _settings() -> Settings:
    from coderev.config import get_settings

    return get_settings()


_object_store: ObjectStore | None = None


def use_object_store(store: ObjectStore | None) -> None:
    """Let the local platform (or a test) say which store the handlers use; None: the built
    one. `coderev serve` passes its notifying store, so handlers' uploads fire S3 events."""
    global _object_store
    _object_store = store


def object_store() -> ObjectStore:
    """What use_object_store set, else S3 when S3_ENDPOINT is set or on AWS, else a
    LocalObjectStore under data_dir/objects/<bucket>."""
    return _object_store if _object_store is not None else _built_object_store()


@cache
def _built_object_store() -> ObjectStore:
    settings = _settings()
    if settings.s3_endpoint or on_aws():
        from coderev.adapters.s3 import S3ObjectStore

        return S3ObjectStore(settings.s3_bucket)
    from coderev.adapters.embedded.object_store import LocalObjectStore

    return LocalObjectStore(
        settings.data_dir / "objects" / settings.s3_bucket,
        durable=settings.durable_writes,
        work_in_memory=settings.work_in_memory,
    )


@cache
def event_bus() -> EventBus:
    """Kafka when KAFKA_BOOTSTRAP_SERVERS is set, else the in-process bus."""
    settings = _settings()
    if settings.kafka_bootstrap_servers:
        from coderev.adapters.kafka import KafkaEventBus

        return KafkaEventBus(settings.kafka_bootstrap_servers)
    from coderev.adapters.embedded.event_bus import InMemoryEventBus

    return InMemoryEventBus()


@cache
def analysis_repository() -> AnalysisRepository:
    """Analysis records: DATABASE_URL (PostgreSQL), else SQLite under data_dir."""
    from coderev.analyses.sql_repository import SqlAnalysisRepository, database_url
    from coderev.migrations import open_repository

    settings = _settings()
    url = database_url(settings.database_url, settings.data_dir)
    return open_repository(SqlAnalysisRepository, url)


@cache
def audit_repository() -> AuditRepository:
    """The audit trail: the analysis records' database (DATABASE_URL, else SQLite)."""
    from coderev.analyses.sql_repository import database_url
    from coderev.audit.sql_repository import SqlAuditRepository
    from coderev.migrations import open_repository

    settings = _settings()
    url = database_url(settings.database_url, settings.data_dir)
    return open_repository(SqlAuditRepository, url)


@cache
def experiment_repository() -> ExperimentRepository:
    """Review configurations, experiments, observations, feedback (`experiments_v1`): the
    analysis records' database (DATABASE_URL, else SQLite)."""
    from coderev.analyses.sql_repository import database_url
    from coderev.experiments.sql_repository import SqlExperimentRepository
    from coderev.migrations import open_repository

    settings = _settings()
    url = database_url(settings.database_url, settings.data_dir)
    return open_repository(SqlExperimentRepository, url)


@cache
def experiments() -> Experiments:
    """The experiments' use cases: every lifecycle step in the audit trail and on the bus."""
    from coderev.experiments.service import Experiments

    return Experiments(experiment_repository(), event_bus(), audit_repository)


@cache
def project_repository() -> ProjectRepository:
    """Projects and their members: the analysis records' database (DATABASE_URL, else
    SQLite)."""
    from coderev.analyses.sql_repository import database_url
    from coderev.migrations import open_repository
    from coderev.projects.sql_repository import SqlProjectRepository

    settings = _settings()
    url = database_url(settings.database_url, settings.data_dir)
    return open_repository(SqlProjectRepository, url)


@cache
def projects() -> Projects:
    """The projects' use cases (tenant-bounded, audited through event_bus())."""
    from coderev.projects.service import Projects

    return Projects(project_repository(), analysis_repository(), event_bus())


@cache
def project_analyses() -> ProjectAnalyses:
    """A project's analyses: uploads held to its settings and baseline, list, drift."""
    from coderev.projects.analyses import ProjectAnalyses

    settings = _settings()
    return ProjectAnalyses(projects(), object_store(), settings.s3_bucket,
                           max_pending_uploads=settings.max_pending_uploads,
                           upload_url_seconds=settings.upload_url_seconds)  # fmt: skip


def analysis_owner() -> AnalysisOwner:
    """Whose an analysis is (tenant, project name), for the experiments' live arms."""
    from coderev.experiments.live import AnalysisOwner

    def project_name(tenant: str, project_id: str) -> str | None:
        found = project_repository().get(tenant, project_id)
        return None if found is None else found.name

    return AnalysisOwner(analysis_repository(), project_name)


@cache
def secret_box() -> SecretBox:
    """What seals provider API keys: AWS KMS data keys when CODEREV_KMS_KEY_ID is set, else
    AES-GCM under CODEREV_MASTER_KEY, else under the key file <data dir>/master.key (made
    with mode 0600). On AWS without either: a ConfigError (a key file in /tmp would be lost
    with the sandbox, and every key sealed under it)."""
    settings = _settings()
    if settings.kms_key_id:
        from coderev.adapters.kms import KmsSecretBox

        return KmsSecretBox(settings.kms_key_id)
    from coderev.adapters.embedded.secret_box import AesGcmSecretBox, LocalKeyring, parse_keys

    if settings.master_key is not None and settings.master_key.get_secret_value():
        keys = parse_keys(settings.master_key.get_secret_value(), "CODEREV_MASTER_KEY")
        return AesGcmSecretBox(LocalKeyring(keys))
    if on_aws():
        raise ConfigError(
            "provider keys need CODEREV_KMS_KEY_ID (or CODEREV_MASTER_KEY) on AWS: a master key "
            "file in the sandbox's /tmp would be lost with it"
        )
    return AesGcmSecretBox(LocalKeyring(path=settings.data_dir / "master.key"))


@cache
def provider_repository() -> ProviderRepository:
    """The provider registry's tables: the analysis records' database (DATABASE_URL, else
    SQLite)."""
    from coderev.analyses.sql_repository import database_url
    from coderev.migrations import open_repository
    from coderev.providers.sql_repository import SqlProviderRepository

    settings = _settings()
    url = database_url(settings.database_url, settings.data_dir)
    return open_repository(SqlProviderRepository, url)


@cache
def provider_registry() -> ProviderRegistry:
    """The registry's use cases; the SecretBox is built when a key is first sealed or opened."""
    from coderev.providers.registry import ProviderRegistry

    return ProviderRegistry(provider_repository(), secret_box, event_bus())


@cache
def _provider_catalog() -> RegistryCatalog:
    from coderev.providers.catalog import RegistryCatalog, implied_entries

    settings = _settings()
    return RegistryCatalog(provider_registry(), implied=lambda: implied_entries(settings),
                           ttl_s=settings.provider_cache_seconds)  # fmt: skip


def provider_catalog() -> ProviderCatalog:
    """The providers and models the router chooses from: the registry, else the providers the
    SDKs' environment variables imply; clients through coderev.providers.sdk."""
    return _provider_catalog()


def registry_catalog() -> RegistryCatalog:
    """provider_catalog() as the concrete RegistryCatalog (the health probe needs its entries)."""
    return _provider_catalog()


@cache
def idempotency_store() -> BasePersistenceLayer:
    """Powertools idempotency records: Redis when REDIS_URL is set, else SQLite in data_dir."""
    settings = _settings()
    if settings.redis_url:
        from coderev.idempotency.redis import redis_persistence_layer

        return redis_persistence_layer(settings.redis_url)
    from coderev.idempotency.sqlite import SqlitePersistenceLayer

    return SqlitePersistenceLayer(settings.data_dir / "idempotency.db")


@cache
def quota_store() -> QuotaStore:
    """Quota counters: Redis when REDIS_URL is set (one Lua script per check), else SQLite
    in data_dir (safe across the processes of one machine)."""
    settings = _settings()
    if settings.redis_url:
        from coderev.quotas.redis_store import RedisQuotaStore

        return RedisQuotaStore.from_url(settings.redis_url)
    from coderev.quotas.sqlite_store import SqliteQuotaStore

    return SqliteQuotaStore(settings.data_dir / "quotas.sqlite")


@cache
def revocation_store() -> RevocationStore:
    """Revoked access tokens, sessions and API keys: Redis when REDIS_URL is set, else a
    SQLite file in data_dir (shared by `coderev serve` and the CLI on one machine)."""
    settings = _settings()
    if settings.redis_url:
        from coderev.auth.revocation import RedisRevocations

        return RedisRevocations.from_url(settings.redis_url)
    from coderev.auth.revocation import SqliteRevocations

    return SqliteRevocations(settings.data_dir / "revocations.sqlite")


@cache
def auth_repository() -> SqlAuthRepository:
    """Organizations, users, memberships, refresh-token families and API keys: the analysis
    records' database (DATABASE_URL, else SQLite)."""
    from coderev.analyses.sql_repository import database_url
    from coderev.auth.sql_repository import SqlAuthRepository
    from coderev.migrations import open_repository

    settings = _settings()
    url = database_url(settings.database_url, settings.data_dir)
    return open_repository(SqlAuthRepository, url)


@cache
def api_keys() -> ApiKeys:
    """API keys: verified by the authorizer, managed by the auth function."""
    from coderev.auth.api_keys import ApiKeys

    return ApiKeys(auth_repository(), revocation_store())


@cache
def auth_service() -> AuthService:
    """Register, login, refresh, logout, whoami, members (coderev.auth.service). Refuses to be
    built without a usable JWT_SECRET_KEY outside embedded mode (AuthConfigError)."""
    from coderev.auth.service import AuthService
    from coderev.auth.verify import policy_for

    settings = _settings()
    return AuthService(auth_repository(), revocation_store(), policy_for(settings),
                       settings=settings, events=event_bus())  # fmt: skip


def review_models() -> ModelAccess:
    """How an AI review reaches models (coderev.review.ai): the router, built only when an AI
    reviewer is asked for (None while no provider is configured: `auto` then runs offline),
    and the CODEREV_AI_* settings. The analysis' budget (CODEREV_ANALYSIS_BUDGET_USD) is
    shared between its chunks, which run concurrently."""
    from coderev.pipeline.options import ModelAccess
    from coderev.review.ai.settings import AISettings

    settings = _settings()
    ai = AISettings(
        chunk_tokens=settings.ai_chunk_tokens, max_chunks=settings.ai_max_chunks,
        concurrency=settings.ai_concurrency, min_confidence=settings.ai_min_confidence,
        budget_usd=settings.analysis_budget_usd,
    )  # fmt: skip
    return ModelAccess(_review_router, ai)


def _review_router() -> ChunkRouter | None:
    """router(), or None when the catalog has no model (no provider registered, none implied
    by the SDKs' variables)."""
    if not provider_catalog().models():
        return None
    return router()


_starter: StateMachineStarter | None = None


def use_state_machine_starter(starter: StateMachineStarter | None) -> None:
    """Let the local platform (or a test) say what runs state machines in this process."""
    global _starter
    _starter = starter


@cache
def _default_starter() -> StateMachineStarter:
    if on_aws() or os.environ.get("STEPFUNCTIONS_ENDPOINT"):
        from coderev.adapters.stepfunctions import StepFunctionsStarter

        return StepFunctionsStarter()
    from coderev.adapters.embedded.state_machines import InProcessStateMachineStarter

    return InProcessStateMachineStarter()


def state_machine_starter() -> StateMachineStarter:
    """Step Functions on AWS (or STEPFUNCTIONS_ENDPOINT); else what the platform registered,
    else an in-process starter that records the starts."""
    return _starter if _starter is not None else _default_starter()


@cache
def router() -> Router:
    """The model router over provider_catalog() and quota_store() (with the limits of
    coderev.quotas), the experiments' arms (a rule's `when.arms`), the routing rules
    (CODEREV_ROUTING_RULES, else the packaged ones) and a
    circuit breaker shared through Redis when REDIS_URL is set, else this process's."""
    from coderev.quotas import limits_for
    from coderev.routing import InMemoryBreaker, RedisBreaker, Router, load_rules

    settings = _settings()
    breaker: CircuitBreaker
    if settings.redis_url:
        breaker = RedisBreaker.from_url(settings.redis_url, failures=settings.breaker_failures,
                                        cooldown_s=settings.breaker_cooldown_s)  # fmt: skip
    else:
        breaker = InMemoryBreaker(failures=settings.breaker_failures,
                                  cooldown_s=settings.breaker_cooldown_s)  # fmt: skip
    return Router(
        provider_catalog(), quota_store(), rules=load_rules(settings.routing_rules),
        breaker=breaker, limits=limits_for, max_retry_after_s=settings.max_retry_after_s,
        default_budget_usd=settings.analysis_budget_usd, arms=_experiment_arms(),
    )  # fmt: skip


def _experiment_arms() -> ExperimentArms:
    """The router's arm hook: the arm of the tenant's running experiment on the task's project
    (coderev.experiments.arms), read from the experiments' database on first need."""
    from coderev.experiments.arms import ExperimentArms

    return ExperimentArms(lambda tenant: experiments().list(tenant, ["running"]))


@cache
def policy_engine() -> PolicyEngine:
    """Access decisions: the OPA server at OPA_URL, else Rego in-process (regopy), on the
    policies of coderev.policy (CODEREV_POLICY_DIR to use others); decisions memoised."""
    from coderev.policy.cache import CachedPolicyEngine

    settings = _settings()
    engine: PolicyEngine
    if settings.opa_url:
        from coderev.adapters.opa_rest import OpaRestPolicyEngine

        engine = OpaRestPolicyEngine(settings.opa_url, timeout=settings.opa_timeout_seconds)
    else:
        from coderev.adapters.regopy_policy import RegoPolicyEngine
        from coderev.policy.files import policy_modules

        engine = RegoPolicyEngine(policy_modules(settings.policy_dir))
    return CachedPolicyEngine(engine)


@cache
def promotion_repository() -> PromotionRepository:
    """Production and quarantine: the analysis records' database (DATABASE_URL, else SQLite)."""
    from coderev.analyses.sql_repository import database_url
    from coderev.migrations import open_repository
    from coderev.promotion.sql_repository import SqlPromotionRepository

    settings = _settings()
    url = database_url(settings.database_url, settings.data_dir)
    return open_repository(SqlPromotionRepository, url)


_experiment_source: ExperimentSource | None = None


def use_experiment_source(source: ExperimentSource | None) -> None:
    """Let a test (or the experiments room, once wired) say where experiments are read."""
    global _experiment_source
    _experiment_source = source


def experiment_source() -> ExperimentSource:
    """What use_experiment_source set, else the experiments room (experiments_v1)."""
    if _experiment_source is not None:
        return _experiment_source
    from coderev.promotion.from_experiments import ExperimentsRoomSource

    return ExperimentsRoomSource(experiments())


def configuration_in_force() -> InForce:
    """The experiments' live hook: the configuration production holds for a tenant/project."""
    from coderev.promotion.from_experiments import ConfigurationInForce

    return ConfigurationInForce(promotion_repository(), experiments())


def promotion_service() -> PromotionService:
    """The promotion use cases on this process's ports."""
    from coderev.policy.files import policy_modules
    from coderev.promotion.comparing import LibraryComparator
    from coderev.promotion.events import Announcer
    from coderev.promotion.model import FreezeWindow
    from coderev.promotion.service import PromotionService

    settings = _settings()
    return PromotionService(
        experiments=experiment_source(), comparator=LibraryComparator(),
        repository=promotion_repository(), engine=policy_engine(),
        policy_modules=policy_modules(settings.policy_dir),
        announcer=Announcer(event_bus(), audit_repository()),
        freeze_windows=FreezeWindow.parse_all(settings.freeze_windows),
        default_cost_ceiling=settings.promotion_cost_ceiling_usd,
    )  # fmt: skip


def reset() -> None:
    """Forget every built adapter, override and the settings (tests switching data dirs)."""
    from coderev.config import get_settings

    for provider in (_built_object_store, event_bus, analysis_repository, audit_repository,
                     idempotency_store, quota_store, _default_starter, secret_box,
                     provider_repository, provider_registry, _provider_catalog,
                     router, revocation_store, policy_engine, auth_repository, api_keys,
                     auth_service, experiment_repository, experiments,
                     project_repository, projects, project_analyses,
                     promotion_repository):  # fmt: skip
        provider.cache_clear()
    get_settings.cache_clear()
    for store in _cypher_stores.values():
        store.close()
    _cypher_stores.clear()
    use_state_machine_starter(None)
    use_object_store(None)
    use_experiment_source(None)
