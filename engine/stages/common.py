"""What the recovery stages share: a strict params base, and cooperative waiting.

A stage acts once, then waits for the change to converge by polling through its context
(``ctx.wait`` stops at once when the attempt is cancelled). If it has not converged within
the stage's own ``wait`` budget, the stage raises ``StageRetryable``: the runner's retry
policy decides on another attempt, which starts by checking the end state, so nothing is
done twice. Stages never sleep-and-retry a failed call themselves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from pydantic import BaseModel, ConfigDict

from engine.cloud_ports import PendingOperation
from engine.duration import format_duration
from engine.errors import StageRetryable
from engine.stages.context import StageContext


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


NOT_CONVERGED = "NotConverged"
"""The ``error_type`` of a stage that acted but saw no convergence within its wait."""


def wait_for_operation(
    ctx: StageContext,
    operation: PendingOperation,
    within: timedelta,
    poll: timedelta,
) -> None:
    """Wait on a cloud operation, reporting progress; ``StageRetryable`` if it is still
    running after ``within`` (the next attempt finds the end state, or the operation done)."""
    deadline = time.monotonic() + within.total_seconds()
    step = max(0.01, poll.total_seconds())
    while True:
        ctx.check()
        if operation.wait(min(step, max(0.0, deadline - time.monotonic()))):
            return
        if time.monotonic() >= deadline:
            raise StageRetryable(
                f"{operation.description}: still running after {format_duration(within)}",
                error_type=NOT_CONVERGED,
            )
        ctx.progress(f"waiting: {operation.description}")


def poll_until(
    ctx: StageContext,
    check: Callable[[], tuple[bool, str, float | None]],
    within: timedelta,
    poll: timedelta,
) -> str:
    """Call ``check`` (-> done, what it saw, fraction) until it is done; report what it saw as
    progress in between. ``StageRetryable`` naming the last sight after ``within``."""
    deadline = time.monotonic() + within.total_seconds()
    while True:
        ctx.check()
        done, seen, fraction = check()
        if done:
            return seen
        if time.monotonic() >= deadline:
            raise StageRetryable(
                f"not converged after {format_duration(within)}: {seen}",
                error_type=NOT_CONVERGED,
            )
        ctx.progress(seen, fraction)
        ctx.wait(min(poll.total_seconds(), max(0.0, deadline - time.monotonic())))
