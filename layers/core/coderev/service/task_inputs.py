"""The inputs the analysis state machine gives its Task states (see analysis.asl.json)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AnalysisTask", "FailedTask", "ReviewTask", "ShardTask"]

_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"


class AnalysisTask(BaseModel):
    """Index, Architecture and Finalize: which analysis."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    analysis_id: str = Field(pattern=_ID)


class ShardTask(AnalysisTask):
    """One iteration of the AnalyzeShards Map: an item of Index's `shards`."""

    shard: int = Field(ge=0)


class ReviewTask(AnalysisTask):
    baseline_key: str | None = None


class FailedTask(AnalysisTask):
    """MarkFailed: the Catch's Error and Cause."""

    error: str | None = None
    cause: str | None = None
