"""The review pipeline: from a source tree to a ReviewResult, stage by stage."""
