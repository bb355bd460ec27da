"""Reaching an EKS cluster's Kubernetes API from outside AWS's own tooling: its endpoint and
CA from EKS ``DescribeCluster``, and the bearer token EKS accepts, minted from the bot's AWS
identity as ``aws eks get-token`` mints it (aws/aws-cli awscli/customizations/eks/
get_token.py; checked as kubernetes-sigs/aws-iam-authenticator pkg/token/token.go checks it).

The token is ``k8s-aws-v1.`` + base64url (no padding) of a presigned STS
``GetCallerIdentity`` URL whose signature covers the ``x-k8s-aws-id`` header naming the
cluster. STS honours such a URL for 15 minutes after its ``X-Amz-Date``; a token is used for
14 and then minted anew, as ``aws eks get-token`` marks its expiry. Presigning makes no call:
no kubeconfig, no exec plugin, no long-lived secret.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.config import Config

from engine.adapters.aws.clients import AwsTarget, aws_client
from engine.adapters.aws.errors import aws_error
from engine.errors import CloudRejected

if TYPE_CHECKING:
    from mypy_boto3_eks import EKSClient

TOKEN_PREFIX: Final = "k8s-aws-v1."  # noqa: S105 - the format's name, not a secret
CLUSTER_HEADER: Final = "x-k8s-aws-id"
TOKEN_LIFETIME: Final = timedelta(minutes=14)
"""STS honours the presigned URL for 15 minutes; a minute is kept in hand."""
_PRESIGN_EXPIRES: Final = 60
"""X-Amz-Expires as aws eks get-token sends it: STS ignores it for GetCallerIdentity, older
authenticators require 0..60."""


@dataclass(frozen=True)
class EksEndpoint:
    url: str
    ca_pem: bytes


def describe_endpoint(cluster: str, target: AwsTarget) -> EksEndpoint:
    """The cluster's API server URL and the CA that signs its certificate
    (eks:DescribeCluster)."""
    eks: EKSClient = aws_client("eks", target)
    try:
        described = eks.describe_cluster(name=cluster)["cluster"]
    except Exception as exc:
        raise aws_error(
            exc, resource=f"EKS cluster {cluster}", action="eks:DescribeCluster"
        ) from exc
    finally:
        eks.close()
    url = described.get("endpoint")
    data = (described.get("certificateAuthority") or {}).get("data")
    if not url or not data:
        status = described.get("status", "UNKNOWN")
        raise CloudRejected(f"EKS cluster {cluster} has no API endpoint yet (status {status})")
    try:
        ca_pem = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise CloudRejected(f"EKS cluster {cluster}: its CA certificate is not base64") from None
    return EksEndpoint(url.rstrip("/"), ca_pem)


class EksToken:
    """Bearer tokens for one EKS cluster, minted from the default credential chain and kept
    until ``TOKEN_LIFETIME`` has passed on ``now``. Thread-safe."""

    def __init__(
        self,
        cluster: str,
        region: str,
        *,
        now: Callable[[], datetime] | None = None,
        session: boto3.session.Session | None = None,
    ) -> None:
        self._cluster = cluster
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._token: str | None = None
        self._minted_at = datetime.min.replace(tzinfo=UTC)
        # The presigned URL is checked by EKS against AWS's own STS, so it names STS's
        # regional endpoint even where a stand-in or AWS_ENDPOINT_URL_STS serves the rest.
        # botocore-stubs lag behind Config's keywords (ignore_configured_endpoint_urls: 1.31).
        config = Config(ignore_configured_endpoint_urls=True, signature_version="v4")  # type: ignore[call-arg]
        factory: Any = session or boto3.session.Session()
        self._sts: Any = factory.client("sts", region_name=region, config=config)
        self._sts.meta.events.register(
            "provide-client-params.sts.GetCallerIdentity", _keep_cluster_name
        )
        self._sts.meta.events.register("before-sign.sts.GetCallerIdentity", _sign_cluster_name)

    def token(self) -> str:
        with self._lock:
            now = self._now()
            if self._token is None or now - self._minted_at >= TOKEN_LIFETIME:
                self._token = self._mint()
                self._minted_at = now
            return self._token

    def _mint(self) -> str:
        try:
            url: str = self._sts.generate_presigned_url(
                "get_caller_identity",
                Params={CLUSTER_HEADER: self._cluster},
                ExpiresIn=_PRESIGN_EXPIRES,
                HttpMethod="GET",
            )
        except Exception as exc:
            # GetCallerIdentity needs no permission; presigning fails only without credentials.
            where = f"a token for EKS cluster {self._cluster}"
            raise aws_error(exc, resource=where, action="sts:GetCallerIdentity") from exc
        encoded = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
        return TOKEN_PREFIX + encoded

    def close(self) -> None:
        self._sts.close()


def _keep_cluster_name(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """GetCallerIdentity takes no parameters: the cluster's name rides in the context."""
    if CLUSTER_HEADER in params:
        context[CLUSTER_HEADER] = params.pop(CLUSTER_HEADER)


def _sign_cluster_name(request: Any, **_: Any) -> None:
    """The header goes in before signing, so the signature covers it."""
    if CLUSTER_HEADER in request.context:
        request.headers[CLUSTER_HEADER] = request.context[CLUSTER_HEADER]
