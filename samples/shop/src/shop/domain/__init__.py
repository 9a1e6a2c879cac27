"""Domain model: no I/O, no adapters."""
