"""Build configs and readings for pure level tests without any I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache

from engine.config import PhoenixConfig, parse_config
from engine.health.levels import LevelState, decide
from engine.health.scoring import score
from engine.model import LevelDecision, Reading, Status, Vantage

T0 = datetime(2026, 1, 1, tzinfo=UTC)

# Six signals, as in the seed: two services, external, cross-cloud, lag, nodes.
CONFIG_YAML = """
signals:
  - {name: service-a, kind: http, targets: ["http://a/health"], points: {degraded: 2, down: 4}}
  - {name: service-b, kind: http, targets: ["http://b/health"], points: {degraded: 2, down: 4}}
  - {name: external, kind: http, vantage: external, targets: ["http://e/"], points: {down: 3}}
  - {name: cross-cloud, kind: http, vantage: cross-cloud, targets: ["http://x/"],
     points: {down: 3}}
  - name: lag
    kind: promql
    query: lag
    thresholds: [{above: 60, status: degraded}, {above: 300, status: down}]
  - {name: nodes, kind: eks_nodes}
"""
SIGNALS = ("service-a", "service-b", "external", "cross-cloud", "lag", "nodes")
VANTAGES = {
    "service-a": Vantage.INTERNAL,
    "service-b": Vantage.INTERNAL,
    "external": Vantage.EXTERNAL,
    "cross-cloud": Vantage.CROSS_CLOUD,
    "lag": Vantage.INTERNAL,
    "nodes": Vantage.INTERNAL,
}


@cache
def config(extra: str = "") -> PhoenixConfig:
    """Parsed once per text (a config is frozen): property tests ask for it per example."""
    return parse_config(CONFIG_YAML + extra)


def readings(statuses: Mapping[str, Status], at: datetime = T0) -> list[Reading]:
    return [
        Reading(name, statuses.get(name, Status.OK), None, "", VANTAGES[name], at)
        for name in SIGNALS
    ]


ALL_DOWN = dict.fromkeys(SIGNALS, Status.DOWN)
HEALTHY: dict[str, Status] = {}


def run(
    cfg: PhoenixConfig, steps: Iterable[Mapping[str, Status]], state: LevelState | None = None
) -> tuple[list[LevelDecision], LevelState]:
    state = state or LevelState()
    decisions = []
    for i, statuses in enumerate(steps):
        at = T0 + timedelta(seconds=30 * i)
        decision, state = decide(state, score(readings(statuses, at), cfg, at), cfg)
        decisions.append(decision)
    return decisions, state
