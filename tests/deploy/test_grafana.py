"""deploy/grafana/cloudphoenix.json: valid JSON a Grafana imports, and every panel's query
reads metrics the bot really exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.metric_names import exported_names, referenced_names

pytestmark = pytest.mark.integration

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "cloudphoenix.json"


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def panels() -> list[dict[str, Any]]:
    """The panels that read Prometheus (the logs panel reads Loki: tests/deploy/test_loki.py)."""
    return [
        p for p in dashboard()["panels"]
        if p["type"] != "row" and p["datasource"]["type"] == "prometheus"
    ]  # fmt: skip


def test_it_is_a_dashboard_with_unique_panel_ids_that_do_not_overlap() -> None:
    data = dashboard()
    assert data["uid"] == "cloudphoenix"
    assert data["title"] == "CloudPhoenix"
    ids = [p["id"] for p in data["panels"]]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in data["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        mine = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])}  # fmt: skip
        assert not mine & cells, f"{panel['title']} overlaps another panel"
        cells |= mine


def test_every_query_reads_metrics_the_bot_exports() -> None:
    exported = exported_names()
    queries = [(p["title"], t["expr"]) for p in panels() for t in p["targets"]]
    queries += [(v["name"], v["definition"]) for v in dashboard()["templating"]["list"]
                if v["type"] == "query"]  # fmt: skip
    queries += [(a["name"], a["expr"]) for a in dashboard()["annotations"]["list"]]
    for title, expr in queries:
        names = referenced_names(expr)
        assert names, f"{title}: reads no metric"
        assert names - exported == set(), f"{title} reads {names - exported}"


def test_it_shows_what_an_sre_looks_for() -> None:
    read = set().union(*(referenced_names(t["expr"]) for p in panels() for t in p["targets"]))
    for name in (
        "phoenix_score", "phoenix_level", "phoenix_signal_points", "phoenix_runs_total",
        "phoenix_stage_seconds_bucket", "phoenix_drill_rto_seconds", "phoenix_drill_rpo_seconds",
        "phoenix_leader", "phoenix_store_up", "phoenix_signal_status", "phoenix_signal_value",
        "phoenix_drill_last_success_timestamp_seconds", "phoenix_drill_next_timestamp_seconds",
        "phoenix_failover_rto_seconds", "phoenix_failover_rpo_seconds", "phoenix_build_info",
        "phoenix_rto_objective_seconds", "phoenix_rpo_objective_seconds",
        "phoenix_readiness_checks_ready", "phoenix_readiness_check_verdict",
        "phoenix_readiness_predicted_rto_seconds", "phoenix_readiness_predicted_rpo_seconds",
    ):  # fmt: skip
        assert name in read, name
