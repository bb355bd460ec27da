"""Values read from the replica itself when scraped: the reporter's Slack counters, whether
the store answers, whether this replica leads."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.reporter.outbox import ReporterStats


class LiveValues(Collector):
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
        # Nothing to describe ahead: collecting at registration would read the replica early.
        return iter(())
