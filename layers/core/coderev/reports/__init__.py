"""Report formats: JSON (versioned schema), SARIF 2.1.0, Markdown and self-contained HTML."""
