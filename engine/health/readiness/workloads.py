"""The DR cluster: its API answers the bot, every Deployment the DR plan scales exists, and
their images are the primary's.

Whether an image can be pulled on the DR side shows for certain only once pods try: a
Deployment kept warm (replicas at standby) that cannot pull says so through its pods. For one
scaled to zero, the check holds the DR side's image references to the primary's: the same image
name and tag (or digest) in whatever registry, which catches a release that never reached the
DR side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.cloud_ports import DeploymentState
from engine.config import PrimaryWorkloads
from engine.health.readiness.check import PODS_TO_START, Finding, Look, not_ready, ready
from engine.stages import Ports
from engine.stages.ports import CLUSTERS
from engine.stages.workloads import DeployParams


def aks_deployments(params: DeployParams) -> Look:
    def look(ports: Ports) -> Finding:
        states = _deployments(ports, params)
        where = f"{params.cluster}/{params.namespace}"
        missing = [name for name in params.deployments if name not in states]
        if missing:
            return not_ready(f"{where} has no deployment {', '.join(missing)}")
        pods = sum(
            max(0, replicas - states[name].available)
            for name, replicas in params.deployments.items()
        )
        running = ", ".join(
            f"{name} {states[name].available}/{replicas}"
            for name, replicas in params.deployments.items()
        )
        return ready(
            f"{where}: {running}; a failover starts {pods} pod(s)", **{PODS_TO_START: float(pods)}
        )

    return look


def aks_images(params: DeployParams, primary: PrimaryWorkloads | None) -> Look:
    def look(ports: Ports) -> Finding:
        states = _deployments(ports, params)
        clusters = ports.get(CLUSTERS)
        problems: list[str] = []
        for name in params.deployments:
            state = states.get(name)
            if state is None or state.desired == 0 or state.rolled_out:
                continue
            stuck = clusters.cluster(params.cluster).stuck_pods(params.namespace, name)
            pulls = [p for p in stuck if p.trouble == "image"]
            if pulls:
                problems.append(f"{name}: its pods cannot pull their image ({pulls[0].reason})")
        compared = ""
        if primary is not None:
            theirs = {
                d.name: d for d in clusters.cluster(primary.cluster).deployments(primary.namespace)
            }
            for name in params.deployments:
                mine, other = states.get(name), theirs.get(name)
                if mine is None:
                    continue
                if other is None:
                    problems.append(
                        f"{name}: no deployment of that name on {primary.cluster}/"
                        f"{primary.namespace} to compare with"
                    )
                    continue
                differs = _differs(mine.images, other.images)
                if differs:
                    problems.append(f"{name}: {differs}")
            compared = f" as on {primary.cluster}/{primary.namespace}"
        if problems:
            return not_ready("; ".join(problems))
        if primary is None:
            return ready(
                "no pod fails to pull its image (no primary cluster to compare images with: "
                "set readiness.primary)"
            )
        return ready(f"{len(params.deployments)} deployment(s) name the same images{compared}")

    return look


@dataclass(frozen=True)
class ImageName:
    """An image reference without its registry: what stays the same when an image is copied
    from one registry to another."""

    name: str
    """The last component of the repository path, e.g. ``service-a``."""
    tag: str | None
    digest: str | None

    def __str__(self) -> str:
        return (
            self.name
            + (f":{self.tag}" if self.tag else "")
            + (f"@{self.digest}" if self.digest else "")
        )


def image_name(reference: str) -> ImageName:
    """``registry/path/name:tag@digest`` read as the distribution reference grammar reads it
    (github.com/distribution/reference, reference.go): the digest after ``@``, a tag after
    the last ``:`` of the last path component."""
    rest, _, digest = reference.partition("@")
    path = rest.rsplit("/", 1)[-1]
    name, _, tag = path.partition(":")
    return ImageName(name, tag or None, digest or None)


def _differs(mine: tuple[str, ...], theirs: tuple[str, ...]) -> str:
    """How the DR side's images differ from the primary's, or ``""`` when they match."""
    ours = {image_name(ref).name: image_name(ref) for ref in mine}
    others = {image_name(ref).name: image_name(ref) for ref in theirs}
    for name, other in others.items():
        own = ours.get(name)
        if own is None:
            return f"the primary runs {other}, the DR side no image {name}"
        if own.digest and other.digest:
            same = own.digest == other.digest
        else:
            same = own.tag is not None and own.tag == other.tag
        if not same:
            return f"the DR side names {own}, the primary {other}"
    return ""


def _deployments(ports: Ports, params: DeployParams) -> Mapping[str, DeploymentState]:
    cluster = ports.get(CLUSTERS).cluster(params.cluster)
    return {d.name: d for d in cluster.deployments(params.namespace)}
