"""One evaluation tick, the domain's part: readings -> score -> the judgement (hysteresis,
quorum, flap damping, the cool-down, silences) from the level state the last evaluation
stored -> the score sample recorded -> the incident followed up. ``evaluate`` is the one call
the bot's schedule makes between collecting the readings and publishing what changed; which
replica evaluates which slot is the schedule's business, not this module's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from engine.config import PhoenixConfig
from engine.health.judgement import Judgement, judge
from engine.health.scoring import score
from engine.incidents.lifecycle import IncidentLifecycle, IncidentUpdate
from engine.model import LevelDecision, LevelState, Reading
from engine.ports import Clock
from engine.records import ScoreSample, SignalSample
from engine.runs import RunMode, RunState
from engine.store import Store

_RECENT_RUNS = 50
"""How many of the latest successful runs are searched for the last failover."""


@dataclass(frozen=True)
class TickOutcome:
    judgement: Judgement
    sample: ScoreSample
    """The evaluation as it was recorded in the score history."""
    incidents: IncidentUpdate
    """What changed about incidents, for the surfaces to show (nothing when held back)."""

    @property
    def decision(self) -> LevelDecision:
        return self.judgement.decision


class Tick:
    def __init__(
        self,
        config: PhoenixConfig,
        store: Store,
        incidents: IncidentLifecycle,
        *,
        clock: Clock,
        history_keep: int = 2880,
    ) -> None:
        self.config = config
        self.store = store
        self.incidents = incidents
        self.clock = clock
        self.history_keep = history_keep
        """Score samples kept (a day of 30 s evaluations)."""

    def evaluate(
        self,
        readings: Sequence[Reading],
        *,
        at: datetime,
        may_record: Callable[[], bool] = lambda: True,
    ) -> TickOutcome | None:
        """Evaluate ``readings`` taken at ``at``. ``may_record`` is asked once everything is
        decided and before anything is written: False drops the evaluation (None), as when
        the caller is no longer the one replica that may evaluate."""
        current = score(readings, self.config, at)
        judgement = judge(
            self.level_state(),
            current,
            self.config,
            silences=self.store.list_silences(active_at=self.clock.now()),
            last_failover=self.last_failover(),
        )
        if not may_record():
            return None
        sample = ScoreSample(
            current.at,
            current.total,
            judgement.state.level,
            {sp.signal: sp.points for sp in current.breakdown},
            {r.signal: SignalSample(r.status, r.value) for r in current.readings()},
            state=judgement.state,
            reason=judgement.reason,
        )
        self.store.append_score(sample, keep=self.history_keep)
        decision, silences = judgement.decision, judgement.silences
        if judgement.held:
            incidents = self.incidents.hold(decision, silences)
        else:
            incidents = self.incidents.follow(decision, silences)
        return TickOutcome(judgement, sample, incidents)

    def level_state(self) -> LevelState:
        """What the last evaluation left for the next one, on whichever replica it ran."""
        samples = self.store.score_history(limit=1)
        if samples and samples[-1].state is not None:
            return samples[-1].state
        return LevelState()

    def last_failover(self) -> datetime | None:
        """When the latest live failover or failback (the runs a cool-down follows) finished."""
        plans = self.config.failover_plans
        for run in self.store.list_runs(states={RunState.SUCCEEDED}, limit=_RECENT_RUNS):
            if run.mode is RunMode.LIVE and run.plan in plans and run.finished_at is not None:
                return run.finished_at
        return None
