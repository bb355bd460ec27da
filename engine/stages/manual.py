"""``manual``: a step a person performs. A live run pauses on it with the instruction; the
operator presses Skip once it is done. Built-in plans use it for steps not yet automated.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from engine.errors import StageFatal
from engine.retry import RetryPolicy
from engine.stages.context import StageContext, StageInfo
from engine.stages.registry import Stage, stage_kind


class ManualParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    instruction: str = Field(min_length=1)


@stage_kind(
    "manual",
    params=ManualParams,
    timeout=timedelta(minutes=1),
    retry=RetryPolicy(maximum_attempts=1),
)
class Manual(Stage[ManualParams]):
    """A step done by hand: pauses the run until someone skips past it."""

    def run(self, ctx: StageContext, params: ManualParams) -> str:
        raise StageFatal(
            f"manual step: {params.instruction}. Do it, then press Skip.",
            error_type="ManualStep",
        )

    def describe(self, params: ManualParams, info: StageInfo) -> Sequence[str]:
        return [f"pause for a person to: {params.instruction}"]

    def preflight(self, ctx: StageContext, params: ManualParams) -> str:
        return f"a person must: {params.instruction}"
