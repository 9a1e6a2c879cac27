"""Review comments: the reviewer interface, the offline reviewer, ranking and the quality gate."""
