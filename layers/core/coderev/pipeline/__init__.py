"""The review pipeline: the steps from a source tree to a ReviewResult (later: state machine tasks)."""
