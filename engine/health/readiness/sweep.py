"""One readiness sweep: every check of the DR plan looked at in parallel, each within
``readiness.timeout``; what a failover started now would cost; what the incident channel is to
be told; and the sweep stored, so every replica shows the same. The bot's schedule runs it on
the leader (``bot.scheduler``); nothing here decides or starts anything.

A look past the timeout reads ``unknown``; how an error of a look becomes a verdict is
``engine.health.readiness.check.finding``'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from datetime import datetime

from engine.config import PhoenixConfig
from engine.duration import format_duration
from engine.health.readiness.check import Check, Finding, finding, unknown
from engine.health.readiness.derive import readiness_checks
from engine.health.readiness.drills import DrillHistory
from engine.health.readiness.forecast import MeasuredRun, predicted_rpo, predicted_rto
from engine.health.readiness.notices import Change, announce
from engine.plans.model import Plan
from engine.ports import Clock
from engine.readiness import CheckResult, ReadinessSweep
from engine.runs import RunMode, RunState
from engine.stages import Ports
from engine.store import Store

_FINISHED = frozenset({RunState.SUCCEEDED, RunState.FAILED, RunState.ABORTED})
_RUNS_SEARCHED = 50


@dataclass(frozen=True)
class SweepOutcome:
    sweep: ReadinessSweep
    changes: tuple[Change, ...]
    """Checks whose readiness the incident channel is to be told changed (once each)."""
    previous: ReadinessSweep | None = None
    """The sweep before this one (of the same plan)."""

    @property
    def moved(self) -> bool:
        """Whether what people see of readiness differs from the sweep before: which checks
        fail, or the predicted RTO or RPO."""
        before = self.previous
        if before is None:
            return True
        now = self.sweep
        return (
            [c.name for c in now.failing] != [c.name for c in before.failing]
            or _rounded(now.rto.seconds) != _rounded(before.rto.seconds)
            or _rounded(now.rpo.seconds) != _rounded(before.rpo.seconds)
        )


class ReadinessSweeper:
    def __init__(
        self,
        config: PhoenixConfig,
        book: Mapping[str, Plan],
        store: Store,
        ports: Ports,
        *,
        clock: Clock,
        drills: DrillHistory,
        workers: int = 8,
        runs_measured: int = 10,
    ) -> None:
        self.config = config
        self.plan = book[config.readiness_plan]
        self.store = store
        self.ports = ports
        self.clock = clock
        self.checks = readiness_checks(config, book, drills, store, clock.now)
        self.runs_measured = runs_measured
        self._pool = ThreadPoolExecutor(
            max(1, min(workers, len(self.checks))), thread_name_prefix="phoenix-readiness"
        )

    def sweep(self, *, may_record: Callable[[], bool] = lambda: True) -> SweepOutcome | None:
        """Look at every check and store the sweep. ``may_record`` is asked once everything is
        known and before anything is written: False drops the sweep (None), as when the
        caller no longer leads."""
        started = time.monotonic()
        at = self.clock.now()
        looked = self.look(at)
        previous = self.store.latest_readiness()
        if previous is not None and previous.plan != self.plan.name:
            previous = None
        results = tuple(_since(result, previous, at) for result in looked)
        told, changes = announce(
            previous.announced if previous else {}, results, self.config.readiness.confirm
        )
        sweep = ReadinessSweep(
            at=at,
            plan=self.plan.name,
            checks=results,
            rto=predicted_rto(self.plan, results, self.measured_runs()),
            rpo=predicted_rpo(results),
            announced=told,
            seconds=round(time.monotonic() - started, 3),
        )
        if not may_record():
            return None
        self.store.save_readiness(sweep)
        return SweepOutcome(sweep, tuple(changes), previous)

    def look(self, at: datetime | None = None) -> list[CheckResult]:
        """Every check's result now, in the order of the plan."""
        at = at or self.clock.now()
        timeout = self.config.readiness.timeout.total_seconds()
        deadline = time.monotonic() + timeout
        futures: list[tuple[Check, Future[Finding]]] = [
            (check, self._pool.submit(finding, check, self.ports)) for check in self.checks
        ]
        results = []
        for check, future in futures:
            try:
                found = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                future.cancel()
                found = unknown(
                    f"no answer within {format_duration(self.config.readiness.timeout)}"
                )
            results.append(
                CheckResult(
                    name=check.name,
                    kind=check.kind,
                    area=check.area,
                    verdict=found.verdict,
                    reason=found.reason[:500],
                    subject=check.subject,
                    measured=dict(found.measured),
                    since=at,
                )
            )
        return results

    def measured_runs(self) -> list[MeasuredRun]:
        """The newest finished runs of the plan that measured something (no dry runs)."""
        found = []
        for run in self.store.list_runs(states=_FINISHED, limit=_RUNS_SEARCHED):
            if run.plan != self.plan.name or run.mode is RunMode.DRY_RUN:
                continue
            stages = {r.stage: r for r in self.store.get_stages(run.run_id)}
            found.append(MeasuredRun(run, stages))
            if len(found) >= self.runs_measured:
                break
        return found

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _since(result: CheckResult, previous: ReadinessSweep | None, at: datetime) -> CheckResult:
    before = previous.check(result.name) if previous is not None else None
    if before is not None and before.verdict is result.verdict and before.since is not None:
        return replace(result, since=before.since)
    return replace(result, since=at)


def _rounded(seconds: float | None) -> float | None:
    """To the minute: a forecast that moved by seconds has not moved for people."""
    return None if seconds is None else round(seconds / 60)


def summary(sweep: ReadinessSweep) -> str:
    """``5 of 7 ready; not ready: traffic-manager, drills``, for logs and fallbacks."""
    text = f"{sweep.ready_count} of {len(sweep.checks)} ready"
    failing: Sequence[CheckResult] = sweep.failing
    if failing:
        text += "; not ready: " + ", ".join(c.name for c in failing)
    return text
