"""EKS managed node groups (``NodeGroups``), through boto3."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3

from engine.adapters.aws.clients import AwsTarget, aws_client
from engine.adapters.aws.errors import aws_error
from engine.cloud_ports import NodeGroupState

if TYPE_CHECKING:
    from mypy_boto3_eks import EKSClient


class EksNodeGroups:
    def __init__(
        self, target: AwsTarget | None = None, *, session: boto3.session.Session | None = None
    ) -> None:
        self._eks: EKSClient = aws_client("eks", target or AwsTarget(), session)

    def node_group(self, cluster: str, name: str) -> NodeGroupState:
        try:
            group = self._eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)
        except Exception as exc:
            raise aws_error(
                exc, resource=_where(cluster, name), action="eks:DescribeNodegroup"
            ) from exc
        raw = group["nodegroup"]
        scaling = raw.get("scalingConfig", {})
        return NodeGroupState(
            cluster=cluster,
            name=name,
            status=raw.get("status", "UNKNOWN"),
            minimum=int(scaling.get("minSize", 0)),
            maximum=int(scaling.get("maxSize", 0)),
            desired=int(scaling.get("desiredSize", 0)),
        )

    def scale_node_group(
        self,
        cluster: str,
        name: str,
        desired: int,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> bool:
        current = self.node_group(cluster, name)
        low = minimum if minimum is not None else min(current.minimum, desired)
        high = maximum if maximum is not None else max(current.maximum, desired)
        if (current.minimum, current.maximum, current.desired) == (low, high, desired):
            return False
        try:
            self._eks.update_nodegroup_config(
                clusterName=cluster,
                nodegroupName=name,
                scalingConfig={"minSize": low, "maxSize": high, "desiredSize": desired},
            )
        except Exception as exc:
            where = _where(cluster, name)
            raise aws_error(exc, resource=where, action="eks:UpdateNodegroupConfig") from exc
        return True

    def close(self) -> None:
        self._eks.close()


def _where(cluster: str, name: str) -> str:
    return f"EKS node group {name} of cluster {cluster}"
