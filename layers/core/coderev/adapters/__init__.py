"""Adapters: embedded defaults and one module per real backend; the domain imports none."""
