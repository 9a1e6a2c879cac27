"""What `coderev serve` runs: the template's platform, on this process's configuration.

`build_platform` loads the template (a clear `ServeError` when it is missing or declares what
cannot run locally) and chooses the backends the way `bootstrap` does for the handlers, so
handlers and platform share them: the object store (the embedded one wrapped to notify the
S3-triggered functions, or S3 through SQS when S3_ENDPOINT is set), the event bus (the
in-process bus the Kafka triggers consume, or the broker at KAFKA_BOOTSTRAP_SERVERS) and a
SQLite execution store under the data dir, which `coderev executions` reads.

In-process, the serving process's settings are the handlers' settings: `coderev serve` reads
its configuration once (the template's per-function `CODEREV_DATA_DIR: /tmp/coderev` and
empty `DATABASE_URL` describe a Lambda sandbox, not this machine).

`serve` prints what is served, then blocks until SIGINT or SIGTERM and stops gracefully.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from coderev.runtime.errors import RuntimePlatformError, TemplateError
from coderev.runtime.execution_store import SqliteExecutionStore
from coderev.runtime.platform import Platform, PlatformBackends
from coderev.runtime.template import S3Event, Template, load_template

if TYPE_CHECKING:
    from coderev.adapters.embedded.event_bus import InMemoryEventBus
    from coderev.adapters.s3 import S3ObjectStore
    from coderev.config import Settings
    from coderev.ports import ObjectStore
    from coderev.runtime.notifications import NotifyingObjectStore

__all__ = ["EXECUTIONS_FILE", "ServeError", "build_platform", "execution_store", "serve"]

EXECUTIONS_FILE = "executions.db"


class ServeError(RuntimePlatformError):
    """The template cannot be served: missing, unreadable, or not runnable locally."""


def execution_store(settings: Settings) -> SqliteExecutionStore:
    """The executions of this machine's platform (shared by `serve` and `executions`)."""
    return SqliteExecutionStore(settings.data_dir / EXECUTIONS_FILE)


def read_template(path: Path, parameters: Mapping[str, str] | None = None) -> Template:
    if not path.is_file():
        raise ServeError(
            f"no template at {path}: run from the project folder or pass --template PATH"
        )
    try:
        return load_template(path, parameter_overrides=parameters)
    except TemplateError as exc:
        raise ServeError(f"{path} cannot be served locally: {exc}") from exc


def bucket_name(template: Template, default: str) -> str:
    """The bucket the S3 events name (what handlers see as S3_BUCKET), else `default`."""
    for _function, event in template.events_of(S3Event):
        bucket = template.buckets.get(event.bucket)
        if bucket is not None:
            return bucket.name
    return default


def build_platform(
    template_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    parameters: Mapping[str, str] | None = None,
    retry_delay_scale: float = 1.0,
) -> Platform:
    """The platform for `template_path` on the configured (or embedded) backends."""
    from coderev import bootstrap
    from coderev.config import get_settings

    template = read_template(template_path, parameters)
    settings = get_settings()
    store = bootstrap.object_store()
    backends = PlatformBackends(
        object_store=_s3(store) if settings.s3_endpoint else _notifying(store, template, settings),
        event_bus=None if settings.kafka_bootstrap_servers else _embedded_bus(),
        kafka_bootstrap_servers=settings.kafka_bootstrap_servers,
        execution_store=execution_store(settings),
    )
    return Platform(template, backends, host=host, port=port,
                    retry_delay_scale=retry_delay_scale)  # fmt: skip


def _notifying(store: ObjectStore, template: Template, settings: Settings) -> NotifyingObjectStore:
    from coderev.runtime.notifications import NotifyingObjectStore

    bucket = bucket_name(template, settings.s3_bucket)
    return NotifyingObjectStore(store, bucket=bucket, region=template.identity.region)


def _s3(store: ObjectStore) -> S3ObjectStore:
    from coderev.adapters.s3 import S3ObjectStore

    assert isinstance(store, S3ObjectStore)
    return store


def _embedded_bus() -> InMemoryEventBus:
    from coderev import bootstrap
    from coderev.adapters.embedded.event_bus import InMemoryEventBus

    bus = bootstrap.event_bus()
    assert isinstance(bus, InMemoryEventBus)
    return bus


def serve(
    template_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    parameters: Mapping[str, str] | None = None,
    echo: Callable[[str], object] = print,
    stop_timeout: float = 60.0,
) -> int:
    """Serve until SIGINT/SIGTERM; 0 after a clean stop, 1 if work had to be abandoned."""
    platform = build_platform(template_path, host=host, port=port, parameters=parameters)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        platform.start()
        _announce(platform, echo)
        stop.wait()
        echo("coderev serve: stopping (finishing running executions)")
        clean = platform.stop(stop_timeout)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    echo("coderev serve: stopped" if clean else "coderev serve: stopped, work abandoned")
    return 0 if clean else 1


def _announce(platform: Platform, echo: Callable[[str], object]) -> None:
    served = platform.describe()
    echo(f"coderev serve: {platform.template.path} on {platform.url}")
    echo("  GET /health")
    for key in ("routes", "triggers", "schedules", "state_machines"):
        echo(key.replace("_", " ") + ":")
        for line in served[key] or ["(none)"]:
            echo(f"  {line}")
    echo("ready")
