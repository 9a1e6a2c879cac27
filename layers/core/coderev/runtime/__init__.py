"""The local function platform: runs what template.yaml declares, in-process."""
