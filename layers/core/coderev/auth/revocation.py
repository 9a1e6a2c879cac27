"""Where revoked access tokens and sessions are remembered until they would have expired.

The authorizer asks on every request whether the token's `jti` or its session (`sid`, the
refresh-token family) has been revoked: one round trip, `EXISTS` on Redis. An entry lives as
long as what it revokes could still be presented (the access token's expiry, the family's
last refresh token's expiry) and then goes by itself (Redis `EXAT`; SQLite rows are purged
as revocations are written).

Stores: `RedisRevocations` (REDIS_URL: shared by every process and machine),
`SqliteRevocations` (embedded default: a file in the data dir, shared by the processes of one
machine, e.g. `coderev serve` and `coderev login`), `InMemoryRevocations` (one process;
tests). Identifiers are namespaced by the caller ("jti:...", "sid:...", "key:...").
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from coderev.auth.errors import AuthStoreError
from coderev.sqlite_wal import enable_wal

if TYPE_CHECKING:
    import redis

__all__ = ["DEFAULT_PREFIX", "InMemoryRevocations", "RedisRevocations", "SqliteRevocations"]

DEFAULT_PREFIX = "coderev:auth:revoked:"


def _now() -> float:
    return datetime.now(UTC).timestamp()


class InMemoryRevocations:
    """Revocations of this process only."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def revoke(self, ident: str, until: datetime) -> None:
        with self._lock:
            self._until[ident] = max(self._until.get(ident, 0.0), until.timestamp())

    def any_revoked(self, idents: Sequence[str]) -> bool:
        now = _now()
        with self._lock:
            return any(self._until.get(i, 0.0) > now for i in idents)


class RedisRevocations:
    """Revocations on Redis: a key per revoked id, expiring when the id would have."""

    def __init__(self, client: redis.Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        self.client = client
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, prefix: str = DEFAULT_PREFIX) -> RedisRevocations:
        import redis

        return cls(redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5,
                                        health_check_interval=30), prefix=prefix)  # fmt: skip

    def revoke(self, ident: str, until: datetime) -> None:
        import redis

        expire_at = max(int(until.timestamp()) + 1, int(_now()) + 1)
        try:
            self.client.set(self.prefix + ident, b"1", exat=expire_at)
        except redis.RedisError as exc:
            raise AuthStoreError(f"the revocation store (Redis) failed: {exc!r}") from exc

    def any_revoked(self, idents: Sequence[str]) -> bool:
        import redis

        if not idents:
            return False
        try:
            return int(self.client.exists(*(self.prefix + i for i in idents))) > 0
        except redis.RedisError as exc:
            raise AuthStoreError(f"the revocation store (Redis) failed: {exc!r}") from exc


class SqliteRevocations:
    """Revocations in a SQLite file, shared by the processes of one machine."""

    def __init__(self, path: Path, *, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s,
                                   isolation_level=None, check_same_thread=False)  # fmt: skip
            enable_wal(conn, self.busy_timeout_s)
            conn.execute("CREATE TABLE IF NOT EXISTS revoked (id TEXT PRIMARY KEY, "
                         "until REAL NOT NULL) WITHOUT ROWID")  # fmt: skip
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def revoke(self, ident: str, until: datetime) -> None:
        try:
            with self._lock:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute("DELETE FROM revoked WHERE until <= ?", (time.time(),))
                    conn.execute(
                        "INSERT INTO revoked (id, until) VALUES (?, ?) ON CONFLICT (id) "
                        "DO UPDATE SET until = max(until, excluded.until)",
                        (ident, until.timestamp()),
                    )
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise AuthStoreError(f"the revocation store (SQLite) failed: {exc}") from exc

    def any_revoked(self, idents: Sequence[str]) -> bool:
        if not idents:
            return False
        marks = ",".join("?" * len(idents))
        try:
            with self._lock:
                row = (
                    self._connection()
                    .execute(
                        f"SELECT 1 FROM revoked WHERE id IN ({marks}) AND until > ? LIMIT 1",  # noqa: S608
                        (*idents, _now()),
                    )
                    .fetchone()
                )
        except sqlite3.Error as exc:
            raise AuthStoreError(f"the revocation store (SQLite) failed: {exc}") from exc
        return row is not None
