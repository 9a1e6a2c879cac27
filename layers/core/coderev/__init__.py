"""coderev: AI code review and architecture analysis, as small stateless functions."""

__version__ = "0.1.0"
