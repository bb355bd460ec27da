"""One evaluation end to end: phoenix.yaml -> build_collector -> every kind of source against
its real server on loopback -> readings in configuration order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import boto3
import pytest

from bot.wiring.signals import build_collector
from engine.adapters.http.probes import HttpProbes
from engine.config import parse_config
from engine.health.collect import Collector
from engine.model import Reading, Status, Vantage
from tests.cloud.kube_fake import KubeFake
from tests.support.ports import closed_port
from tests.support.stand_ins import Moto
from tests.support.waiting import wait_until

from .servers import (
    Exporter,
    HealthServer,
    PrometheusServer,
    RawTcpServer,
)

pytestmark = pytest.mark.integration


class HangingSource:
    """A source that overruns its deadline, as a wedged SDK call would."""

    signals: Sequence[str] = ("wedged",)
    deadline = 0.3

    async def collect(self) -> Sequence[Reading]:
        await asyncio.sleep(30)
        return []


def test_one_evaluation_reads_every_kind_of_signal(
    health_server: HealthServer,
    raw_servers: dict[str, RawTcpServer],
    prometheus: PrometheusServer,
    exporter: Exporter,
    aws: Moto,
    kube: KubeFake,
) -> None:
    exporter.set({'pg_replication_lag_seconds{cluster="app-db"}': 7})
    wait_until(
        lambda: prometheus.query("pg_replication_lag_seconds"),
        30,
        "the exporter's lag sample",
        every=0.1,
    )
    cloudwatch = boto3.client("cloudwatch", region_name="eu-west-1", endpoint_url=aws.url)
    cloudwatch.put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "ReplicaLag",
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "app-db-replica"}],
                "Timestamp": datetime.now(UTC),
                "Value": 90,
            }
        ],
    )
    for name in "abcd":
        kube.add_node(name)
    kube.add_node("e", ready="False")
    h = health_server.base
    with closed_port() as refused:
        config = parse_config(
            f"""
primary: {{region: eu-west-1}}
signals:
  - name: service-a
    kind: http
    targets: ["{h}/ok", "{h}/ok?ready", "{h}/ok?live"]
    timeout: 2s
  - name: service-b
    kind: http
    targets: ["{h}/ok", "{h}/fail", "http://127.0.0.1:{refused}/live"]
    timeout: 2s
  - name: cross-cloud
    kind: http
    vantage: cross-cloud
    targets: ["{raw_servers["silent"].base}/health"]
    timeout: 1s
  - name: external-uptime
    kind: route53_health_check
    health_check_id: 00000000-0000-0000-0000-000000000000
    aws: {{endpoint_url: "{aws.url}"}}
  - name: rds-replication-lag
    kind: rds_replica_lag
    db_instance: app-db-replica
    aws: {{endpoint_url: "{aws.url}"}}
  - name: pg-lag
    kind: promql
    prometheus: {{url: "{prometheus.url}"}}
    query: max(pg_replication_lag_seconds)
    thresholds: [{{above: 60, status: degraded}}, {{above: 300, status: down}}]
  - name: eks-nodes
    kind: eks_nodes
    cluster: {{api_url: "{kube.url}"}}
"""
        )
        collector = build_collector(config)
        assert sum(isinstance(s, HttpProbes) for s in collector.sources) == 1
        assert len(collector.sources) == 5

        wedged = Collector(
            [*collector.sources, HangingSource()],
            {**collector.vantages, "wedged": Vantage.INTERNAL},
            collector.clock,
        )
        # A process's first evaluation imports the SDKs and builds their clients on worker
        # threads, which can hold up the event loop for over half of the cross-cloud probe's
        # timeout on a busy host: that probe then reads unknown, saying its timing cannot be
        # trusted, and never ok. The evaluations after it are the bot's steady state.
        cold = {r.signal: r for r in wedged.collect()}["cross-cloud"]
        assert cold.status is Status.DOWN or (
            cold.status is Status.UNKNOWN and "stalled" in cold.detail
        ), cold
        started = time.monotonic()
        readings = wedged.collect()
        elapsed = time.monotonic() - started

    assert [r.signal for r in readings] == [s.name for s in config.signals] + ["wedged"]
    got = {r.signal: r for r in readings}
    assert got["service-a"].status == Status.OK
    assert got["service-b"].status == Status.DEGRADED
    assert got["service-b"].value == pytest.approx(2 / 3)
    assert got["cross-cloud"].status == Status.DOWN
    assert got["cross-cloud"].vantage == Vantage.CROSS_CLOUD
    assert got["external-uptime"].status == Status.UNKNOWN
    assert got["external-uptime"].vantage == Vantage.EXTERNAL
    assert "does not exist" in got["external-uptime"].detail
    assert (got["rds-replication-lag"].status, got["rds-replication-lag"].value) == (
        Status.DEGRADED,
        90,
    )
    assert (got["pg-lag"].status, got["pg-lag"].value) == (Status.OK, 7)
    assert (got["eks-nodes"].status, got["eks-nodes"].value) == (Status.OK, 0.2)
    assert got["wedged"].status == Status.UNKNOWN
    assert got["wedged"].detail == "collector did not finish within 0.3s"
    assert all(r.observed_at.tzinfo is not None for r in readings)
    assert elapsed < 6  # about the longest probe timeout, not the wedged source's 30 s
