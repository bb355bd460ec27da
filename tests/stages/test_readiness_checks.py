"""Every readiness check, ready and not ready, through the same stand-ins the stages act on:
moto, Azurite, the ARM fake, the Kubernetes fake, the webhook receiver, Jenkins, a managed
identity endpoint and the Slack emulator. The checks are derived from the world's phoenix.yaml
as the bot derives them, and read through the bot's own port factory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.identity import ManagedIdentityCredential
from slack_sdk import WebClient

from bot.slack_identity import SlackIdentity
from engine.adapters.aws.clients import AwsTarget
from engine.adapters.aws.identity import AwsIdentity
from engine.adapters.azure.identity import AzureIdentity
from engine.adapters.stores.sqlite_store import SqliteStore
from engine.cloud_ports import Identity
from engine.drills.report import DrillReport
from engine.health.readiness import access, database, traffic
from engine.health.readiness.check import (
    BACKLOG_BYTES,
    BACKLOG_OBJECTS,
    LAG_SECONDS,
    OLDEST_SECONDS,
    PODS_TO_START,
    SCALE_NEEDED,
    Check,
    finding,
)
from engine.health.readiness.derive import readiness_checks
from engine.plans.model import plan_book
from engine.ports import Clock
from engine.readiness import Area, Verdict
from engine.stages import Ports
from engine.stages.azure_sql import AzureSqlReadyParams
from engine.stages.jenkins import JenkinsJobParams
from engine.stages.replication import ReplicationCheckParams
from engine.stages.traffic import Route53Switch
from engine.store import Store
from engine.sync.continuous import ContinuousOptions, ContinuousSync
from engine.sync.incremental import SyncOptions
from engine.sync_records import ObjectSyncState, object_pair
from sandbox.slack import Emulator
from tests.cloud.arm_fake import arm_error
from tests.cloud.aws_faults import query_error
from tests.cloud.identity_fake import HEADER_SECRET, ManagedIdentityEndpoint
from tests.stages.conftest import OBJECTS
from tests.stages.world import BUCKET, DOMAIN, World, put_lag
from tests.support.clock import ManualClock
from tests.support.fault_proxy import FaultProxy
from tests.support.http_fake import Fault
from tests.support.object_fixtures import blob_service, blob_store, proxied
from tests.support.ports import closed_port

pytestmark = pytest.mark.integration

PRIMARY_REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop"
DR_REGISTRY = "phoenixdr.azurecr.io/shop"


class NoDrills:
    def last_success(self, name: str) -> DrillReport | None:
        return None


def derived(
    world: World, name: str, store: Store | None = None, clock: Clock | None = None
) -> Check:
    book = plan_book(world.config)
    states = store if store is not None else NoSync()
    now = (clock or ManualClock()).now
    checks = readiness_checks(world.config, book, NoDrills(), states, now)
    return next(c for c in checks if c.name == name)


class NoSync:
    def get_object_sync(self, pair: str) -> ObjectSyncState | None:
        return None


def look(
    world: World,
    name: str,
    ports: Ports | None = None,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
) -> tuple[Verdict, str, dict[str, float]]:
    found = finding(derived(world, name, store, clock), ports or world.ports.ports())
    return found.verdict, found.reason, dict(found.measured)


def own(look_: access.Look | database.Look, ports: Ports) -> tuple[Verdict, str]:
    found = finding(Check("own", "own", Area.ACCESS, "", look_), ports)
    return found.verdict, found.reason


# ----------------------------------------------------------------------------- database


def test_replication_lag_within_the_rpo_is_ready_and_over_it_not(world: World) -> None:
    verdict, reason, measured = look(world, "replication-lag")
    assert verdict is Verdict.READY, reason
    assert measured == {LAG_SECONDS: 12.0}

    put_lag(world.moto, "app-db-replica", 420, at=datetime.now(UTC) + timedelta(seconds=1))
    verdict, reason, measured = look(world, "replication-lag")
    assert verdict is Verdict.NOT_READY
    assert "over the RPO of 300s" in reason
    assert measured == {LAG_SECONDS: 420.0}


def test_a_replica_without_a_lag_reading_reads_unknown(world: World) -> None:
    params = ReplicationCheckParams(instance="app-db-elsewhere")
    verdict, reason = own(database.replication_lag(params), world.ports.ports())
    assert verdict is Verdict.UNKNOWN
    assert "no replication lag reading of app-db-elsewhere" in reason


def test_the_dr_database_at_its_standby_objective_is_ready_and_needs_a_scale(
    world: World,
) -> None:
    verdict, reason, measured = look(world, "azure-sql")
    assert verdict is Verdict.READY, reason
    assert reason == "Online at S0: a failover scales it to GP_Gen5_4"
    assert measured == {SCALE_NEEDED: 1.0}


def test_the_dr_database_away_from_its_standby_objective_or_offline_is_not_ready(
    world: World,
) -> None:
    world.arm.add_database("dr-sql", "app", "S1")
    verdict, reason, _ = look(world, "azure-sql")
    assert verdict is Verdict.NOT_READY
    assert "not at its standby objective S0" in reason

    world.arm.add_database("dr-sql", "app", "S0", status="Paused")
    verdict, reason, _ = look(world, "azure-sql")
    assert (verdict, reason) == (Verdict.NOT_READY, "Paused, not Online")


def test_a_dr_database_already_at_its_production_objective_needs_no_scale(world: World) -> None:
    world.arm.add_database("dr-sql", "app", "GP_Gen5_4")
    verdict, reason, measured = look(world, "azure-sql")
    assert verdict is Verdict.READY
    assert "nothing to scale" in reason
    assert measured == {SCALE_NEEDED: 0.0}


def test_a_missing_database_or_an_azure_that_does_not_answer(world: World) -> None:
    world.arm.faults.add(arm_error(404, "ResourceNotFound", "gone"))
    verdict, reason, _ = look(world, "azure-sql")
    assert verdict is Verdict.NOT_READY
    assert "does not exist" in reason

    world.arm.faults.add(arm_error(503, "ServerBusy", "busy"))
    verdict, reason, _ = look(world, "azure-sql")
    assert verdict is Verdict.UNKNOWN
    assert reason.startswith("did not answer:")


GROUP = AzureSqlReadyParams(server="dr-sql", database="app", failover_group="app-fog")


def test_a_failover_group_in_step_is_ready(world: World) -> None:
    world.arm.add_failover_group(
        "app-fog", primary="aws-bridge", secondary="dr-sql", databases=["app"]
    )
    verdict, reason = own(database.failover_group(GROUP), world.ports.ports())
    assert verdict is Verdict.READY, reason
    assert reason == "dr-sql is Secondary, partner aws-bridge; replication CATCH_UP (in step)"


@pytest.mark.parametrize(
    ("state", "why"),
    [
        ("SUSPENDED", "no longer follows the primary"),
        ("SEEDING", "cannot take over yet"),
    ],
)
def test_a_broken_or_unfinished_geo_link_is_not_ready(world: World, state: str, why: str) -> None:
    world.arm.add_failover_group(
        "app-fog", primary="aws-bridge", secondary="dr-sql", databases=["app"]
    )
    world.arm.set_replication_state("app-fog", state)
    verdict, reason = own(database.failover_group(GROUP), world.ports.ports())
    assert verdict is Verdict.NOT_READY
    assert f"replication {state}" in reason
    assert why in reason


def test_a_failover_group_without_the_database_is_not_ready(world: World) -> None:
    world.arm.add_failover_group(
        "app-fog", primary="aws-bridge", secondary="dr-sql", databases=["orders"]
    )
    verdict, reason = own(database.failover_group(GROUP), world.ports.ports())
    assert (verdict, reason) == (Verdict.NOT_READY, "does not hold app (it holds orders)")


# ----------------------------------------------------------------------------- objects


def test_without_continuous_sync_the_container_answers_and_its_backlog_is_not_measured(
    world: World,
) -> None:
    verdict, reason, measured = look(world, "blob-backlog")
    assert verdict is Verdict.READY
    assert "answers; what it lacks is not measured" in reason
    assert measured == {}


def test_a_dr_container_that_is_gone_is_not_ready(world: World) -> None:
    blob_service(world.azurite.connection_string).delete_container(world.container)
    verdict, reason, _ = look(world, "blob-backlog")
    assert verdict is Verdict.NOT_READY
    assert "does not exist" in reason


@pytest.fixture
def warm(world: World, tmp_path: Path) -> Iterator[tuple[SqliteStore, ManualClock]]:
    clock = ManualClock(datetime.now(UTC))
    store = SqliteStore(tmp_path / "state.db", clock=clock)
    yield store, clock
    store.close()


def _pass(world: World, store: SqliteStore, clock: ManualClock, destination: Any) -> None:
    source = world.ports.store("s3", BUCKET)
    pair = object_pair(f"s3://{BUCKET}", f"blob://{world.container}")
    options = ContinuousOptions(SyncOptions(concurrency=4), margin=timedelta(0), look_every=0.0)
    sync = ContinuousSync(
        pair, source, source, destination, store, clock=clock, owner="a", options=options
    )
    assert sync.run() is not None


def test_a_pair_kept_warm_is_ready_and_one_left_behind_past_the_rpo_is_not(
    world: World, warm: tuple[SqliteStore, ManualClock]
) -> None:
    store, clock = warm
    _pass(world, store, clock, world.ports.store("blob", world.container))
    clock.advance(40)
    verdict, reason, measured = look(world, "blob-backlog", store=store, clock=clock)
    assert verdict is Verdict.READY, reason
    assert "the oldest object not copied is at most 40s old" in reason
    assert measured == {BACKLOG_OBJECTS: 0.0, BACKLOG_BYTES: 0.0, OLDEST_SECONDS: 40.0}

    clock.advance(600)  # no pass since: whatever was written meanwhile may be missing
    verdict, reason, measured = look(world, "blob-backlog", store=store, clock=clock)
    assert verdict is Verdict.NOT_READY
    assert reason.endswith("over the RPO of 5m")
    assert measured[OLDEST_SECONDS] == 640.0


def test_objects_a_pass_could_not_copy_are_counted(
    world: World, warm: tuple[SqliteStore, ManualClock], azurite_proxy: FaultProxy
) -> None:
    store, clock = warm
    azurite_proxy.faults.add(Fault(503, method="PUT", times=-1))
    connection = proxied(world.azurite.connection_string, world.azurite.url, azurite_proxy.url)
    _pass(world, store, clock, blob_store(connection, world.container, create=False))
    verdict, reason, measured = look(world, "blob-backlog", store=store, clock=clock)
    assert verdict is Verdict.READY, reason
    assert f"{len(OBJECTS)} object(s)" in reason
    assert "failed to copy" in reason
    assert measured[BACKLOG_OBJECTS] == len(OBJECTS)
    assert measured[BACKLOG_BYTES] == sum(len(b) for b in OBJECTS.values())


# ----------------------------------------------------------------------------- workloads


def test_the_deployments_the_plan_scales_exist_and_say_how_many_pods_to_start(
    world: World,
) -> None:
    verdict, reason, measured = look(world, "aks-deployments")
    assert verdict is Verdict.READY, reason
    assert reason == "aks-dr/shop: service-a 0/3, service-b 0/2; a failover starts 5 pod(s)"
    assert measured == {PODS_TO_START: 5.0}


def test_a_deployment_missing_on_the_dr_side_is_not_ready(world: World) -> None:
    with world.kube.lock:
        del world.kube.deployments[("shop", "service-b")]
    verdict, reason, _ = look(world, "aks-deployments")
    assert (verdict, reason) == (Verdict.NOT_READY, "aks-dr/shop has no deployment service-b")


def test_an_api_server_that_refuses_the_bot_is_not_ready(world: World) -> None:
    world.kube.require_auth = True
    verdict, reason, _ = look(world, "aks-deployments")
    assert verdict is Verdict.NOT_READY
    assert "access denied" in reason


def _images(world: World, primary: str, dr: str) -> None:
    for name in ("service-a", "service-b"):
        world.kube.add_deployment(
            "prod", name, replicas=2, image=f"{PRIMARY_REGISTRY}/{name}:{primary}"
        )
        world.kube.add_deployment("shop", name, replicas=0, image=f"{DR_REGISTRY}/{name}:{dr}")


def test_the_dr_side_naming_the_primarys_images_in_its_own_registry_is_ready(
    world: World,
) -> None:
    _images(world, "1.4.2", "1.4.2")
    verdict, reason, _ = look(world, "aks-images")
    assert verdict is Verdict.READY, reason
    assert reason == "2 deployment(s) name the same images as on eks-primary/prod"


def test_a_release_that_never_reached_the_dr_side_is_not_ready(world: World) -> None:
    _images(world, "1.5.0", "1.4.2")
    verdict, reason, _ = look(world, "aks-images")
    assert verdict is Verdict.NOT_READY
    assert "service-a: the DR side names service-a:1.4.2, the primary service-a:1.5.0" in reason


def test_a_warm_dr_deployment_that_cannot_pull_its_image_is_not_ready(world: World) -> None:
    _images(world, "1.4.2", "1.4.2")
    missing = f"{DR_REGISTRY}/service-a:1.4.2"
    world.kube.cluster.unpullable.add(missing)
    world.kube.add_deployment("shop", "service-a", replicas=1, image=missing)
    verdict, reason, _ = look(world, "aks-images")
    assert verdict is Verdict.NOT_READY
    assert "service-a: its pods cannot pull their image (ImagePullBackOff)" in reason


# ----------------------------------------------------------------------------- traffic


def test_the_dr_endpoint_enabled_and_online_is_ready(world: World) -> None:
    verdict, reason, _ = look(world, "traffic-manager")
    assert (verdict, reason) == (Verdict.READY, "azure is enabled and Online")


def test_a_degraded_dr_endpoint_is_what_a_dr_side_at_zero_replicas_looks_like(
    world: World,
) -> None:
    world.arm.set_health("phoenix", "azure", "Degraded")
    verdict, reason, _ = look(world, "traffic-manager")
    assert verdict is Verdict.READY
    assert "as expected while the DR services wait at zero replicas" in reason


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("disable", "azure is disabled"),
        ("stop", "azure is Stopped: the service behind it is not running"),
        ("profile", "the profile is disabled"),
    ],
)
def test_a_dr_endpoint_that_would_take_no_traffic_is_not_ready(
    world: World, change: str, said: str
) -> None:
    if change == "disable":
        world.ports.traffic_router(None).set_endpoint("phoenix", "azure", enabled=False)
    elif change == "stop":
        world.arm.set_health("phoenix", "azure", "Stopped")
    else:
        world.arm.set_profile_enabled("phoenix", False)
    verdict, reason, _ = look(world, "traffic-manager")
    assert verdict is Verdict.NOT_READY
    assert said in reason


def test_the_route53_failover_pair_exists(world: World) -> None:
    verdict, reason, _ = look(world, "route53")
    assert (verdict, reason) == (
        Verdict.READY,
        f"{DOMAIN} A: aws PRIMARY, azure SECONDARY",
    )


def test_a_route53_record_the_plan_would_make_primary_missing_is_not_ready(world: World) -> None:
    switch = Route53Switch(zone_id=world.zone_id, name=DOMAIN, primary="azure-west")
    verdict, reason = own(traffic.route53(switch), world.ports.ports())
    assert verdict is Verdict.NOT_READY
    assert reason == f"{DOMAIN} A has no failover record azure-west (it has aws, azure)"


# ----------------------------------------------------------------------------- access


def test_a_registered_webhook_answers_its_preflight(world: World) -> None:
    verdict, reason, _ = look(world, "webhook")
    assert verdict is Verdict.READY, reason
    assert reason.endswith("answers OPTIONS with 204")
    assert world.receiver.accepted == []  # nothing was sent to it


def test_a_webhook_whose_workflow_is_inactive_or_that_is_unreachable_is_not_ready(
    world: World,
) -> None:
    world.receiver.registered = False
    verdict, reason, _ = look(world, "webhook")
    assert verdict is Verdict.NOT_READY
    assert "the webhook is not registered (is its workflow active?)" in reason

    with closed_port() as port:
        url = f"http://127.0.0.1:{port}/webhook/phoenix?token=s3cr3t"
        verdict, reason = own(access.webhook(url, 2.0), world.ports.ports())
    assert verdict is Verdict.NOT_READY
    assert "did not answer OPTIONS" in reason
    assert "s3cr3t" not in reason


def test_every_secret_reference_resolves(world: World) -> None:
    verdict, reason, _ = look(world, "secrets")
    assert (verdict, reason) == (Verdict.READY, "all 3 secret reference(s) resolve")


def test_a_secret_reference_that_does_not_resolve_is_named_and_its_siblings_never_shown(
    world: World,
) -> None:
    references = ["env:PHOENIX_WEBHOOK_SECRET", "env:PHOENIX_NOT_SET"]
    verdict, reason = own(access.secrets(references), world.ports.ports())
    assert verdict is Verdict.NOT_READY
    assert reason == "1 of 2 do not resolve: secret env:PHOENIX_NOT_SET is not set"
    assert "stage-webhook-secret" not in reason


def test_a_smoke_test_job_that_declares_its_parameters_is_ready(world: World) -> None:
    world.jenkins.add_job("dr/smoke", ["PHOENIX_RUN", "TARGET"])
    params = JenkinsJobParams(job="dr/smoke", parameters={"TARGET": "azure"})
    verdict, reason = own(access.smoke_test(params), world.ports.ports())
    assert (verdict, reason) == (Verdict.READY, "job dr/smoke declares PHOENIX_RUN, TARGET")


def test_a_smoke_test_job_missing_a_parameter_is_not_ready(world: World) -> None:
    world.jenkins.add_job("dr/smoke", ["PHOENIX_RUN"])
    params = JenkinsJobParams(job="dr/smoke", parameters={"TARGET": "azure"})
    verdict, reason = own(access.smoke_test(params), world.ports.ports())
    assert verdict is Verdict.NOT_READY
    assert reason.startswith("job dr/smoke does not declare TARGET")


@dataclass
class GivenIdentities:
    aws: Identity
    azure: Identity

    def aws_identity(self) -> Identity:
        return self.aws

    def azure_identity(self) -> Identity:
        return self.azure


@pytest.fixture(scope="module")
def _managed_identity() -> Iterator[ManagedIdentityEndpoint]:
    fake = ManagedIdentityEndpoint()
    yield fake
    fake.stop()


@pytest.fixture
def identities(
    world: World,
    aws_proxy: FaultProxy,
    _managed_identity: ManagedIdentityEndpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Ports, FaultProxy, ManagedIdentityEndpoint]]:
    _managed_identity.reset()
    monkeypatch.setenv("IDENTITY_ENDPOINT", _managed_identity.endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", HEADER_SECRET)
    aws = AwsIdentity(AwsTarget(region="us-east-1", endpoint_url=aws_proxy.url, max_attempts=1))
    given = GivenIdentities(aws, AzureIdentity(ManagedIdentityCredential()))
    yield world.ports.ports().extended({access.IDENTITIES: given}), aws_proxy, _managed_identity
    aws.close()


def test_the_bots_cloud_identities_work(
    world: World, identities: tuple[Ports, FaultProxy, ManagedIdentityEndpoint]
) -> None:
    ports = identities[0]
    verdict, reason, _ = look(world, "aws-identity", ports)
    assert verdict is Verdict.READY
    assert reason.startswith("AWS knows the bot as arn:aws:")
    verdict, reason, _ = look(world, "azure-identity", ports)
    assert verdict is Verdict.READY
    assert reason.startswith("Azure knows the bot as a Resource Manager token valid until")


def test_refused_cloud_identities_are_not_ready(
    world: World, identities: tuple[Ports, FaultProxy, ManagedIdentityEndpoint]
) -> None:
    ports, proxy, managed = identities
    proxy.faults.add(query_error(403, "ExpiredToken", method="POST"))
    managed.revoked = True
    verdict, reason, _ = look(world, "aws-identity", ports)
    assert verdict is Verdict.NOT_READY
    assert "ExpiredToken" in reason
    verdict, reason, _ = look(world, "azure-identity", ports)
    assert verdict is Verdict.NOT_READY
    assert "no managed identity is assigned" in reason


@pytest.fixture(scope="module")
def slack() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def test_slack_answering_the_bots_token_is_ready_and_refusing_it_not(
    world: World, slack: Emulator
) -> None:
    good = world.ports.ports().extended(
        {access.CHAT: SlackIdentity(WebClient(slack.bot_token, base_url=slack.api_url))}
    )
    verdict, reason, _ = look(world, "slack", good)
    assert verdict is Verdict.READY
    assert reason.startswith("Slack knows the bot as ")

    bad = world.ports.ports().extended(
        {access.CHAT: SlackIdentity(WebClient("xoxb-revoked", base_url=slack.api_url))}
    )
    verdict, reason, _ = look(world, "slack", bad)
    assert (verdict, reason) == (
        Verdict.NOT_READY,
        "Slack refuses the bot's Slack token: invalid_auth",
    )
    assert "xoxb-revoked" not in reason
