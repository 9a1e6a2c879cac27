"""Backups: the records' database, the object store and the graph store, into one directory.

`coderev backup DIR` writes DIR/<UTC timestamp>/ holding `postgres.dump` (pg_dump's custom
format; SQLite's file copied through its backup API when DATABASE_URL is unset), `objects/`
(every object of the bucket, with `objects.jsonl`: key, metadata, sha256), `graphs.jsonl` (every
stored code graph: id, project/version, nodes, edges — a Cypher export that restores into any
GraphStore) and `manifest.json` (what is there, with checksums). `coderev restore DIR/<stamp>`
puts it back: pg_restore --clean (or the SQLite file), every object, every graph.
pg_dump / pg_restore are the PostgreSQL client tools (Debian `postgresql-client`); the password
reaches them through PGPASSWORD, never on the command line.
"""

from coderev.backup.snapshot import BackupError, Manifest, create_backup, prune, restore_backup

__all__ = ["BackupError", "Manifest", "create_backup", "prune", "restore_backup"]
