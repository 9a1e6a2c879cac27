"""Reading code safely and learning from each file in one parse: metrics, imports, findings."""
