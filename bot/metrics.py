"""The bot's Prometheus metrics, in a registry of its own (one per replica object, so tests
can build several in one process). ``/metrics`` serves them in the text format.

What a dashboard needs: score and level per environment, points per signal, how long an
evaluation takes and how many ticks were skipped, incidents opened, runs by plan and outcome,
stage durations, Slack API errors and rate-limit waits, and whether this replica leads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.reporter.slack import ReporterStats
from engine.model import LevelDecision
from engine.runs import EventKind, ProgressEvent

_STAGE_BUCKETS = (0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
_EVALUATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)


class _Live(Collector):
    """Values read when scraped: the reporter's Slack counters, the store, leadership."""

    def __init__(
        self,
        stats: Callable[[], ReporterStats],
        store_up: Callable[[], bool],
        leader: Callable[[], bool],
    ) -> None:
        self._stats, self._store_up, self._leader = stats, store_up, leader

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        stats = self._stats()
        for name, value, text in (
            ("phoenix_slack_posts", stats.posts, "Messages posted."),
            ("phoenix_slack_edits", stats.edits, "Messages edited (chat.update)."),
            ("phoenix_slack_coalesced", stats.coalesced, "Updates replaced before sent."),
            ("phoenix_slack_rate_limited", stats.rate_limited, "429 answers honoured (waits)."),
            ("phoenix_slack_failures", stats.failures, "Slack API calls that failed."),
        ):
            yield CounterMetricFamily(name, text, value=value)
        yield GaugeMetricFamily(
            "phoenix_store_up", "Whether the state store answers.", value=int(self._store_up())
        )
        yield GaugeMetricFamily(
            "phoenix_leader", "Whether this replica is the leader.", value=int(self._leader())
        )

    def describe(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        return iter(())


class Metrics:
    def __init__(self, environment: str) -> None:
        self.environment = environment
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.score = Gauge("phoenix_score", "Latest composite score.", ["environment"], registry=r)
        self.level = Gauge(
            "phoenix_level", "Level after hysteresis (0-3).", ["environment"], registry=r
        )
        self.points = Gauge(
            "phoenix_signal_points",
            "Points each signal gave in the latest evaluation.",
            ["environment", "signal"],
            registry=r,
        )
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
        self._plans: dict[str, str] = {}

    def watch(
        self,
        stats: Callable[[], ReporterStats],
        store_up: Callable[[], bool],
        leader: Callable[[], bool],
    ) -> None:
        self.registry.register(_Live(stats, store_up, leader))

    def evaluated(self, decision: LevelDecision) -> None:
        env = self.environment
        self.evaluations.inc()
        self.score.labels(env).set(decision.score.total)
        self.level.labels(env).set(int(decision.level))
        for part in decision.score.breakdown:
            self.points.labels(env, part.signal).set(part.points)

    def plan_of(self, run_id: str, plan: str) -> None:
        self._plans[run_id] = plan

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
