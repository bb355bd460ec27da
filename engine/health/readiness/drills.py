"""Drills: the last drill of the plan that passed is younger than ``readiness.drill_max_age``.
A failover path nobody has walked for longer is a guess."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from engine.drills.report import DrillReport
from engine.duration import format_duration
from engine.health.readiness.check import Finding, Look, not_ready, ready
from engine.stages import Ports


class DrillHistory(Protocol):
    def last_success(self, name: str) -> DrillReport | None:
        """The newest report of the drill ``name`` that passed."""
        ...


def drill_age(
    plan: str,
    drills: Sequence[str],
    history: DrillHistory,
    max_age: timedelta,
    now: Callable[[], datetime],
) -> Look:
    """``drills``: the names of the drills that run ``plan``."""

    def look(ports: Ports) -> Finding:
        if not drills:
            return not_ready(f"no drill runs plan {plan}: its failover has never been rehearsed")
        passed = [
            (r.finished_at, r)
            for r in (history.last_success(name) for name in drills)
            if r is not None and r.finished_at is not None
        ]
        if not passed:
            return not_ready(f"no drill of plan {plan} has passed yet")
        finished, last = max(passed, key=lambda pair: pair[0])
        age = now() - finished
        said = f"drill {last.drill} ({last.mode.value}) passed {format_duration(age)} ago"
        if age > max_age:
            return not_ready(f"{said}: more than {format_duration(max_age)}")
        return ready(said)

    return look
