"""A ``kubernetes`` client ``Configuration`` for one of the ways phoenix.yaml reaches a
cluster: a bare API URL (with a bearer token resolved by the caller), a kubeconfig and
context, the in-cluster service account, or an EKS cluster by name — its endpoint and CA
from EKS, a token minted from the bot's AWS identity and renewed before it runs out
(``engine.adapters.aws.eks_access``). The client's process-wide default configuration is
never touched.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kubernetes.client import Configuration
from kubernetes.config import load_incluster_config, load_kube_config

from engine.adapters.aws.clients import AwsTarget
from engine.adapters.aws.eks_access import EksToken, describe_endpoint
from engine.config import KubeAccess
from engine.errors import CloudRejected
from engine.text import clip


def client_configuration(
    access: KubeAccess,
    *,
    token: str | None = None,
    aws: AwsTarget | None = None,
    now: Callable[[], datetime] | None = None,
) -> Configuration:
    """The configuration of ``access``. ``aws`` is where EKS is asked (its region unless the
    access names one); ``now`` decides when an EKS token is renewed. Raises ``CloudRejected``
    when a kubeconfig or the service account cannot be loaded, and the AWS adapters' errors
    when EKS cannot be asked."""
    configuration = Configuration()
    if access.eks is not None:
        _eks(configuration, access, aws or AwsTarget(), now)
    elif access.api_url is not None:
        configuration.host = access.api_url.rstrip("/")
        if token:
            configuration.api_key = {"authorization": f"Bearer {token}"}
    else:
        try:
            if access.in_cluster:
                load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
            else:
                load_kube_config(  # type: ignore[no-untyped-call]
                    config_file=os.path.expanduser(access.kubeconfig)
                    if access.kubeconfig
                    else None,
                    context=access.context,
                    client_configuration=configuration,
                    persist_config=False,
                )
        except Exception as exc:  # the loaders raise many kinds; all mean the same here
            raise CloudRejected(clip(f"cannot load cluster credentials: {exc}", 200)) from exc
    configuration.retries = False
    return configuration


def _eks(
    configuration: Configuration,
    access: KubeAccess,
    aws: AwsTarget,
    now: Callable[[], datetime] | None,
) -> None:
    eks = access.eks
    assert eks is not None
    region = eks.region or aws.region
    if not region:
        raise CloudRejected(f"EKS cluster {eks.cluster}: no region (give eks.region)")
    target = AwsTarget(region=region, endpoint_url=eks.endpoint_url or aws.endpoint_url)
    endpoint = describe_endpoint(eks.cluster, target)
    tokens = EksToken(eks.cluster, region, now=now)
    configuration.host = endpoint.url
    configuration.ssl_ca_cert = _ca_file(endpoint.ca_pem)
    configuration.api_key = {"authorization": f"Bearer {tokens.token()}"}

    def renew(config: Any) -> None:
        # Called by the client before every request: a token near its end is replaced.
        config.api_key["authorization"] = f"Bearer {tokens.token()}"

    configuration.refresh_api_key_hook = renew  # type: ignore[assignment]


def _ca_file(pem: bytes) -> str:
    """The client takes a CA only as a file: one per cluster, readable by this user alone,
    removed when the process ends (as the kubernetes client's own kubeconfig loader does)."""
    handle, path = tempfile.mkstemp(prefix="phoenix-eks-ca-", suffix=".pem")
    with os.fdopen(handle, "wb") as file:
        file.write(pem)
    atexit.register(_remove, path)
    return path


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
