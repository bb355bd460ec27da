"""The replica's registry: what this process counts (evaluations it ran, ticks it skipped,
incidents it opened, runs it finished and their stage durations), its build, and the
collectors that read the replica (``live``) and the Store (``recorded``) when scraped.

The runs counter and the stage histogram start at zero for every plan, outcome and stage the
plan book holds: a counter that appears only at its first increment shows no increase to
``increase()`` and ``rate()``, so the first run of a plan would be invisible on the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import CollectorRegistry, Counter, Histogram, Info, generate_latest

from bot.metrics.live import LiveValues
from bot.metrics.recorded import RecordedValues
from bot.reporter.outbox import ReporterStats
from engine.config import Objectives
from engine.measurements import Measurements
from engine.plans.model import Plan
from engine.runs import EventKind, ProgressEvent, RunState

_STAGE_BUCKETS = (0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
_EVALUATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)
_OUTCOMES = tuple(state.value for state in RunState if state.terminal)


def package_version() -> str:
    try:
        return version("cloudphoenix")
    except PackageNotFoundError:
        return "unknown"


class Metrics:
    def __init__(self, environment: str, *, commit: str = "") -> None:
        self.environment = environment
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        build = Info("phoenix_build", "The bot's version and the commit it came from.", registry=r)
        build.info({"version": package_version(), "commit": commit or "unknown"})
        self.evaluation_seconds = Histogram(
            "phoenix_evaluation_seconds",
            "Time one evaluation took (collect, score, decide, act).",
            registry=r,
            buckets=_EVALUATION_BUCKETS,
        )
        self.evaluations = Counter(
            "phoenix_evaluations", "Evaluations run by this replica.", registry=r
        )
        self.skipped_ticks = Counter(
            "phoenix_ticks_skipped",
            "Evaluation ticks skipped because the previous one overran (or was missed).",
            registry=r,
        )
        self.incidents_opened = Counter(
            "phoenix_incidents_opened", "Incidents opened by this replica.", registry=r
        )
        self.runs = Counter(
            "phoenix_runs", "Runs finished, by plan and outcome.", ["plan", "outcome"], registry=r
        )
        self.stage_seconds = Histogram(
            "phoenix_stage_seconds",
            "Stage durations of finished runs.",
            ["plan", "stage"],
            registry=r,
            buckets=_STAGE_BUCKETS,
        )

    def expect_plans(self, plans: Mapping[str, Plan]) -> None:
        """Start the runs counter and the stage histogram at zero for every plan, outcome and
        stage of ``plans``."""
        for plan in plans.values():
            for outcome in _OUTCOMES:
                self.runs.labels(plan.name, outcome)
            for stage in plan.stages:
                self.stage_seconds.labels(plan.name, stage.name)

    def watch(
        self,
        stats: Callable[[], ReporterStats],
        store_up: Callable[[], bool],
        leader: Callable[[], bool],
    ) -> None:
        self.registry.register(LiveValues(stats, store_up, leader))

    def show_measurements(self, read: Callable[[], Measurements], objectives: Objectives) -> None:
        """Gauges of what ``read`` says was measured, read from the Store at each scrape."""
        self.registry.register(RecordedValues(read, self.environment, objectives))

    def evaluated(self) -> None:
        self.evaluations.inc()

    def on_event(self, event: ProgressEvent, plan: str) -> None:
        """A progress hub subscriber's share: finished runs and their stages."""
        if event.kind is not EventKind.RUN_FINISHED or event.run_state is None:
            return
        self.runs.labels(plan, event.run_state.value).inc()
        for stage, seconds in event.durations.items():
            if stage != "total":
                self.stage_seconds.labels(plan, stage).observe(seconds)

    def text(self) -> bytes:
        return generate_latest(self.registry)
