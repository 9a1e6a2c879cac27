"""Shared test configuration. Tiers: unit (no I/O beyond tmp files), functional (whole commands
on embedded defaults), integration (real servers: Postgres, Redis, moto_server, Kafka)."""
