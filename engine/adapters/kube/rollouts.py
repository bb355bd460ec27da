"""Reading a Deployment's rollout from the raw JSON the API server answers: its state, its
newest ReplicaSet, and the pods of that ReplicaSet that cannot start.

Each rule names the Kubernetes source or document it follows.
"""

from __future__ import annotations

from typing import Any, Final

from engine.cloud_ports import DeploymentState, StuckPod

RESTARTED_AT: Final = "kubectl.kubernetes.io/restartedAt"
REVISION: Final = "deployment.kubernetes.io/revision"
TEMPLATE_HASH: Final = "pod-template-hash"

# The Progressing condition's reason once a rollout made no progress for
# progressDeadlineSeconds (kubernetes/kubernetes pkg/controller/deployment/util/
# deployment_util.go, TimedOutReason; pkg/controller/deployment/progress.go).
DEADLINE_EXCEEDED: Final = "ProgressDeadlineExceeded"

# Waiting reasons of a container whose image the kubelet cannot get and has stopped trying
# for now (https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff;
# pkg/kubelet/images/types.go). ErrImagePull alone is a first failure the kubelet retries,
# often a registry blip: it becomes ImagePullBackOff within seconds if it persists.
IMAGE_NOT_PULLABLE: Final = frozenset({"ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})


def deployment_state(item: dict[str, Any]) -> DeploymentState:
    metadata = item.get("metadata") or {}
    spec = item.get("spec") or {}
    status = item.get("status") or {}
    template = spec.get("template") or {}
    metadata_of_pods = template.get("metadata") or {}
    pod_spec = template.get("spec") or {}
    # The API server defaults spec.replicas to 1 (apps/v1 SetDefaults_Deployment).
    replicas = spec.get("replicas")
    return DeploymentState(
        namespace=str(metadata.get("namespace", "")),
        name=str(metadata.get("name", "")),
        desired=int(replicas if replicas is not None else 1),
        updated=int(status.get("updatedReplicas") or 0),
        ready=int(status.get("readyReplicas") or 0),
        available=int(status.get("availableReplicas") or 0),
        current=int(status.get("replicas") or 0),
        generation=int(metadata.get("generation") or 0),
        observed_generation=int(status.get("observedGeneration") or 0),
        restarted_at=(metadata_of_pods.get("annotations") or {}).get(RESTARTED_AT),
        deadline_exceeded=_deadline_exceeded(status),
        images=tuple(
            str(container["image"])
            for kind in ("initContainers", "containers")
            for container in pod_spec.get(kind) or []
            if isinstance(container, dict) and container.get("image")
        ),
    )


def _deadline_exceeded(status: dict[str, Any]) -> str | None:
    for condition in status.get("conditions") or []:
        if (
            isinstance(condition, dict)
            and condition.get("type") == "Progressing"
            and condition.get("status") == "False"
            and condition.get("reason") == DEADLINE_EXCEEDED
        ):
            return str(condition.get("message") or DEADLINE_EXCEEDED)
    return None


def selector_text(selector: dict[str, Any]) -> str:
    """A LabelSelector object as the ``labelSelector`` query parameter writes it
    (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors)."""
    parts = [f"{key}={value}" for key, value in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = ",".join(expression.get("values") or [])
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(str(key))
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def newest_replica_set_hash(deployment: dict[str, Any], replica_sets: list[Any]) -> str | None:
    """The ``pod-template-hash`` of the deployment's newest ReplicaSet: among those it owns
    (controller ownerReference), the one of the highest revision. Once the controller has
    observed the deployment's generation, that is the ReplicaSet of its current template
    (pkg/controller/deployment/sync.go, getNewReplicaSet gives it max revision + 1)."""
    uid = (deployment.get("metadata") or {}).get("uid")
    best: tuple[int, str] | None = None
    for item in replica_sets:
        if not isinstance(item, dict):
            continue
        metadata = item.get("metadata") or {}
        owners = metadata.get("ownerReferences") or []
        if not any(o.get("uid") == uid and o.get("controller") for o in owners):
            continue
        try:
            revision = int((metadata.get("annotations") or {}).get(REVISION, "0"))
        except ValueError:
            continue
        template_hash = (metadata.get("labels") or {}).get(TEMPLATE_HASH)
        if template_hash and (best is None or revision > best[0]):
            best = (revision, str(template_hash))
    return best[1] if best else None


def stuck_pods(pods: list[Any]) -> list[StuckPod]:
    """The pods that cannot start, from a PodList's items
    (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/)."""
    found: list[StuckPod] = []
    for pod in pods:
        if not isinstance(pod, dict):
            continue
        name = str((pod.get("metadata") or {}).get("name", "?"))
        status = pod.get("status") or {}
        stuck = _unschedulable(name, status) or _image_not_pullable(name, status)
        if stuck is not None:
            found.append(stuck)
    return found


def _unschedulable(name: str, status: dict[str, Any]) -> StuckPod | None:
    # A pod no node can take stays Pending with PodScheduled False, reason Unschedulable
    # (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-conditions;
    # v1.PodReasonUnschedulable).
    if status.get("phase") != "Pending":
        return None
    for condition in status.get("conditions") or []:
        if (
            condition.get("type") == "PodScheduled"
            and condition.get("status") == "False"
            and condition.get("reason") == "Unschedulable"
        ):
            return StuckPod(
                name, "unschedulable", "Unschedulable", str(condition.get("message", ""))
            )
    return None


def _image_not_pullable(name: str, status: dict[str, Any]) -> StuckPod | None:
    containers = [
        *(status.get("initContainerStatuses") or []),
        *(status.get("containerStatuses") or []),
    ]
    for container in containers:
        waiting = (container.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason")
        if reason in IMAGE_NOT_PULLABLE:
            message = waiting.get("message") or f"image {container.get('image', '?')}"
            return StuckPod(name, "image", str(reason), str(message))
    return None
