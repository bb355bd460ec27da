"""The Kubernetes workloads adapter, through the real ``kubernetes`` client, against the
local API fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from kubernetes.client import ApiClient, AppsV1Api, Configuration, CoreV1Api

from engine.adapters.kube.workloads import RESTARTED_AT, KubeWorkloads
from engine.errors import CloudAccessDenied, CloudNotFound, CloudUnavailable
from tests.cloud.kube_fake import STRATEGIC, KubeFake, status_fault

pytestmark = pytest.mark.integration

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="session")
def _kube() -> Iterator[KubeFake]:
    fake = KubeFake()
    yield fake
    fake.stop()


@pytest.fixture
def kube(_kube: KubeFake) -> KubeFake:
    _kube.reset()
    return _kube


@pytest.fixture
def cluster(kube: KubeFake) -> Iterator[KubeWorkloads]:
    adapter = KubeWorkloads.from_url(kube.url, token="not-a-real-token", timeout=5)
    yield adapter
    adapter.close()


def test_deployments_are_listed_with_their_rollout_state(
    kube: KubeFake, cluster: KubeWorkloads
) -> None:
    kube.add_deployment("shop", "api", replicas=3, image="registry.example/api:1.4.2")
    kube.add_deployment("shop", "web", replicas=2)
    kube.add_deployment("other", "batch")

    found = cluster.deployments("shop")
    assert [(d.name, d.desired, d.available, d.rolled_out) for d in found] == [
        ("api", 3, 3, True),
        ("web", 2, 2, True),
    ]
    assert [d.images for d in found] == [("registry.example/api:1.4.2",), ("web:1",)]
    assert [d.name for d in cluster.deployments("shop", selector="app=web")] == ["web"]


def test_restart_patches_the_template_as_kubectl_does_and_the_test_ends_the_rollout(
    kube: KubeFake, cluster: KubeWorkloads
) -> None:
    kube.add_deployment("shop", "api", replicas=3)

    assert cluster.restart("shop", "api", AT)

    path, content_type, body = kube.patches[-1]
    assert (path, content_type) == ("/apis/apps/v1/namespaces/shop/deployments/api", STRATEGIC)
    stamp = body["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT]
    assert stamp == "2026-01-02T03:04:05Z"
    rolling = cluster.deployment("shop", "api")
    assert (rolling.restarted_at, rolling.rolled_out) == (stamp, False)

    kube.complete_rollout("shop", "api")
    assert cluster.deployment("shop", "api").rolled_out


def test_the_same_restart_retried_patches_nothing(kube: KubeFake, cluster: KubeWorkloads) -> None:
    kube.add_deployment("shop", "api")
    assert cluster.restart("shop", "api", AT)

    assert not cluster.restart("shop", "api", AT)
    assert len(kube.patches) == 1


def test_scale_uses_the_scale_subresource_once(kube: KubeFake, cluster: KubeWorkloads) -> None:
    kube.add_deployment("shop", "api", replicas=2)

    assert cluster.scale("shop", "api", 5)
    assert not cluster.scale("shop", "api", 5)

    assert [p[0] for p in kube.patches] == ["/apis/apps/v1/namespaces/shop/deployments/api/scale"]
    scaled = cluster.deployment("shop", "api")
    assert (scaled.desired, scaled.rolled_out) == (5, False)
    kube.complete_rollout("shop", "api")
    assert cluster.deployment("shop", "api").available == 5


def test_nodes_report_readiness(kube: KubeFake, cluster: KubeWorkloads) -> None:
    kube.add_node("n1")
    kube.add_node("n2", ready="False")
    kube.add_node("n3", unschedulable=True)

    nodes = {n.name: (n.ready, n.schedulable) for n in cluster.nodes()}

    assert nodes == {"n1": (True, True), "n2": (False, True), "n3": (True, False)}


def test_an_api_server_outage_is_retryable(kube: KubeFake, cluster: KubeWorkloads) -> None:
    kube.add_deployment("shop", "api")
    kube.faults.add(status_fault(503, "ServiceUnavailable", method="PATCH"))

    with pytest.raises(CloudUnavailable, match="503"):
        cluster.restart("shop", "api", AT)


def test_forbidden_names_the_deployment_and_the_verb(
    kube: KubeFake, cluster: KubeWorkloads
) -> None:
    kube.add_deployment("shop", "api")
    kube.faults.add(status_fault(403, "Forbidden", method="PATCH"))

    with pytest.raises(CloudAccessDenied, match="patch apps/deployments/scale") as raised:
        cluster.scale("shop", "api", 4)
    assert "deployment shop/api" in str(raised.value)
    assert "not-a-real-token" not in str(raised.value)


def test_a_missing_deployment_is_fatal_and_named(kube: KubeFake, cluster: KubeWorkloads) -> None:
    with pytest.raises(CloudNotFound, match="deployment shop/ghost"):
        cluster.restart("shop", "ghost", AT)


# -- the fake behaves as an API server and its controllers do (read through the real client)


@pytest.fixture
def apps(kube: KubeFake) -> Iterator[tuple[AppsV1Api, CoreV1Api]]:
    configuration = Configuration()
    configuration.host = kube.url
    with ApiClient(configuration) as api:
        yield AppsV1Api(api), CoreV1Api(api)


def _replica_sets(apps: AppsV1Api, name: str) -> dict[str, tuple[str, int]]:
    """ReplicaSet name -> (pod-template-hash, spec.replicas) of a deployment."""
    found = apps.list_namespaced_replica_set("shop", label_selector=f"app={name}").items
    return {
        rs.metadata.name: (rs.metadata.labels["pod-template-hash"], rs.spec.replicas)
        for rs in found
    }


def _progressing(apps: AppsV1Api, name: str) -> tuple[str, str]:
    status = apps.read_namespaced_deployment("api", "shop").status
    condition = next(c for c in status.conditions if c.type == "Progressing")
    return condition.status, condition.reason


def test_observed_generation_lags_a_patch_until_the_controller_runs(
    kube: KubeFake, cluster: KubeWorkloads, apps: tuple[AppsV1Api, CoreV1Api]
) -> None:
    kube.add_deployment("shop", "api", replicas=2)
    assert cluster.restart("shop", "api", AT)

    read = apps[0].read_namespaced_deployment("api", "shop")
    assert (read.metadata.generation, read.status.observed_generation) == (2, 1)
    assert not cluster.deployment("shop", "api").observed
    # The old status still reads as a finished rollout: only the generations tell.
    assert read.status.updated_replicas == read.status.available_replicas == 2
    assert not cluster.deployment("shop", "api").rolled_out

    kube.sync()
    assert apps[0].read_namespaced_deployment("api", "shop").status.observed_generation == 2
    kube.settle()
    assert cluster.deployment("shop", "api").rolled_out


def test_a_patch_that_changes_nothing_keeps_the_generation(
    kube: KubeFake, apps: tuple[AppsV1Api, CoreV1Api]
) -> None:
    kube.add_deployment("shop", "api", replicas=2)
    apps[0].patch_namespaced_deployment("api", "shop", {"spec": {"replicas": 2}})
    read = apps[0].read_namespaced_deployment("api", "shop")
    assert (read.metadata.generation, read.status.observed_generation) == (1, 1)


@pytest.mark.parametrize("how", ["scale subresource", "replicas patch"])
def test_scaling_changes_replicas_without_a_new_replica_set(
    kube: KubeFake, cluster: KubeWorkloads, apps: tuple[AppsV1Api, CoreV1Api], how: str
) -> None:
    kube.add_deployment("shop", "api", replicas=2)
    (before,) = _replica_sets(apps[0], "api").items()
    if how == "scale subresource":
        assert cluster.scale("shop", "api", 5)
    else:
        apps[0].patch_namespaced_deployment("api", "shop", {"spec": {"replicas": 5}})
    assert apps[0].read_namespaced_deployment("api", "shop").metadata.generation == 2

    kube.settle()
    assert _replica_sets(apps[0], "api") == {before[0]: (before[1][0], 5)}
    pods = apps[1].list_namespaced_pod("shop", label_selector="app=api").items
    assert {p.metadata.labels["pod-template-hash"] for p in pods} == {before[1][0]}
    assert len(pods) == 5
    assert _progressing(apps[0], "api") == ("True", "NewReplicaSetAvailable")
    assert cluster.deployment("shop", "api").rolled_out


def test_a_template_change_rolls_out_through_a_new_replica_set(
    kube: KubeFake, cluster: KubeWorkloads, apps: tuple[AppsV1Api, CoreV1Api]
) -> None:
    kube.add_deployment("shop", "api", replicas=4)
    (old,) = _replica_sets(apps[0], "api")
    cluster.restart("shop", "api", AT)
    kube.sync()
    during = _replica_sets(apps[0], "api")
    assert len(during) == 2
    assert _progressing(apps[0], "api") == ("True", "NewReplicaSetCreated")
    # maxSurge 25% of 4 rounds up to 1: one pod above the desired count at most.
    assert sum(replicas for _, replicas in during.values()) <= 5

    kube.settle()
    after = _replica_sets(apps[0], "api")
    assert after[old][1] == 0
    (new,) = [name for name, (_, replicas) in after.items() if replicas == 4]
    assert new != old
    assert _progressing(apps[0], "api") == ("True", "NewReplicaSetAvailable")
    state = cluster.deployment("shop", "api")
    assert (state.updated, state.current, state.available, state.rolled_out) == (4, 4, 4, True)


def test_an_image_that_cannot_be_pulled_shows_in_the_pods_and_times_the_rollout_out(
    kube: KubeFake, cluster: KubeWorkloads, apps: tuple[AppsV1Api, CoreV1Api]
) -> None:
    kube.add_deployment("shop", "api", replicas=2)
    kube.cluster.unpullable.add("api:404")
    apps[0].patch_namespaced_deployment(
        "api",
        "shop",
        {
            "spec": {
                "progressDeadlineSeconds": 60,
                "template": {"spec": {"containers": [{"name": "api", "image": "api:404"}]}},
            }
        },
    )
    kube.settle()

    pods = apps[1].list_namespaced_pod("shop", label_selector="app=api").items
    waiting = [
        s.state.waiting.reason
        for p in pods
        for s in p.status.container_statuses or []
        if s.state.waiting is not None
    ]
    assert waiting == ["ImagePullBackOff"]  # one surge pod; the old two still serve
    assert [p.name for p in cluster.stuck_pods("shop", "api")] == [
        p.metadata.name for p in pods if p.spec.containers[0].image == "api:404"
    ]
    (stuck,) = cluster.stuck_pods("shop", "api")
    assert (stuck.trouble, stuck.reason) == ("image", "ImagePullBackOff")
    assert 'Back-off pulling image "api:404"' in stuck.message
    # The surge pod was progress; nothing since.
    assert _progressing(apps[0], "api") == ("True", "ReplicaSetUpdated")
    assert cluster.deployment("shop", "api").deadline_exceeded is None

    kube.advance(61)
    kube.sync()
    assert _progressing(apps[0], "api") == ("False", "ProgressDeadlineExceeded")
    exceeded = cluster.deployment("shop", "api").deadline_exceeded
    assert exceeded is not None
    assert exceeded.endswith("has timed out progressing.")
    assert not cluster.deployment("shop", "api").rolled_out


def test_pods_no_node_takes_stay_pending_and_a_scale_up_never_times_out(
    kube: KubeFake, cluster: KubeWorkloads, apps: tuple[AppsV1Api, CoreV1Api]
) -> None:
    kube.add_node("n1")
    kube.add_deployment("shop", "api", replicas=2)
    kube.cluster.pod_capacity = 2
    cluster.scale("shop", "api", 4)
    kube.settle()

    pending = [
        p
        for p in apps[1].list_namespaced_pod("shop", label_selector="app=api").items
        if p.status.phase == "Pending"
    ]
    assert len(pending) == 2
    for pod in pending:
        (scheduled,) = pod.status.conditions
        assert (scheduled.type, scheduled.status, scheduled.reason) == (
            "PodScheduled",
            "False",
            "Unschedulable",
        )
    assert {(p.trouble, p.reason) for p in cluster.stuck_pods("shop", "api")} == {
        ("unschedulable", "Unschedulable")
    }
    assert "0/1 nodes are available" in cluster.stuck_pods("shop", "api")[0].message
    # A scale-up of a finished rollout is not progress-checked: the deadline never comes.
    kube.advance(3600)
    kube.sync()
    assert _progressing(apps[0], "api") == ("True", "NewReplicaSetAvailable")
    assert cluster.deployment("shop", "api").deadline_exceeded is None


def test_stuck_pods_are_only_those_of_the_newest_replica_set(
    kube: KubeFake, cluster: KubeWorkloads
) -> None:
    kube.add_node("n1")
    kube.add_deployment("shop", "api", replicas=2)
    kube.cluster.pod_capacity = 2
    cluster.scale("shop", "api", 3)  # one old-template pod waits for a node
    kube.settle()
    assert len(cluster.stuck_pods("shop", "api")) == 1
    kube.cluster.pod_capacity = None
    kube.cluster.unpullable.add("api:1")
    cluster.restart("shop", "api", AT)
    kube.sync()  # the new ReplicaSet exists; its pods are not made yet
    assert cluster.stuck_pods("shop", "api") == []


def test_a_request_without_an_accepted_token_is_unauthorized(kube: KubeFake) -> None:
    kube.add_deployment("shop", "api")
    kube.require_auth = True
    kube.tokens = {"the-right-token"}
    right = KubeWorkloads.from_url(kube.url, token="the-right-token", timeout=5)
    wrong = KubeWorkloads.from_url(kube.url, token="a-wrong-token", timeout=5)
    try:
        assert right.deployment("shop", "api").name == "api"
        with pytest.raises(CloudAccessDenied, match="401") as raised:
            wrong.deployment("shop", "api")
        assert "a-wrong-token" not in str(raised.value)
    finally:
        right.close()
        wrong.close()
