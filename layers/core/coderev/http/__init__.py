"""The HTTP API's edge: pydantic response models and the one error → status table.

Shared by the HTTP functions; importing it imports neither Powertools nor any backend.
"""
