"""One attempt of one stage: on its own thread, under the stage's timeout, while the lease is
kept; cancellation is cooperative (the stage sees it through its context).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from engine.duration import format_duration
from engine.errors import StageCancelled, StageTimeout
from engine.plans.model import PlanStage
from engine.runner.lease import LeaseKeeper
from engine.runs import AttemptOutcome, RunMode, idempotency_key
from engine.stages import Fact, Ports, StageResult

ProgressSink = Callable[[str, float | None], None]


class AttemptContext:
    """The ``StageContext`` of one attempt."""

    def __init__(
        self,
        run_id: str,
        stage: str,
        attempt: int,
        mode: RunMode,
        ports: Ports,
        on_progress: ProgressSink,
    ) -> None:
        self._run_id = run_id
        self._stage = stage
        self._attempt = attempt
        self._mode = mode
        self._ports = ports
        self._on_progress = on_progress
        self._cancel = threading.Event()

    @property
    def run_id(self) -> str:
        return self._run_id

    @property
    def stage(self) -> str:
        return self._stage

    @property
    def attempt(self) -> int:
        return self._attempt

    @property
    def mode(self) -> RunMode:
        return self._mode

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self._run_id, self._stage)

    @property
    def ports(self) -> Ports:
        return self._ports

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise StageCancelled(f"stage {self._stage} was asked to stop")

    def wait(self, seconds: float) -> None:
        if self._cancel.wait(seconds):
            raise StageCancelled(f"stage {self._stage} was asked to stop")

    def progress(self, message: str, fraction: float | None = None) -> None:
        self.check()
        self._on_progress(message, fraction)


class StageThreads:
    """The runner's stage threads, so that closing the runner can wait for them.

    Daemon threads: a stage that ignores cancellation must not keep the process alive.
    """

    def __init__(self) -> None:
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def start(self, target: Callable[[], None], name: str) -> threading.Thread:
        def tracked() -> None:
            try:
                target()
            finally:
                with self._lock:
                    self._threads.discard(thread)

        thread = threading.Thread(target=tracked, name=name, daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()
        return thread

    def join(self, timeout: float) -> list[str]:
        """Wait for every stage thread; the names of those still running after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return [t.name for t in threads if t.is_alive()]


@dataclass(frozen=True)
class AttemptResult:
    outcome: AttemptOutcome
    summary: str = ""
    error: BaseException | None = None
    facts: Mapping[str, Fact] = field(default_factory=dict)


@dataclass(frozen=True)
class AttemptLimits:
    poll: float
    """How often (seconds) the waiting side looks at the lease, the clock and shutdown."""
    grace: float
    """How long a cancelled attempt gets to stop before it is left behind."""


def run_attempt(
    stage: PlanStage,
    ctx: AttemptContext,
    *,
    keeper: LeaseKeeper,
    stopping: threading.Event,
    limits: AttemptLimits,
    threads: StageThreads,
) -> AttemptResult:
    """``holds`` then (if needed) ``run``, on a stage thread. A crash-like BaseException from
    the stage is re-raised here; any other error is a failed attempt."""
    box: list[AttemptResult | BaseException] = []
    done = threading.Event()

    def body() -> None:
        implementation = stage.kind.implementation
        try:
            if implementation.holds(ctx, stage.params):
                box.append(AttemptResult(AttemptOutcome.SUCCEEDED, "end state already held"))
            else:
                reached = implementation.run(ctx, stage.params)
                if isinstance(reached, StageResult):
                    box.append(
                        AttemptResult(
                            AttemptOutcome.SUCCEEDED,
                            reached.summary or "done",
                            facts=dict(reached.facts),
                        )
                    )
                else:
                    box.append(AttemptResult(AttemptOutcome.SUCCEEDED, reached or "done"))
        except Exception as exc:  # noqa: BLE001 - every fault of a stage is a failed attempt
            box.append(AttemptResult(AttemptOutcome.FAILED, error=exc))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread, re-raised
            box.append(exc)
        finally:
            done.set()

    threads.start(body, name=f"stage:{ctx.run_id}:{stage.name}:{ctx.attempt}")
    timeout = stage.timeout.total_seconds()
    deadline = time.monotonic() + timeout
    while not done.wait(min(limits.poll, max(0.0, deadline - time.monotonic()))):
        if not keeper.tick() or stopping.is_set():
            ctx.cancel()
            done.wait(limits.grace)
            return AttemptResult(AttemptOutcome.INTERRUPTED, error=StageCancelled("interrupted"))
        if time.monotonic() >= deadline:
            ctx.cancel()
            done.wait(limits.grace)
            return AttemptResult(
                AttemptOutcome.TIMED_OUT,
                error=StageTimeout(
                    f"no result within the timeout of {format_duration(stage.timeout)}"
                ),
            )
    result = box[0]
    if isinstance(result, BaseException):
        raise result
    return result
