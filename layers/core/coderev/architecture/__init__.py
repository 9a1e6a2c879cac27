"""Architecture: module graph, cycles, contracts, coupling metrics and drift against a baseline."""
