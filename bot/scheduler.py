"""The schedule: the evaluation tick, the readiness sweep, drill duties, continuous object sync,
leadership and the sweeper, as APScheduler 3 jobs in each replica's own in-memory job store (job
stores are never shared between replicas).

Only the leader evaluates, sweeps the DR side's readiness (``bot.readiness``, on its own
interval), runs drill duties and object sync passes; every replica keeps trying for leadership
and sweeps orphaned runs. Ticks are slots of ``evaluation.interval`` counted from the epoch, and
each slot is claimed in the Store (under the leader's lease token) before it is evaluated, so
over any stretch of time every slot is evaluated once: never twice (two replicas cannot both
lead; a new leader skips a slot its predecessor stored; a paused old leader drops its decision
when it finds its lease gone) and, with the leader lease shorter than a third of the interval,
none is lost when the leader dies, even mid-evaluation (the new leader evaluates the current
slot as soon as it takes over).

An evaluation that overruns into the next slot makes that tick skip (``max_instances=1``,
``coalesce``), counted in ``phoenix_ticks_skipped_total``: ticks never pile up.

An evaluation is: collect the readings, one engine call (``engine.health.tick``: score, level,
cool-down and silences, the incident followed up), publish what it says (metrics, Slack).

An object sync pass (``ObjectWarming``, when ``recovery.objects.continuous`` is configured)
holds its pair's lease in the Store, so passes never overlap, not even across a leadership
change; it holds off while a run syncs the pair or the DR side may be serving, and stops when
this replica stops leading.

``Evaluator.tick()``, ``DrillDuties.run()`` and ``ObjectWarming.run()`` are plain calls on an
injectable clock, so tests drive them without waiting; the APScheduler wiring is tested on its
own with a short interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.leader import Leadership
from bot.metrics import Metrics
from bot.readiness import ReadinessDuty
from bot.sweeper import Sweeper
from engine.config import Drill, PhoenixConfig
from engine.drills.desk import DrillDesk
from engine.drills.duties import Announce, Miss, Start
from engine.drills.history import subject
from engine.errors import StoreError
from engine.health.tick import Tick, TickOutcome
from engine.incidents.lifecycle import IncidentUpdate
from engine.model import LevelDecision, Reading
from engine.ports import Clock
from engine.sync.continuous import ContinuousSync
from engine.sync_records import ObjectSyncPass
from handlers import blocks
from handlers.context import ProposalBoard
from handlers.drills import announcement_role

log = logging.getLogger(__name__)

EVALUATE, DRILLS, LEADER, SWEEP, WARM = "evaluate", "drills", "leader", "sweep", "warm-objects"
READINESS = "readiness"


@dataclass(frozen=True)
class SchedulerSettings:
    leader_ttl: timedelta | None = None
    """The leader lease; by default 30% of the evaluation interval, between 1 s and 15 s."""
    drill_check: float = 30.0
    """Seconds between looks at the drills' duties (announcements, starts)."""
    sweep_interval: float = 10.0
    history_keep: int = 2880
    """Score samples kept (a day of 30 s evaluations)."""

    def ttl_for(self, interval: timedelta) -> timedelta:
        if self.leader_ttl is not None:
            return self.leader_ttl
        return min(max(interval * 0.3, timedelta(seconds=1)), timedelta(seconds=15))


@dataclass(frozen=True)
class TickResult:
    slot: int
    decision: LevelDecision
    seconds: float


class Evaluator:
    """One evaluation per slot, by the leader: collect -> the engine's tick -> publish."""

    def __init__(
        self,
        health: Tick,
        collect: Callable[[], Sequence[Reading]],
        publish: Callable[[IncidentUpdate], object],
        *,
        clock: Clock,
        leadership: Leadership,
        metrics: Metrics,
    ) -> None:
        self.health = health
        self.config = health.config
        self.store = health.store
        self._collect = collect
        self._publish = publish
        self.clock = clock
        self.leadership = leadership
        self.metrics = metrics
        self.interval = self.config.evaluation.interval.total_seconds()
        self.evaluations = 0
        self.overlaps = 0
        self._busy = threading.Lock()

    def slot(self, now: datetime) -> int:
        return round(now.timestamp() / self.interval)

    def tick(self) -> TickResult | None:
        """Evaluate the current slot if this replica leads and nobody evaluated it yet."""
        if not self._busy.acquire(blocking=False):
            self.overlaps += 1
            self.metrics.skipped_ticks.inc()
            log.warning("evaluation tick skipped: the previous one is still running")
            return None
        try:
            return self._tick()
        finally:
            self._busy.release()

    def _tick(self) -> TickResult | None:
        if not self.leadership.confirm():
            return None
        lease = self.leadership.lease
        if lease is None:
            return None
        now = self.clock.now()
        slot = self.slot(now)
        env = self.config.environment
        claim_for = timedelta(seconds=max(self.interval * 4, 60))
        # The claim belongs to one leadership term (its lease token): a leader that dies
        # after claiming a slot and before storing it does not take the slot to its grave.
        # A slot the previous leader did store is recognised in the score history.
        if not self.store.claim(f"tick:{env}:{slot}:{lease.token}", claim_for):
            return None
        if self._stored(slot):
            return None
        started = time.monotonic()
        outcome = self.evaluate(self._collect(), at=now, may_record=self.leadership.confirm)
        if outcome is None:
            log.warning("leadership lost during an evaluation: its decision is dropped")
            return None
        seconds = time.monotonic() - started
        self.metrics.evaluation_seconds.observe(seconds)
        decision = outcome.decision
        log.info(
            "evaluated: score %d, level %d, %s",
            decision.score.total,
            decision.level,
            decision.action.value,
            extra={"slot": slot, "seconds": round(seconds, 3)},
        )
        return TickResult(slot, decision, seconds)

    def evaluate(
        self,
        readings: Sequence[Reading],
        *,
        at: datetime | None = None,
        may_record: Callable[[], bool] = lambda: True,
    ) -> TickOutcome | None:
        """The engine's evaluation of ``readings`` (taken at ``at``, now by default), and what
        it says published; None when ``may_record`` said no."""
        outcome = self.health.evaluate(readings, at=at or self.clock.now(), may_record=may_record)
        if outcome is None:
            return None
        self.evaluations += 1
        self.metrics.evaluated()
        self._publish(outcome.incidents)
        return outcome

    def _stored(self, slot: int) -> bool:
        latest = self.store.score_history(limit=1)
        return bool(latest) and self.slot(latest[-1].at) == slot


class DrillDuties:
    """Announce, start or let go of drills as they fall due (the leader only).

    Announcements are claimed under the leader lease's token, like evaluation slots: a new
    leader makes those its predecessor did not note (a postponed drill's announcements at its
    new time included, since what is due comes from the notes in the Store), and a paused old
    leader drops its announcement when it finds its lease gone."""

    def __init__(
        self,
        drills: DrillDesk,
        board: ProposalBoard,
        config: PhoenixConfig,
        leadership: Leadership,
        clock: Clock,
    ) -> None:
        self.drills = drills
        self.board = board
        self.config = config
        self.leadership = leadership
        self.clock = clock

    def run(self) -> None:
        if not self.drills.drills or not self.leadership.confirm():
            return
        for drill, duty in self.drills.due(self.clock.now()):
            if isinstance(duty, Announce):
                if not self._announce(drill, duty):
                    return
            elif isinstance(duty, Start):
                run = self.drills.start_scheduled(drill, duty.occurrence)
                if run is not None:
                    log.info("drill starts", extra={"drill": drill.name, "run_id": run.run_id})
                    self.drills.launch(drill.name, run)
            elif isinstance(duty, Miss):
                self.drills.miss(drill, duty.occurrence)

    def _announce(self, drill: Drill, duty: Announce) -> bool:
        """Post one announcement (if this term has not, and no earlier term noted it); False
        once leadership is lost."""
        lease = self.leadership.lease if self.leadership.confirm() else None
        if lease is None:
            log.warning("leadership lost before a drill announcement: it is left to the next")
            return False
        occurrence = self.drills.announce(drill, duty.occurrence, duty.offsets, lease.token)
        if occurrence is None:
            return True
        self.board.show(
            subject(drill.name),
            announcement_role(occurrence, occurrence.announcements[-1]),
            blocks.drill_announcement(drill, occurrence, now=self.clock.now()),
            channel=drill.channel or self.config.slack.channel,
        )
        log.info(
            "drill announced",
            extra={"drill": drill.name, "due": occurrence.due.isoformat(), "offsets": duty.offsets},
        )
        return True


class ObjectWarming:
    """Continuous object sync passes, by the leader only: ``engine.sync.continuous`` does the
    work, ``hold`` says when it must not (``engine.plans.warming``)."""

    def __init__(
        self,
        make: Callable[[], ContinuousSync],
        hold: Callable[[], str],
        leadership: Leadership,
        every: timedelta,
    ) -> None:
        self._make = make
        self._sync: ContinuousSync | None = None
        self._hold = hold
        self.leadership = leadership
        self.every = every

    @property
    def sync(self) -> ContinuousSync:
        """Built on first use: a replica that never leads never reaches the stores."""
        if self._sync is None:
            self._sync = self._make()
        return self._sync

    def run(self) -> ObjectSyncPass | None:
        if not self.leadership.confirm():
            return None
        return self.sync.run(self.hold)

    def hold(self) -> str:
        if not self.leadership.is_leader:
            return "this replica no longer leads"
        return self._hold()


class PhoenixScheduler:
    def __init__(
        self,
        evaluator: Evaluator,
        duties: DrillDuties,
        sweeper: Sweeper,
        leadership: Leadership,
        metrics: Metrics,
        settings: SchedulerSettings,
        readiness: ReadinessDuty,
        warming: ObjectWarming | None = None,
    ) -> None:
        self.evaluator = evaluator
        self.duties = duties
        self.sweeper = sweeper
        self.readiness = readiness
        self.leadership = leadership
        self.metrics = metrics
        self.settings = settings
        self.warming = warming
        self.skipped = 0
        self._lock = threading.Lock()
        self._scheduler: BackgroundScheduler | None = None

    def start(self) -> None:
        interval = self.evaluator.interval
        scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            # A sweep may wait on a cloud for a check's whole timeout: it has a thread of its
            # own, so it never holds up the leader lease's renewal or the tick.
            executors={"default": ThreadPoolExecutor(4), READINESS: ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        now = datetime.now(UTC)
        aligned = datetime.fromtimestamp((int(now.timestamp() // interval) + 1) * interval, UTC)
        ttl = self.leadership.ttl.total_seconds()
        scheduler.add_job(
            self._guard(self.leadership.keep, LEADER),
            IntervalTrigger(seconds=ttl / 3, timezone=UTC),
            id=LEADER,
            next_run_time=now,
        )
        scheduler.add_job(
            self._guard(self.evaluator.tick, EVALUATE),
            IntervalTrigger(seconds=interval, start_date=aligned, timezone=UTC),
            id=EVALUATE,
        )
        scheduler.add_job(
            self._guard(self.duties.run, DRILLS),
            IntervalTrigger(seconds=self.settings.drill_check, timezone=UTC),
            id=DRILLS,
        )
        scheduler.add_job(
            self._guard(self.readiness.run, READINESS),
            IntervalTrigger(seconds=self.readiness.interval, timezone=UTC),
            id=READINESS,
            executor=READINESS,
        )
        scheduler.add_job(
            self._guard(self.sweeper.sweep, SWEEP),
            IntervalTrigger(seconds=self.settings.sweep_interval, timezone=UTC),
            id=SWEEP,
            next_run_time=now + timedelta(seconds=min(1.0, self.settings.sweep_interval)),
        )
        if self.warming is not None:
            # max_instances=1 (the default above) keeps one replica's passes apart; the
            # pair's lease keeps every replica's.
            scheduler.add_job(
                self._guard(self.warming.run, WARM),
                IntervalTrigger(seconds=self.warming.every.total_seconds(), timezone=UTC),
                id=WARM,
            )
        scheduler.add_listener(self._on_skip, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        self._scheduler = scheduler
        scheduler.start()

    def on_leadership(self, leading: bool) -> None:
        """A new leader evaluates the current slot (and looks at drills) at once."""
        scheduler = self._scheduler
        if not leading or scheduler is None:
            return
        # One-off jobs: modifying the interval jobs would move their slot alignment.
        scheduler.add_job(
            self._guard(self.evaluator.tick, EVALUATE),
            id="catch-up-evaluate",
            replace_existing=True,
        )
        scheduler.add_job(
            self._guard(self.duties.run, DRILLS), id="catch-up-drills", replace_existing=True
        )
        scheduler.add_job(
            self._guard(self.readiness.run, READINESS),
            id="catch-up-readiness",
            replace_existing=True,
            executor=READINESS,
        )

    def _on_skip(self, event: JobExecutionEvent) -> None:
        if event.job_id != EVALUATE:
            return
        with self._lock:
            self.skipped += 1
        self.metrics.skipped_ticks.inc()
        log.warning("evaluation tick skipped: the previous one is still running")

    @staticmethod
    def _guard(job: Callable[[], object], name: str) -> Callable[[], None]:
        def guarded() -> None:
            try:
                job()
            except StoreError as exc:
                log.warning("%s job: the store is unavailable (%s)", name, exc)
            except Exception:
                log.exception("%s job failed", name)

        guarded.__name__ = f"phoenix_{name}"
        return guarded

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        self.readiness.sweeper.close()
