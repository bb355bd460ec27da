"""Reaching an EKS cluster by name from outside EKS: the endpoint and CA from moto's EKS
DescribeCluster, a token minted from the AWS identity and checked by the Kubernetes fake as
EKS's authenticator checks it, over TLS verified with the cluster's CA."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto.eks.models import eks_backends
from moto.server import ThreadedMotoServer

from bot.settings import EnvSecrets
from bot.wiring.cloud import build_cloud_ports
from engine.adapters.aws.eks_access import EksToken
from engine.adapters.clock import SystemClock
from engine.adapters.kube.nodes import KubeNodeReadiness
from engine.adapters.kube.workloads import KubeWorkloads
from engine.config import EksNodesSignal, parse_config
from engine.errors import CloudAccessDenied, CloudNotFound
from engine.model import Reading, Status
from tests.cloud.eks_token_check import EksTokenCheck, refusal
from tests.cloud.kube_fake import KubeFake
from tests.support.clock import ManualClock
from tests.support.ports import LOOPBACK
from tests.support.tls import LoopbackTls, loopback_tls

pytestmark = pytest.mark.integration

REGION = "us-east-1"
CLUSTER = "prod"
ACCOUNT = "123456789012"
"""moto's account for any credentials."""


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto in this process: the test reaches into its EKS backend (below)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    server.start()
    yield f"http://{LOOPBACK}:{server.get_host_and_port()[1]}"
    server.stop()


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> LoopbackTls:
    return loopback_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def _kube(tls: LoopbackTls) -> Iterator[KubeFake]:
    fake = KubeFake(tls=tls.server_context())
    yield fake
    fake.stop()


@pytest.fixture
def kube(_kube: KubeFake, moto_url: str, tls: LoopbackTls) -> KubeFake:
    """The cluster's API server, known to EKS (moto) as cluster ``prod``: only EKS tokens
    get in."""
    _kube.reset()
    _kube.require_auth = True
    _kube.eks = EksTokenCheck()
    _kube.add_node("ip-10-0-1-1.ec2.internal")
    _kube.add_node("ip-10-0-2-1.ec2.internal")
    eks = boto3.client("eks", region_name=REGION, endpoint_url=moto_url)
    if CLUSTER not in eks.list_clusters()["clusters"]:
        eks.create_cluster(
            name=CLUSTER,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
            resourcesVpcConfig={"subnetIds": ["subnet-1"]},
        )
    # moto makes up an endpoint no one answers and a random CA: point them at the local API
    # server and its CA, so that the answer of DescribeCluster is the way in.
    described = eks_backends[ACCOUNT][REGION].clusters[CLUSTER]
    described.endpoint = _kube.url
    described.certificate_authority = {"data": base64.b64encode(tls.ca_file.read_bytes()).decode()}
    eks.close()
    return _kube


def nodes_signal(moto_url: str, cluster: str = CLUSTER) -> EksNodesSignal:
    return EksNodesSignal.model_validate(
        {
            "name": "eks-nodes",
            "kind": "eks_nodes",
            "timeout": "5s",
            "cluster": {"eks": {"cluster": cluster, "endpoint_url": moto_url}},
        }
    )


def read(source: KubeNodeReadiness) -> Reading:
    (reading,) = asyncio.run(source.collect())
    return reading


def test_the_eks_nodes_signal_reaches_a_cluster_by_name(kube: KubeFake, moto_url: str) -> None:
    reading = read(KubeNodeReadiness(nodes_signal(moto_url), SystemClock(), region=REGION))

    assert (reading.status, reading.detail) == (Status.OK, "0 of 2 nodes not ready")
    assert kube.authorized == ["eks"]
    assert kube.eks is not None
    assert kube.eks.refusals == []


def test_an_unknown_eks_cluster_reads_unknown_naming_it(kube: KubeFake, moto_url: str) -> None:
    source = KubeNodeReadiness(nodes_signal(moto_url, "nope"), SystemClock(), region=REGION)
    reading = read(source)
    assert reading.status == Status.UNKNOWN
    assert "EKS cluster nope" in reading.detail
    assert kube.requests == []


def test_the_self_heal_ports_reach_an_eks_cluster_by_name(kube: KubeFake, moto_url: str) -> None:
    kube.add_deployment("prod", "api", replicas=2)
    config = parse_config(
        f"""
primary: {{cloud: aws, region: {REGION}}}
clouds:
  aws: {{endpoint_url: "{moto_url}"}}
  clusters:
    eks-primary: {{eks: {{cluster: {CLUSTER}}}}}
"""
    )
    ports = build_cloud_ports(config, EnvSecrets({}))
    try:
        cluster = ports.cluster("eks-primary")
        assert [d.name for d in cluster.deployments("prod")] == ["api"]
        assert cluster.restart("prod", "api", datetime(2026, 1, 2, tzinfo=UTC))
        with pytest.raises(CloudNotFound):
            cluster.deployment("prod", "ghost")
    finally:
        ports.close()
    assert set(kube.authorized) == {"eks"}
    assert kube.patches[-1][0] == "/apis/apps/v1/namespaces/prod/deployments/api"


# -- the token itself


def _query(token: str) -> tuple[str, dict[str, str]]:
    url = base64.urlsafe_b64decode(token.removeprefix("k8s-aws-v1.") + "==").decode()
    parts = urlsplit(url)
    return parts.hostname or "", {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_the_token_is_a_presigned_get_caller_identity_for_the_cluster(
    monkeypatch: pytest.MonkeyPatch, moto_url: str
) -> None:
    # A stand-in for STS configured for the process must not end up in the token: EKS asks
    # AWS's own STS.
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_url)
    tokens = EksToken(CLUSTER, "eu-west-1")
    token = tokens.token()

    assert token.startswith("k8s-aws-v1.")
    assert "=" not in token
    assert refusal(token, datetime.now(UTC)) is None
    host, query = _query(token)
    assert host in {"sts.eu-west-1.amazonaws.com", "sts.amazonaws.com"}
    assert query["Action"] == "GetCallerIdentity"
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"].split(";")
    assert query["X-Amz-Expires"] == "60"
    # The signature covers the cluster's name: another cluster, another signature.
    other = EksToken("staging", "eu-west-1").token()
    assert _query(other)[1]["X-Amz-Signature"] != query["X-Amz-Signature"]
    tokens.close()


def test_a_token_about_to_expire_is_replaced() -> None:
    clock = ManualClock(datetime.now(UTC))
    tokens = EksToken(CLUSTER, REGION, now=clock.now)
    first = tokens.token()
    time.sleep(1.1)  # a new token would carry a later X-Amz-Date
    clock.advance(13 * 60)
    assert tokens.token() == first  # still a minute and more in hand
    clock.advance(60)
    renewed = tokens.token()
    assert renewed != first
    assert _query(renewed)[1]["X-Amz-Date"] > _query(first)[1]["X-Amz-Date"]
    tokens.close()


def test_the_authenticator_refuses_what_eks_refuses() -> None:
    tokens = EksToken(CLUSTER, REGION)
    good = tokens.token()
    now = datetime.now(UTC)
    assert refusal(good, now + timedelta(minutes=14)) is None
    assert refusal(good, now + timedelta(minutes=16)) == (
        "X-Amz-Date parameter is expired (15 minute expiration)"
    )
    assert refusal("a-static-bearer-token", now) == "token is missing expected 'k8s-aws-v1.' prefix"
    assert refusal(good + "=", now) == "token is not base64url without padding"
    host, query = _query(good)
    unsigned = dict(query, **{"X-Amz-SignedHeaders": "host"})
    rebuilt = f"https://{host}/?" + "&".join(f"{k}={v}" for k, v in unsigned.items())
    encoded = base64.urlsafe_b64encode(rebuilt.encode()).decode().rstrip("=")
    assert refusal("k8s-aws-v1." + encoded, now) == (
        "client did not sign the x-k8s-aws-id header in the pre-signed URL"
    )
    tokens.close()


def test_a_request_with_a_refused_token_is_unauthorized(kube: KubeFake, tls: LoopbackTls) -> None:
    adapter = KubeWorkloads.from_url(
        kube.url, token="a-static-bearer-token", ca_file=str(tls.ca_file), timeout=5
    )
    try:
        with pytest.raises(CloudAccessDenied, match="401"):
            adapter.deployments("prod")
    finally:
        adapter.close()
    assert kube.eks is not None
    assert kube.eks.refusals == ["token is missing expected 'k8s-aws-v1.' prefix"]
