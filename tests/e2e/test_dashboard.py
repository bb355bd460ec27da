"""Every panel of deploy/grafana/cloudphoenix.json shows data: the real bot in the sandbox runs
a DR drill and a DR failover, a real Prometheus scrapes the bot's /metrics every second, and
each Prometheus panel's every query, as Grafana would send it, returns at least one number."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.health_routes import HealthRoutes
from bot.server import BotServer
from sandbox.runtime import Sandbox, SandboxOptions
from sandbox.scenarios import SCENARIOS, play
from tests.integration.servers import PrometheusServer, prometheus_binary
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "cloudphoenix.json"
FAST = SandboxOptions(interval=1.0, cooldown=5.0, step=0.2, fast_slack=True)
# What Grafana puts in for the dashboard's variables with "All" chosen and a one-hour range.
VARIABLES = {"$job": ".*", "$environment": ".*", "$plan": ".*", "$__range": "1h"}


def queries() -> list[tuple[str, str]]:
    """(panel title and refId, PromQL) of every target of every Prometheus panel."""
    dashboard = json.loads(DASHBOARD.read_text())
    found = []
    for panel in dashboard["panels"]:
        if panel["type"] == "row" or panel["datasource"]["type"] != "prometheus":
            continue
        for target in panel["targets"]:
            expr = target["expr"]
            for name, value in VARIABLES.items():
                expr = expr.replace(name, value)
            assert "$" not in expr, f"{panel['title']}: a variable the test does not fill"
            found.append((f"{panel['title']} ({target['refId']})", expr))
    return found


def numbers(result: list[dict[str, Any]]) -> list[float]:
    return [float(series["value"][1]) for series in result]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(replace(FAST, workdir=tmp_path)) as started:
        yield started


@pytest.fixture
def scraped(sandbox: Sandbox) -> Iterator[PrometheusServer]:
    """A Prometheus scraping the sandbox bot's /metrics, served as `phoenix run` serves it."""
    binary = prometheus_binary()
    if binary is None:
        raise RuntimeError("prometheus is not installed: apt-get install prometheus")
    phoenix = sandbox.phoenix
    assert phoenix is not None
    routes = HealthRoutes(store=phoenix.store, reporter=phoenix.reporter, metrics=phoenix.metrics)
    with BotServer("127.0.0.1", 0, routes=routes) as server:
        prometheus = PrometheusServer(binary, [re.sub(r"^http://", "", server.url)])
        prometheus.start()
        try:
            yield prometheus
        finally:
            prometheus.stop()


def test_every_panel_shows_data_after_a_drill_and_a_failover(
    sandbox: Sandbox, scraped: PrometheusServer
) -> None:
    # The run counters are scraped at zero before the first run, so its increase shows.
    wait_until(
        lambda: scraped.query('phoenix_runs_total{plan="dr-azure"}'),
        timeout=30,
        what="the first scrape of the bot",
    )
    for name in ("drill", "regional-outage"):
        outcome = play(SCENARIOS[name], sandbox)
        assert outcome.passed, outcome.report()
    wait_until(
        lambda: (
            scraped.query("phoenix_failover_rto_seconds")
            and scraped.query(
                'increase(phoenix_runs_total{plan="dr-azure", outcome="succeeded"}[1h]) > 0'
            )
        ),
        timeout=30,
        what="Prometheus to scrape the runs' end",
    )

    def empty() -> list[str]:
        missing = []
        for title, expr in queries():
            if not [v for v in numbers(scraped.query(expr)) if not math.isnan(v)]:
                missing.append(f"{title}: {expr}")
        return missing

    # Rates need two scrapes after a change: poll a few seconds, never sleep blindly.
    deadline = time.monotonic() + 30
    while (missing := empty()) and time.monotonic() < deadline:
        time.sleep(1)
    assert missing == [], "panels without data:\n" + "\n".join(missing)
    assert len(queries()) >= 30
