"""Replication lag read through PromQL (``source: promql``), against a real Prometheus scraping
a small exporter: the adapter alone, then the ``replication_check`` stage through the bot's
own port factory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.settings import EnvSecrets
from bot.wiring.cloud import CloudPorts, build_cloud_ports
from engine.adapters.prometheus.lag import PrometheusReplicaLag
from engine.cloud_ports import ReplicaLag
from engine.config import parse_config
from engine.errors import CloudRejected, CloudUnavailable, StageRetryable
from engine.runs import LAG_FACT
from tests.stages.world import Context, attempt, facts
from tests.support.ports import closed_port
from tests.support.waiting import wait_until

from .servers import Exporter, PrometheusServer

pytestmark = pytest.mark.integration

# Not ``instance``: Prometheus sets that label to the scraped target's address.
LAG = 'pg_replication_lag_seconds{{server="{instance}"}}'
QUERY = 'max(pg_replication_lag_seconds{server="{instance}"})'
RECENT = timedelta(minutes=5)


def lag_becomes(source: PrometheusReplicaLag, instance: str, seconds: float) -> ReplicaLag:
    """Prometheus sees a new exporter value a scrape or two later: poll, never sleep."""

    def seen() -> ReplicaLag | None:
        lag = source.replica_lag(instance, RECENT)
        return lag if lag is not None and lag.seconds == seconds else None

    found: ReplicaLag = wait_until(seen, 30, f"a lag of {seconds:g}s for {instance}", 0.25)
    return found


def test_the_largest_lag_of_the_instance_is_read_with_its_time(
    prometheus: PrometheusServer, exporter: Exporter
) -> None:
    exporter.set(
        {
            'pg_replication_lag_seconds{server="app-db-replica",slot="a"}': 12.5,
            'pg_replication_lag_seconds{server="app-db-replica",slot="b"}': 42,
            'pg_replication_lag_seconds{server="other-replica",slot="a"}': 900,
        }
    )
    source = PrometheusReplicaLag(prometheus.url, 'pg_replication_lag_seconds{server="{instance}"}')

    lag = lag_becomes(source, "app-db-replica", 42)

    assert datetime.now(UTC) - lag.at < timedelta(minutes=1)
    assert lag_becomes(source, "other-replica", 900).seconds == 900


def test_no_series_and_nan_are_no_reading(prometheus: PrometheusServer) -> None:
    assert PrometheusReplicaLag(prometheus.url, "no_such_lag").replica_lag("x", RECENT) is None
    # 0/0 is NaN: it says nothing about the replica, so it is never taken as a lag.
    assert PrometheusReplicaLag(prometheus.url, "0 / 0").replica_lag("x", RECENT) is None


def test_a_scalar_lag_is_read(prometheus: PrometheusServer) -> None:
    lag = PrometheusReplicaLag(prometheus.url, "scalar(vector(7))").replica_lag("x", RECENT)
    assert lag is not None
    assert lag.seconds == 7


def test_a_query_prometheus_cannot_run_is_fatal_with_its_reason(
    prometheus: PrometheusServer,
) -> None:
    source = PrometheusReplicaLag(prometheus.url, "max(rate(lag{server='{instance}'}")

    with pytest.raises(CloudRejected, match=r"Prometheus answered HTTP 400: .*parse error") as got:
        source.replica_lag("app-db-replica", RECENT)
    assert "app-db-replica" in str(got.value)


def test_an_unreachable_prometheus_is_retryable(prometheus: PrometheusServer) -> None:
    with closed_port() as port:
        url = f"http://127.0.0.1:{port}"
        with pytest.raises(CloudUnavailable) as got:
            PrometheusReplicaLag(url, "up").replica_lag("x", RECENT)
    assert str(got.value) == f"cannot reach Prometheus at {url}: connection refused"


def test_something_that_is_not_prometheus_is_retryable(exporter: Exporter) -> None:
    with pytest.raises(CloudUnavailable, match="did not answer with JSON"):
        PrometheusReplicaLag(exporter.base, "up").replica_lag("x", RECENT)


# ----------------------------------------------------------------------------- the stage


@pytest.fixture
def ports(prometheus: PrometheusServer) -> Iterator[CloudPorts]:
    config = parse_config(f'clouds:\n  prometheus: {{url: "{prometheus.url}"}}\n')
    built = build_cloud_ports(config, EnvSecrets({}), poll_interval=0.05)
    yield built
    built.close()


def test_the_stage_waits_for_the_promql_lag_to_catch_up(
    ports: CloudPorts, prometheus: PrometheusServer, exporter: Exporter
) -> None:
    data = {
        "instance": "app-db-replica",
        "source": "promql",
        "query": QUERY,
        "budget": 60,
        "catch_up_within": 1,
        "poll_interval": 0.05,
    }
    exporter.set({LAG.format(instance="app-db-replica"): 600})
    lag_becomes(PrometheusReplicaLag(prometheus.url, QUERY), "app-db-replica", 600)

    with pytest.raises(StageRetryable, match="replication lag 600s still over the RPO budget"):
        attempt("replication_check", data, Context(ports.ports()))

    exporter.set({LAG.format(instance="app-db-replica"): 3})
    lag_becomes(PrometheusReplicaLag(prometheus.url, QUERY), "app-db-replica", 3)
    assert facts(attempt("replication_check", data, Context(ports.ports())))[LAG_FACT] == 3
