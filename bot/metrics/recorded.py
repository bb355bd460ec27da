"""Gauges of what the Store says was measured (``engine.measurements``), read when scraped:
the score and signals, drills, failovers, and the DR side's readiness.

Every replica reads the same Store, so every replica shows the same score, level, signals,
drill and failover measurements, whichever of them evaluated or ran the plan; a replica that
restarts shows what was measured before it, not zeros. While the Store does not answer, a
scrape shows the values read last (``phoenix_store_up`` says the Store is down).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from engine.config import Objectives
from engine.errors import StoreError
from engine.measurements import DrillRecord, FailoverRecord, Measurements
from engine.model import Status
from engine.readiness import ReadinessSweep, Verdict
from engine.records import ScoreSample

log = logging.getLogger(__name__)


class RecordedValues(Collector):
    def __init__(
        self, read: Callable[[], Measurements], environment: str, objectives: Objectives
    ) -> None:
        self._read = read
        self._environment = environment
        self._objectives = objectives
        self._last: Measurements | None = None
        self._failing = threading.Event()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        env = self._environment
        yield _one(
            "phoenix_rto_objective_seconds",
            "The recovery time objective (objectives.rto).",
            env,
            self._objectives.rto.total_seconds(),
        )
        yield _one(
            "phoenix_rpo_objective_seconds",
            "The recovery point objective (objectives.rpo).",
            env,
            self._objectives.rpo.total_seconds(),
        )
        measured = self._measurements() or Measurements(None, (), ())
        yield from _evaluation(env, measured.sample)
        yield from _drills(env, measured.drills)
        yield from _failovers(env, measured.failovers)
        yield from _readiness(env, measured.readiness)

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Nothing to describe ahead: collecting at registration would read the Store early.
        return iter(())

    def _measurements(self) -> Measurements | None:
        try:
            self._last = self._read()
        except StoreError as exc:
            if not self._failing.is_set():
                log.warning("metrics show the values read last: the store is unavailable (%s)", exc)
            self._failing.set()
        else:
            self._failing.clear()
        return self._last


def _one(name: str, text: str, environment: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, text, labels=["environment"])
    family.add_metric([environment], value)
    return family


def _evaluation(env: str, sample: ScoreSample | None) -> Iterator[GaugeMetricFamily]:
    """The latest evaluation's gauges; without one, the families without samples."""
    labels = ["environment"]
    score = GaugeMetricFamily("phoenix_score", "Latest composite score.", labels=labels)
    level = GaugeMetricFamily("phoenix_level", "Level after hysteresis (0-3).", labels=labels)
    taken = GaugeMetricFamily(
        "phoenix_last_evaluation_timestamp_seconds",
        "When the latest evaluation's readings were taken.",
        labels=labels,
    )
    if sample is not None:
        score.add_metric([env], sample.total)
        level.add_metric([env], int(sample.level))
        taken.add_metric([env], sample.at.timestamp())
    yield from (score, level, taken)
    points = GaugeMetricFamily(
        "phoenix_signal_points",
        "Points each signal gave in the latest evaluation.",
        labels=["environment", "signal"],
    )
    for signal, value in sorted(sample.points.items() if sample else ()):
        points.add_metric([env, signal], value)
    yield points
    values = GaugeMetricFamily(
        "phoenix_signal_value",
        "Each signal's measured value in the latest evaluation (absent when it measured none).",
        labels=["environment", "signal"],
    )
    statuses = GaugeMetricFamily(
        "phoenix_signal_status",
        "Each signal's status in the latest evaluation: 1 for the one it read, 0 for the others.",
        labels=["environment", "signal", "status"],
    )
    for signal, read in sorted(sample.signals.items() if sample else ()):
        if read.value is not None:
            values.add_metric([env, signal], read.value)
        for status in Status:
            statuses.add_metric([env, signal, status.value], int(status is read.status))
    yield values
    yield statuses


def _drills(env: str, drills: tuple[DrillRecord, ...]) -> Iterator[GaugeMetricFamily]:
    by_run = ["environment", "drill", "plan"]
    rto = GaugeMetricFamily(
        "phoenix_drill_rto_seconds", "Measured RTO of each drill's last run.", labels=by_run
    )
    rpo = GaugeMetricFamily(
        "phoenix_drill_rpo_seconds",
        "Measured RPO of each drill's last run (the replication lag before the cutover).",
        labels=by_run,
    )
    passed = GaugeMetricFamily(
        "phoenix_drill_passed", "Whether each drill's last run passed (1 or 0).", labels=by_run
    )
    success = GaugeMetricFamily(
        "phoenix_drill_last_success_timestamp_seconds",
        "When each drill last passed (absent if it never did).",
        labels=["environment", "drill"],
    )
    due = GaugeMetricFamily(
        "phoenix_drill_next_timestamp_seconds",
        "When each drill's next occurrence is due (postponements included).",
        labels=["environment", "drill"],
    )
    for record in drills:
        name = record.drill.name
        if record.next_due is not None:
            due.add_metric([env, name], record.next_due.timestamp())
        if record.last_success is not None and record.last_success.finished_at is not None:
            success.add_metric([env, name], record.last_success.finished_at.timestamp())
        last = record.last
        if last is None:
            continue
        labels = [env, name, last.plan]
        passed.add_metric(labels, int(last.passed))
        if last.rto_seconds is not None:
            rto.add_metric(labels, last.rto_seconds)
        if last.rpo_seconds is not None:
            rpo.add_metric(labels, last.rpo_seconds)
    yield from (rto, rpo, passed, success, due)


def _failovers(env: str, failovers: tuple[FailoverRecord, ...]) -> Iterator[GaugeMetricFamily]:
    by_plan = ["environment", "plan"]
    rto = GaugeMetricFamily(
        "phoenix_failover_rto_seconds",
        "Measured RTO of the last live run of each failover plan that succeeded.",
        labels=by_plan,
    )
    rpo = GaugeMetricFamily(
        "phoenix_failover_rpo_seconds",
        "Measured RPO of the last live run of each failover plan that succeeded.",
        labels=by_plan,
    )
    finished = GaugeMetricFamily(
        "phoenix_failover_finished_timestamp_seconds",
        "When the last live run of each failover plan that succeeded finished.",
        labels=by_plan,
    )
    for record in failovers:
        labels = [env, record.run.plan]
        if record.run.finished_at is not None:
            finished.add_metric(labels, record.run.finished_at.timestamp())
        if record.rto_seconds is not None:
            rto.add_metric(labels, record.rto_seconds)
        if record.rpo_seconds is not None:
            rpo.add_metric(labels, record.rpo_seconds)
    yield from (rto, rpo, finished)


def _readiness(env: str, sweep: ReadinessSweep | None) -> Iterator[GaugeMetricFamily]:
    """The latest readiness sweep's gauges; without one, the families without samples."""
    by_plan = ["environment", "plan"]
    ready = GaugeMetricFamily(
        "phoenix_readiness_ready",
        "Whether every readiness check of the DR plan read ready in the latest sweep (1 or 0).",
        labels=by_plan,
    )
    counted = GaugeMetricFamily(
        "phoenix_readiness_checks", "Readiness checks in the latest sweep.", labels=by_plan
    )
    counted_ready = GaugeMetricFamily(
        "phoenix_readiness_checks_ready",
        "Readiness checks that read ready in the latest sweep.",
        labels=by_plan,
    )
    swept = GaugeMetricFamily(
        "phoenix_readiness_sweep_timestamp_seconds",
        "When the latest readiness sweep looked.",
        labels=by_plan,
    )
    rto = GaugeMetricFamily(
        "phoenix_readiness_predicted_rto_seconds",
        "The RTO a failover started at the latest sweep would have (a lower bound when "
        "phoenix_readiness_prediction_complete is 0).",
        labels=by_plan,
    )
    rpo = GaugeMetricFamily(
        "phoenix_readiness_predicted_rpo_seconds",
        "The RPO a failover started at the latest sweep would have: the worst of the "
        "replication lag and the oldest object not yet copied.",
        labels=by_plan,
    )
    complete = GaugeMetricFamily(
        "phoenix_readiness_prediction_complete",
        "Whether a predicted RTO or RPO measured every part (1) or is a lower bound (0).",
        labels=["environment", "plan", "estimate"],
    )
    check = GaugeMetricFamily(
        "phoenix_readiness_check",
        "Whether each readiness check read ready in the latest sweep (1 or 0).",
        labels=["environment", "plan", "check", "area"],
    )
    verdicts = GaugeMetricFamily(
        "phoenix_readiness_check_verdict",
        "Each readiness check's verdict in the latest sweep: 1 for the one it read, 0 for the "
        "others.",
        labels=["environment", "plan", "check", "verdict"],
    )
    if sweep is not None:
        labels = [env, sweep.plan]
        ready.add_metric(labels, int(sweep.ready))
        counted.add_metric(labels, len(sweep.checks))
        counted_ready.add_metric(labels, sweep.ready_count)
        swept.add_metric(labels, sweep.at.timestamp())
        for family, estimate, name in ((rto, sweep.rto, "rto"), (rpo, sweep.rpo, "rpo")):
            if estimate.seconds is not None:
                family.add_metric(labels, estimate.seconds)
            complete.add_metric([*labels, name], int(estimate.complete))
        for result in sweep.checks:
            check.add_metric([*labels, result.name, result.area.value], int(result.ready))
            for verdict in Verdict:
                verdicts.add_metric(
                    [*labels, result.name, verdict.value], int(verdict is result.verdict)
                )
    yield from (ready, counted, counted_ready, swept, rto, rpo, complete, check, verdicts)
