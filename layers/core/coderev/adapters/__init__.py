"""Adapters: embedded defaults and one module per real backend. Nothing here is imported by the domain."""
