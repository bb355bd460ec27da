"""The promql signal kind against a real Prometheus scraping a small exporter."""

from __future__ import annotations

from typing import Any

import pytest

from engine.adapters.clock import SystemClock
from engine.adapters.prometheus.query import PrometheusQuery
from engine.config import PromqlSignal
from engine.model import Reading, Status
from tests.support.ports import closed_port
from tests.support.waiting import wait_until

from .conftest import ReadOne
from .servers import Exporter, PrometheusServer

pytestmark = pytest.mark.integration

LAG_THRESHOLDS = [{"above": 60, "status": "degraded"}, {"above": 300, "status": "down"}]


def promql(url: str, query: str, **fields: Any) -> PromqlSignal:
    return PromqlSignal.model_validate(
        {
            "name": "replication-lag",
            "kind": "promql",
            "prometheus": {"url": url},
            "query": query,
            "thresholds": LAG_THRESHOLDS,
            "timeout": "3s",
            **fields,
        }
    )


def read_until(
    read: ReadOne, signal: PromqlSignal, status: Status, value: float | None = None
) -> Reading:
    """Prometheus sees a new exporter value a scrape or two later: poll, never sleep."""
    source = PrometheusQuery(signal, SystemClock())

    def settled() -> Reading | None:
        reading = read(source)
        if reading.status == status and (value is None or reading.value == value):
            return reading
        return None

    result: Reading = wait_until(settled, 30, f"{signal.query} to read {status} {value}", 0.25)
    return result


def test_lag_within_and_beyond_the_thresholds(
    read: ReadOne, prometheus: PrometheusServer, exporter: Exporter
) -> None:
    signal = promql(prometheus.url, 'pg_replication_lag_seconds{cluster="app-db"}')
    exporter.set({'pg_replication_lag_seconds{cluster="app-db"}': 12.5})
    ok = read_until(read, signal, Status.OK, 12.5)
    assert ok.detail.startswith("12.5 (pg_replication_lag_seconds{")

    exporter.set({'pg_replication_lag_seconds{cluster="app-db"}': 90})
    degraded = read_until(read, signal, Status.DEGRADED, 90)
    assert degraded.value == 90

    exporter.set({'pg_replication_lag_seconds{cluster="app-db"}': 301})
    read_until(read, signal, Status.DOWN, 301)


def test_several_series_are_reduced(
    read: ReadOne, prometheus: PrometheusServer, exporter: Exporter
) -> None:
    exporter.set({'replica_lag{replica="a"}': 10, 'replica_lag{replica="b"}': 100})
    biggest = read_until(read, promql(prometheus.url, "replica_lag"), Status.DEGRADED, 100)
    assert biggest.detail == "max of 2 series: 100"
    average = read_until(read, promql(prometheus.url, "replica_lag", reduce="avg"), Status.OK, 55)
    assert average.detail == "avg of 2 series: 55"
    total = read(
        PrometheusQuery(promql(prometheus.url, "replica_lag", reduce="sum"), SystemClock())
    )
    assert total.value == 110


def test_an_empty_result_is_unknown(read: ReadOne, prometheus: PrometheusServer) -> None:
    reading = read(PrometheusQuery(promql(prometheus.url, "no_such_metric"), SystemClock()))
    assert reading.status == Status.UNKNOWN
    assert reading.detail == "query returned no samples"


def test_nan_is_unknown_never_ok(read: ReadOne, prometheus: PrometheusServer) -> None:
    reading = read(PrometheusQuery(promql(prometheus.url, "0 / 0"), SystemClock()))
    assert reading.status == Status.UNKNOWN
    assert reading.detail == "sample of scalar is NaN"


def test_a_scalar_result_is_read(read: ReadOne, prometheus: PrometheusServer) -> None:
    reading = read(PrometheusQuery(promql(prometheus.url, "scalar(vector(400))"), SystemClock()))
    assert reading.status == Status.DOWN
    assert reading.value == 400


def test_a_bad_query_is_unknown_with_prometheus_reason(
    read: ReadOne, prometheus: PrometheusServer
) -> None:
    reading = read(PrometheusQuery(promql(prometheus.url, "sum(rate("), SystemClock()))
    assert reading.status == Status.UNKNOWN
    assert reading.detail.startswith("Prometheus answered HTTP 400: ")
    assert "parse error" in reading.detail


def test_an_unreachable_prometheus_is_unknown(read: ReadOne) -> None:
    with closed_port() as port:
        url = f"http://127.0.0.1:{port}"
        reading = read(PrometheusQuery(promql(url, "up"), SystemClock()))
    assert reading.status == Status.UNKNOWN
    assert reading.detail == f"cannot reach Prometheus at {url}: connection refused"


def test_something_that_is_not_prometheus_is_unknown(read: ReadOne, exporter: Exporter) -> None:
    # The exporter answers every path with text, not with Prometheus's JSON.
    reading = read(PrometheusQuery(promql(exporter.base, "up"), SystemClock()))
    assert reading.status == Status.UNKNOWN
    assert reading.detail == f"{exporter.base} did not answer with JSON"
