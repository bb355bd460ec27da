"""The Kubernetes workloads adapter, through the real ``kubernetes`` client, against the
local API fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

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
    kube.add_deployment("shop", "api", replicas=3)
    kube.add_deployment("shop", "web", replicas=2)
    kube.add_deployment("other", "batch")

    found = cluster.deployments("shop")
    assert [(d.name, d.desired, d.available, d.rolled_out) for d in found] == [
        ("api", 3, 3, True),
        ("web", 2, 2, True),
    ]
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
    kube.add_node("n2", ready=False)
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
