"""The readiness checks a configuration gets: from what its DR plan's stages act on, switched
off one by one in ``readiness.checks``, named once each."""

from __future__ import annotations

from pathlib import Path

from engine.config import PhoenixConfig, parse_config
from engine.drills.report import DrillReport
from engine.health.readiness.derive import readiness_checks, secret_references
from engine.plans.model import plan_book
from engine.sync_records import ObjectSyncState
from tests.support.clock import ManualClock

EXAMPLE = (Path(__file__).parents[2] / "examples" / "phoenix.yaml").read_text()


class NoDrills:
    def last_success(self, name: str) -> DrillReport | None:
        return None


class NoSync:
    def get_object_sync(self, pair: str) -> ObjectSyncState | None:
        return None


def names(config: PhoenixConfig) -> list[str]:
    book = plan_book(config)
    return [c.name for c in readiness_checks(config, book, NoDrills(), NoSync(), ManualClock().now)]


def test_the_example_gets_a_check_for_everything_its_dr_plan_acts_on() -> None:
    assert names(parse_config(EXAMPLE)) == [
        "replication-lag",
        "blob-backlog",
        "azure-sql",
        "aks-deployments",
        "aks-images",
        "traffic-manager",
        "webhook",
        "aws-identity",
        "azure-identity",
        "secrets",
        "slack",
        "drills",
    ]


def test_a_failover_group_and_route53_records_add_their_checks() -> None:
    text = EXAMPLE.replace("    # failover_group: app-fog", "    failover_group: app-fog").replace(
        "    # route53: {zone_id", "    route53: {zone_id"
    )
    found = names(parse_config(text))
    assert found.index("failover-group") == found.index("azure-sql") + 1
    assert "route53" in found


def test_a_check_switched_off_is_left_out() -> None:
    text = EXAMPLE.replace(
        "checks: {route53: true, slack: true}", "checks: {slack: false, aks_images: false}"
    )
    found = names(parse_config(text))
    assert "slack" not in found
    assert "aks-images" not in found
    assert "aks-deployments" in found


def test_a_plan_without_cloud_stages_is_checked_for_slack_and_drills_only() -> None:
    assert names(parse_config("")) == ["slack", "drills"]


def test_two_stages_of_one_kind_are_named_by_their_stage() -> None:
    config = parse_config(
        """
clouds:
  clusters: {aks-dr: {in_cluster: true}}
readiness: {plan: two-clusters, checks: {aks_images: false}}
plans:
  two-clusters:
    stages:
      - name: web
        kind: aks_deploy
        params: {cluster: aks-dr, namespace: web, deployments: {a: 1}}
      - name: jobs
        kind: aks_deploy
        params: {cluster: aks-dr, namespace: jobs, deployments: {b: 1}}
"""
    )
    assert names(config) == ["aks-deployments:web", "aks-deployments:jobs", "slack", "drills"]


def test_every_secret_reference_of_the_configuration_is_found_once() -> None:
    text = EXAMPLE.replace("  # jenkins: {url:", "  jenkins: {url:")
    config = parse_config(text)
    plan = plan_book(config)["dr-azure"]
    found = secret_references(config, plan)
    assert "env:PHOENIX_WEBHOOK_SECRET" in found
    assert "env:JENKINS_TOKEN" in found
    assert len(found) == len(set(found))
    assert all(ref.startswith(("env:", "arn:aws:secretsmanager:", "https://")) for ref in found)
