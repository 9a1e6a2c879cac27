"""shop: a small web shop."""

__version__ = "0.3.0"
