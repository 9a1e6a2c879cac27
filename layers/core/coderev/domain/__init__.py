"""The domain: the vocabulary every room speaks. Frozen dataclasses, no I/O, no adapters."""
