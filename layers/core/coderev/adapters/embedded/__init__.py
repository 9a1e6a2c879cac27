"""Embedded adapters: zero-service defaults that double as the fakes of the contract test suites."""
