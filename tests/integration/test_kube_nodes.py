"""The eks_nodes signal kind: the real kubernetes client against the local API server fake
(``tests.cloud.kube_fake``), which serves real-shaped NodeList JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from kubernetes.client import Configuration

from engine.adapters.clock import SystemClock
from engine.adapters.kube.nodes import KubeNodeReadiness
from engine.config import EksNodesSignal
from engine.model import Reading, Status
from tests.cloud.kube_fake import KubeFake, status_fault
from tests.support.http_fake import Fault
from tests.support.ports import closed_port

from .conftest import ReadOne
from .servers import RawTcpServer

pytestmark = pytest.mark.integration


def nodes_signal(cluster: dict[str, Any], **fields: Any) -> EksNodesSignal:
    return EksNodesSignal.model_validate(
        {"name": "eks-nodes", "kind": "eks_nodes", "cluster": cluster, "timeout": "2s", **fields}
    )


def read_nodes(read: ReadOne, kube: KubeFake, **fields: Any) -> Reading:
    signal = nodes_signal({"api_url": kube.url}, **fields)
    return read(KubeNodeReadiness(signal, SystemClock()))


def test_all_nodes_ready_is_ok(read: ReadOne, kube: KubeFake) -> None:
    for name in ("ip-10-0-1-1", "ip-10-0-1-2", "ip-10-0-1-3"):
        kube.add_node(name)
    reading = read_nodes(read, kube)
    assert reading.status == Status.OK
    assert reading.value == 0.0
    assert reading.detail == "0 of 3 nodes not ready"


def test_some_nodes_not_ready_is_degraded_then_down(read: ReadOne, kube: KubeFake) -> None:
    kube.add_node("a")
    kube.add_node("b")
    kube.add_node("c", ready="False")
    degraded = read_nodes(read, kube)
    assert degraded.status == Status.DEGRADED  # 1/3 is above 0.2
    assert degraded.value == pytest.approx(1 / 3)
    assert degraded.detail == "1 of 3 nodes not ready: c"

    kube.reset()
    kube.add_node("a")
    kube.add_node("b", ready="Unknown")
    kube.add_node("c", ready=None)
    down = read_nodes(read, kube)
    assert down.status == Status.DOWN  # a missing Ready condition counts as not ready
    assert down.detail == "2 of 3 nodes not ready: b, c"


def test_thresholds_come_from_the_signal(read: ReadOne, kube: KubeFake) -> None:
    for i in range(9):
        kube.add_node(f"n{i}")
    kube.add_node("n9", ready="False")
    reading = read_nodes(read, kube, thresholds=[{"above": 0.05, "status": "down"}])
    assert reading.status == Status.DOWN
    assert reading.value == pytest.approx(0.1)


def test_no_nodes_is_unknown(read: ReadOne, kube: KubeFake) -> None:
    reading = read_nodes(read, kube)
    assert reading.status == Status.UNKNOWN
    assert reading.detail == "the cluster reports no nodes"


def test_the_label_selector_is_passed_through(read: ReadOne, kube: KubeFake) -> None:
    reading = read_nodes(read, kube, label_selector="node-role=worker")
    assert reading.status == Status.UNKNOWN
    assert reading.detail == "no node matches label selector 'node-role=worker'"
    _, path = kube.requests[-1]
    query = parse_qs(urlsplit(path).query)
    assert query["labelSelector"] == ["node-role=worker"]


def test_an_api_error_is_unknown(read: ReadOne, kube: KubeFake) -> None:
    kube.faults.add(status_fault(500, "InternalError", path="^/api/v1/nodes", times=-1))
    reading = read_nodes(read, kube)
    assert reading.status == Status.UNKNOWN
    assert reading.detail == "the Kubernetes API answered HTTP 500 Internal Server Error"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"<html>gateway</html>", "the Kubernetes API did not answer with JSON"),
        (b'{"kind": "PodList", "items": []}', "the Kubernetes API did not answer with a NodeList"),
    ],
)
def test_an_answer_that_is_not_a_node_list_is_unknown(
    read: ReadOne, kube: KubeFake, raw: bytes, reason: str
) -> None:
    kube.faults.add(Fault(200, raw, (("Content-Type", "application/json"),), times=-1))
    reading = read_nodes(read, kube)
    assert reading.status == Status.UNKNOWN
    assert reading.detail == reason


def test_an_unreachable_api_is_unknown(read: ReadOne) -> None:
    with closed_port() as port:
        signal = nodes_signal({"api_url": f"http://127.0.0.1:{port}"})
        reading = read(KubeNodeReadiness(signal, SystemClock()))
    assert reading.status == Status.UNKNOWN
    assert reading.detail == "cannot reach the Kubernetes API: connection refused"


def test_an_api_that_never_answers_times_out(
    read: ReadOne, raw_servers: dict[str, RawTcpServer]
) -> None:
    signal = nodes_signal({"api_url": raw_servers["silent"].base}, timeout="0.5s")
    reading = read(KubeNodeReadiness(signal, SystemClock()))
    assert reading.status == Status.UNKNOWN
    assert "did not answer within 0.5s" in reading.detail


def test_a_kubeconfig_context_is_used_and_the_global_default_left_alone(
    read: ReadOne, kube: KubeFake, tmp_path: Path
) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: other\n"
        "clusters:\n"
        f"- name: prod\n  cluster: {{server: '{kube.url}'}}\n"
        "- name: elsewhere\n  cluster: {server: 'http://127.0.0.1:1'}\n"
        "contexts:\n"
        "- name: prod-eks\n  context: {cluster: prod, user: bot}\n"
        "- name: other\n  context: {cluster: elsewhere, user: bot}\n"
        "users:\n- name: bot\n  user: {token: not-a-real-token}\n",
        encoding="utf-8",
    )
    kube.add_node("a")
    kube.add_node("b")
    default_before = Configuration.get_default_copy().host
    signal = nodes_signal({"kubeconfig": str(kubeconfig), "context": "prod-eks"})
    reading = read(KubeNodeReadiness(signal, SystemClock()))
    assert reading.status == Status.OK
    assert Configuration.get_default_copy().host == default_before


def test_a_missing_kubeconfig_is_unknown(read: ReadOne, tmp_path: Path) -> None:
    signal = nodes_signal({"kubeconfig": str(tmp_path / "nope"), "context": "prod"})
    reading = read(KubeNodeReadiness(signal, SystemClock()))
    assert reading.status == Status.UNKNOWN
    assert reading.detail.startswith("cannot load cluster credentials: ")
