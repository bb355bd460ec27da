"""Test stage kinds: real kinds, usable in phoenix.yaml, for drills of the runner itself and tests.

``record`` leaves a countable side effect (its key, one line in a ledger file) and checks for
it before acting, so "exactly once" can be counted from the outside.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from engine.errors import StageFatal, StageRetryable
from engine.retry import RetryPolicy
from engine.stages.context import StageContext, StageInfo
from engine.stages.registry import Stage, stage_kind


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(_Params):
    pass


@stage_kind("noop", params=NoParams, timeout=timedelta(seconds=10), drill=True)
class Noop(Stage[NoParams]):
    """Does nothing, successfully."""

    def run(self, ctx: StageContext, params: NoParams) -> str:
        return "nothing to do"

    def describe(self, params: NoParams, info: StageInfo) -> Sequence[str]:
        return ["nothing"]


class RecordParams(_Params):
    ledger: str = Field(min_length=1)
    """A file that gets one line per side effect."""
    key: str | None = None
    """The line to append; the stage's idempotency key (run_id:stage) if not given."""


@stage_kind("record", params=RecordParams, timeout=timedelta(seconds=30), drill=True)
class Record(Stage[RecordParams]):
    """Appends its key to a ledger file once: a side effect that can be counted."""

    def holds(self, ctx: StageContext, params: RecordParams) -> bool:
        path = Path(params.ledger)
        if not path.exists():
            return False
        key = params.key or ctx.idempotency_key
        return key in path.read_text(encoding="utf-8").splitlines()

    def run(self, ctx: StageContext, params: RecordParams) -> str:
        key = params.key or ctx.idempotency_key
        ctx.check()
        try:
            with open(params.ledger, "a", encoding="utf-8") as ledger:
                ledger.write(key + "\n")
        except OSError as exc:
            raise StageRetryable(f"cannot append to {params.ledger}: {exc.strerror}") from exc
        return f"recorded {key}"

    def describe(self, params: RecordParams, info: StageInfo) -> Sequence[str]:
        key = params.key or info.idempotency_key
        return [f"append {key!r} to {params.ledger}, unless it is there already"]


class SleepParams(_Params):
    seconds: float = Field(ge=0)


@stage_kind("sleep", params=SleepParams, timeout=timedelta(minutes=5), drill=True)
class Sleep(Stage[SleepParams]):
    """Waits, reporting progress, and stops as soon as it is cancelled."""

    def run(self, ctx: StageContext, params: SleepParams) -> str:
        steps = 4
        for step in range(steps):
            ctx.wait(params.seconds / steps)
            ctx.progress(f"slept {params.seconds * (step + 1) / steps:g}s", (step + 1) / steps)
        return f"slept {params.seconds:g}s"

    def describe(self, params: SleepParams, info: StageInfo) -> Sequence[str]:
        return [f"wait {params.seconds:g}s"]


class FailParams(_Params):
    failures: int = Field(ge=0)
    """Attempts 1..failures fail; the next one succeeds."""
    fatal: bool = False
    error_type: str | None = None


@stage_kind(
    "fail_n_times",
    params=FailParams,
    timeout=timedelta(seconds=30),
    retry=RetryPolicy(maximum_attempts=5),
    drill=True,
)
class FailNTimes(Stage[FailParams]):
    """Fails its first attempts, then succeeds: exercises retry policies."""

    def run(self, ctx: StageContext, params: FailParams) -> str:
        if ctx.attempt <= params.failures:
            message = f"planned failure {ctx.attempt} of {params.failures}"
            if params.fatal:
                raise StageFatal(message, error_type=params.error_type)
            raise StageRetryable(message, error_type=params.error_type)
        return f"succeeded on attempt {ctx.attempt}"

    def describe(self, params: FailParams, info: StageInfo) -> Sequence[str]:
        how = "fatally" if params.fatal else "retryably"
        return [f"fail {how} on the first {params.failures} attempt(s), then succeed"]
