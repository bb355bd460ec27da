"""What a cluster does behind the API server of the Kubernetes fake, one pass at a time: the
scheduler and kubelet move pods on, the ReplicaSet controller makes and removes pods, the
Deployment controller rolls out (RollingUpdate) and writes the status and conditions.

Each rule cites the kubernetes/kubernetes source it follows. A test decides when the cluster
moves (``ClusterState.sync``); nothing moves between passes, as nothing would between two
resyncs of the real controllers. Left out: the Recreate strategy, proportional scaling of a
rollout in flight, minReadySeconds, graceful pod termination and ReplicaSet history cleanup.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.cloud.kube_objects import (
    DESIRED,
    MAX_REPLICAS,
    REVISION,
    TEMPLATE_HASH,
    new_uid,
    stamp,
    template_hash,
)

Key = tuple[str, str]

# Reasons of the Deployment conditions (pkg/controller/deployment/util/deployment_util.go).
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"


class ClusterState:
    """The objects behind the API server and the knobs of the cluster they run on."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self.deployments: dict[Key, Any] = {}
        self.replica_sets: dict[Key, Any] = {}
        self.pods: dict[Key, Any] = {}
        self.nodes: list[Any] = []
        self.unpullable: set[str] = set()
        """Images no registry serves: their pods end in ImagePullBackOff."""
        self.pod_capacity: int | None = None
        """How many pods the nodes hold in all; ``None`` for no limit."""
        self.crashing: set[Key] = set()
        """Pods whose container crashes (CrashLoopBackOff) until they are replaced."""
        self.crashing_images: set[str] = set()
        """Images whose containers always crash (a bad release)."""
        self._resource_version = 1

    def touch(self, obj: Any) -> None:
        self._resource_version += 1
        obj["metadata"]["resourceVersion"] = str(self._resource_version)

    def sync(self) -> bool:
        """One pass of the scheduler and kubelets, then the ReplicaSet controller, then the
        Deployment controller; whether anything changed."""
        before = repr((self.deployments, self.replica_sets, self.pods))
        for key in list(self.pods):
            _Kubelet(self, key).step()
        for key in list(self.replica_sets):
            _ReplicaSetController(self, key).sync()
        for key in list(self.deployments):
            _DeploymentController(self, key).sync()
        for key in list(self.replica_sets):
            _ReplicaSetController(self, key).write_status()
        return repr((self.deployments, self.replica_sets, self.pods)) != before

    def owned(self, kind: dict[Key, Any], owner: Any) -> list[Any]:
        uid = owner["metadata"]["uid"]
        return [
            obj
            for obj in kind.values()
            if any(o["uid"] == uid for o in obj["metadata"].get("ownerReferences", []))
        ]


# -- pods: the scheduler and the kubelet


def pod_ready(pod: Any) -> bool:
    return any(
        c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", [])
    )


class _Kubelet:
    def __init__(self, cluster: ClusterState, key: Key) -> None:
        self.cluster = cluster
        self.key = key
        self.pod = cluster.pods[key]

    def step(self) -> None:
        spec, status = self.pod["spec"], self.pod["status"]
        now = stamp(self.cluster.now())
        if not spec.get("nodeName"):
            self._schedule(now)
            return
        containers = spec["containers"]
        if self.key in self.cluster.crashing or any(
            c["image"] in self.cluster.crashing_images for c in containers
        ):
            # A container that keeps exiting is restarted with back-off; the pod stays
            # Running but not ready (pod-lifecycle: container restart policy).
            self._set(
                "Running",
                now,
                ready=False,
                states=[
                    _waiting(
                        c, "CrashLoopBackOff", f"back-off restarting failed container {c['name']}"
                    )
                    for c in containers
                ],
            )
            return
        bad = [c for c in containers if c["image"] in self.cluster.unpullable]
        if bad:
            # First failure ErrImagePull, then ImagePullBackOff while the kubelet backs off
            # (https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff).
            pulled_once = any(
                (s.get("state") or {}).get("waiting", {}).get("reason") == "ErrImagePull"
                or (s.get("state") or {}).get("waiting", {}).get("reason") == "ImagePullBackOff"
                for s in status.get("containerStatuses", [])
            )
            reason = "ImagePullBackOff" if pulled_once else "ErrImagePull"
            states = [
                _waiting(c, reason, f'Back-off pulling image "{c["image"]}"')
                if c in bad
                else _waiting(c, "PodInitializing", "")
                for c in containers
            ]
            self._set("Pending", now, ready=False, states=states)
            return
        self._set("Running", now, ready=True, states=[_running(c, now) for c in containers])

    def _schedule(self, now: str) -> None:
        cluster = self.cluster
        placed = sum(1 for p in cluster.pods.values() if p["spec"].get("nodeName"))
        nodes = [
            n["metadata"]["name"]
            for n in cluster.nodes
            if not n["spec"].get("unschedulable")
            and any(
                c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"]
            )
        ] or (["node-0"] if not cluster.nodes else [])
        status = self.pod["status"]
        if nodes and (cluster.pod_capacity is None or placed < cluster.pod_capacity):
            self.pod["spec"]["nodeName"] = nodes[placed % len(nodes)]
            status["conditions"] = [_condition("PodScheduled", "True", now)]
            return
        total = len(cluster.nodes) or 1
        # The scheduler's message (pkg/scheduler/framework/types.go FitError.Error).
        why = f"{total} Insufficient cpu" if nodes else f"{total} node(s) were unschedulable"
        status["phase"] = "Pending"
        status["conditions"] = [
            _condition(
                "PodScheduled",
                "False",
                now,
                reason="Unschedulable",
                message=f"0/{total} nodes are available: {why}.",
            )
        ]

    def _set(self, phase: str, now: str, *, ready: bool, states: list[Any]) -> None:
        status = self.pod["status"]
        status["phase"] = phase
        status.setdefault("startTime", now)
        flag = "True" if ready else "False"
        reason = None if ready else "ContainersNotReady"
        status["conditions"] = [
            _condition("PodScheduled", "True", now),
            _condition("Initialized", "True", now),
            _condition("ContainersReady", flag, now, reason=reason),
            _condition("Ready", flag, now, reason=reason),
        ]
        status["containerStatuses"] = states


def _condition(kind: str, value: str, now: str, **extra: str | None) -> Any:
    condition = {"type": kind, "status": value, "lastProbeTime": None, "lastTransitionTime": now}
    condition.update({k: v for k, v in extra.items() if v is not None})
    return condition


def _waiting(container: Any, reason: str, message: str) -> Any:
    return {
        "name": container["name"],
        "image": container["image"],
        "imageID": "",
        "ready": False,
        "restartCount": 0,
        "started": False,
        "state": {"waiting": {"reason": reason, "message": message}},
    }


def _running(container: Any, now: str) -> Any:
    return {
        "name": container["name"],
        "image": container["image"],
        "imageID": f"docker.io/library/{container['image']}@sha256:{'0' * 64}",
        "ready": True,
        "restartCount": 0,
        "started": True,
        "state": {"running": {"startedAt": now}},
    }


# -- ReplicaSets (pkg/controller/replicaset/replica_set.go)


class _ReplicaSetController:
    def __init__(self, cluster: ClusterState, key: Key) -> None:
        self.cluster = cluster
        self.rs = cluster.replica_sets[key]

    def pods(self) -> list[Any]:
        return self.cluster.owned(self.cluster.pods, self.rs)

    def sync(self) -> None:
        pods = self.pods()
        want = self.rs["spec"]["replicas"]
        if len(pods) < want:
            for _ in range(want - len(pods)):
                self._create_pod()
        elif len(pods) > want:
            # Which pods go first (pkg/controller/controller_utils.go ActivePods ordering):
            # unscheduled before scheduled, pending before running, not ready before ready,
            # then the newest.
            doomed = sorted(
                pods,
                key=lambda p: (
                    bool(p["spec"].get("nodeName")),
                    p["status"].get("phase") == "Running",
                    pod_ready(p),
                    -_order(p),
                ),
            )[: len(pods) - want]
            for pod in doomed:
                key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
                del self.cluster.pods[key]
                self.cluster.crashing.discard(key)

    def write_status(self) -> None:
        pods = self.pods()
        ready = sum(1 for p in pods if pod_ready(p))
        self.rs["status"] = {
            "replicas": len(pods),
            "fullyLabeledReplicas": len(pods),
            "readyReplicas": ready,
            # minReadySeconds is 0: a ready pod is available at once.
            "availableReplicas": ready,
            "observedGeneration": self.rs["metadata"]["generation"],
        }

    def _create_pod(self) -> None:
        metadata = self.rs["metadata"]
        template = copy.deepcopy(self.rs["spec"]["template"])
        suffix = new_uid()[-5:]
        name = f"{metadata['name']}-{suffix}"
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                **template.get("metadata", {}),
                "name": name,
                "namespace": metadata["namespace"],
                "uid": new_uid(),
                "creationTimestamp": stamp(self.cluster.now()),
                "ownerReferences": [_owner("ReplicaSet", self.rs)],
            },
            "spec": template["spec"],
            "status": {"phase": "Pending", "qosClass": "BestEffort"},
        }
        self.cluster.touch(pod)
        self.cluster.pods[(metadata["namespace"], name)] = pod


def _order(obj: Any) -> int:
    return int(obj["metadata"]["resourceVersion"])


def _owner(kind: str, owner: Any) -> Any:
    api = "apps/v1"
    return {
        "apiVersion": api,
        "kind": kind,
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


# -- Deployments (pkg/controller/deployment: sync.go, rolling.go, progress.go, util/)


def _percent(value: Any, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if isinstance(value, int):
        return value
    scaled = int(str(value).rstrip("%")) * total / 100
    return math.ceil(scaled) if round_up else math.floor(scaled)


def fenceposts(d: Any) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as deployment_util.go ResolveFenceposts resolves them: surge
    rounds up, unavailable down, and both zero make unavailable 1."""
    desired = d["spec"]["replicas"]
    rolling = d["spec"]["strategy"].get("rollingUpdate") or {}
    surge = _percent(rolling.get("maxSurge", "25%"), desired, True)
    unavailable = _percent(rolling.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_unavailable(d: Any) -> int:
    """deployment_util.go MaxUnavailable: never more than the desired replicas."""
    desired = d["spec"]["replicas"]
    if desired == 0:
        return 0
    return min(fenceposts(d)[1], desired)


class _DeploymentController:
    def __init__(self, cluster: ClusterState, key: Key) -> None:
        self.cluster = cluster
        self.d = cluster.deployments[key]
        self.desired: int = self.d["spec"]["replicas"]

    def sync(self) -> None:
        all_rs = self.cluster.owned(self.cluster.replica_sets, self.d)
        new_rs, created = self._new_replica_set(all_rs)
        all_rs = self.cluster.owned(self.cluster.replica_sets, self.d)
        old = [rs for rs in all_rs if rs is not new_rs]
        if not created and self._scaling_event(all_rs):
            # sync.go sync(): a replicas-only change scales the ReplicaSets in place; no new
            # ReplicaSet, no rollout, and the status is written without estimating progress.
            if not any(rs["spec"]["replicas"] for rs in old):
                self._scale(new_rs, self.desired)
            self._write_status(all_rs, new_rs, estimate_progress=False)
            return
        # rolling.go rolloutRolling: scale the new ReplicaSet up, else the old ones down.
        if not self._reconcile_new(new_rs, all_rs):
            self._reconcile_old(old, new_rs, all_rs)
        self._write_status(all_rs, new_rs, estimate_progress=True)

    # -- the new ReplicaSet (sync.go getNewReplicaSet)

    def _new_replica_set(self, all_rs: list[Any]) -> tuple[Any, bool]:
        template = self.d["spec"]["template"]
        wanted = template_hash(template)
        revisions = [int(rs["metadata"]["annotations"].get(REVISION, "0")) for rs in all_rs]
        newest = max(revisions, default=0)
        for rs in all_rs:
            if rs["metadata"]["labels"].get(TEMPLATE_HASH) == wanted:
                if int(rs["metadata"]["annotations"][REVISION]) < newest:
                    # An older template again (a rollback): its ReplicaSet becomes the newest.
                    rs["metadata"]["annotations"][REVISION] = str(newest + 1)
                    self.cluster.touch(rs)
                    self._set_progressing(
                        "True", FOUND_NEW_RS, f'Found new replica set "{rs["metadata"]["name"]}"'
                    )
                return rs, False
        metadata = self.d["metadata"]
        labels = {**template["metadata"].get("labels", {}), TEMPLATE_HASH: wanted}
        rs_template = copy.deepcopy(template)
        rs_template["metadata"]["labels"] = labels
        name = f"{metadata['name']}-{wanted}"
        surge = fenceposts(self.d)[0]
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": metadata["namespace"],
                "uid": new_uid(),
                "generation": 1,
                "creationTimestamp": stamp(self.cluster.now()),
                "labels": labels,
                "annotations": {
                    REVISION: str(newest + 1),
                    DESIRED: str(self.desired),
                    MAX_REPLICAS: str(self.desired + surge),
                },
                "ownerReferences": [_owner("Deployment", self.d)],
            },
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": dict(labels)},
                "template": rs_template,
            },
            "status": {"replicas": 0},
        }
        self.cluster.touch(rs)
        self.cluster.replica_sets[(metadata["namespace"], name)] = rs
        rs["spec"]["replicas"] = self._new_rs_replicas(rs, [*all_rs, rs])
        # A new ReplicaSet restarts the progress clock (sync.go getNewReplicaSet).
        self._set_progressing("True", NEW_RS_CREATED, f'Created new replica set "{name}"')
        return rs, True

    def _scaling_event(self, all_rs: list[Any]) -> bool:
        """sync.go isScalingEvent: an active ReplicaSet was sized for other desired replicas."""
        return any(
            rs["spec"]["replicas"] > 0
            and rs["metadata"]["annotations"].get(DESIRED) != str(self.desired)
            for rs in all_rs
        )

    def _scale(self, rs: Any, replicas: int) -> None:
        annotations = rs["metadata"]["annotations"]
        desired = str(self.desired)
        max_replicas = str(self.desired + fenceposts(self.d)[0])
        if rs["spec"]["replicas"] == replicas and annotations.get(DESIRED) == desired:
            return
        rs["spec"]["replicas"] = replicas
        annotations[DESIRED] = desired
        annotations[MAX_REPLICAS] = max_replicas
        rs["metadata"]["generation"] += 1
        self.cluster.touch(rs)

    def _new_rs_replicas(self, new_rs: Any, all_rs: list[Any]) -> int:
        """deployment_util.go NewRSNewReplicas: up to desired + maxSurge pods in all."""
        current = sum(rs["spec"]["replicas"] for rs in all_rs)
        most = self.desired + fenceposts(self.d)[0]
        if current >= most:
            return int(new_rs["spec"]["replicas"])
        grow = min(most - current, self.desired - new_rs["spec"]["replicas"])
        return int(new_rs["spec"]["replicas"] + max(grow, 0))

    def _reconcile_new(self, new_rs: Any, all_rs: list[Any]) -> bool:
        """rolling.go reconcileNewReplicaSet."""
        size = new_rs["spec"]["replicas"]
        if size == self.desired:
            self._scale(new_rs, size)  # keeps the annotations in step
            return False
        target = self.desired if size > self.desired else self._new_rs_replicas(new_rs, all_rs)
        self._scale(new_rs, target)
        return target != size

    def _reconcile_old(self, old: list[Any], new_rs: Any, all_rs: list[Any]) -> None:
        """rolling.go reconcileOldReplicaSets, cleanupUnhealthyReplicas and
        scaleDownOldReplicaSetsForRollingUpdate."""
        if not sum(rs["spec"]["replicas"] for rs in old):
            return
        all_pods = sum(rs["spec"]["replicas"] for rs in all_rs)
        min_available = self.desired - max_unavailable(self.d)
        new_unavailable = new_rs["spec"]["replicas"] - new_rs["status"].get("availableReplicas", 0)
        budget = all_pods - min_available - new_unavailable
        if budget <= 0:
            return
        oldest_first = sorted(old, key=lambda rs: int(rs["metadata"]["annotations"][REVISION]))
        cleaned = 0
        for rs in oldest_first:
            if cleaned >= budget:
                break
            unhealthy = rs["spec"]["replicas"] - rs["status"].get("availableReplicas", 0)
            if rs["spec"]["replicas"] == 0 or unhealthy <= 0:
                continue
            down = min(budget - cleaned, unhealthy)
            self._scale(rs, rs["spec"]["replicas"] - down)
            cleaned += down
        available = sum(rs["status"].get("availableReplicas", 0) for rs in all_rs)
        if available <= min_available:
            return
        to_remove = available - min_available
        removed = 0
        for rs in oldest_first:
            if removed >= to_remove:
                break
            if rs["spec"]["replicas"] == 0:
                continue
            down = min(rs["spec"]["replicas"], to_remove - removed)
            self._scale(rs, rs["spec"]["replicas"] - down)
            removed += down

    # -- status (sync.go calculateStatus, progress.go syncRolloutStatus)

    def _write_status(self, all_rs: list[Any], new_rs: Any, *, estimate_progress: bool) -> None:
        old_status = copy.deepcopy(self.d["status"])
        available = sum(rs["status"].get("availableReplicas", 0) for rs in all_rs)
        total = sum(rs["spec"]["replicas"] for rs in all_rs)
        status = self.d["status"]
        status["observedGeneration"] = self.d["metadata"]["generation"]
        status["replicas"] = sum(rs["status"].get("replicas", 0) for rs in all_rs)
        status["updatedReplicas"] = new_rs["status"].get("replicas", 0)
        status["readyReplicas"] = sum(rs["status"].get("readyReplicas", 0) for rs in all_rs)
        status["availableReplicas"] = available
        status["unavailableReplicas"] = max(total - available, 0)
        if available >= self.desired - max_unavailable(self.d):
            self._set_condition(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
            )
        else:
            self._set_condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        if estimate_progress:
            self._progress(old_status, new_rs)

    def _progress(self, old: Any, new_rs: Any) -> None:
        status = self.d["status"]
        current = _find(old.get("conditions", []), "Progressing")
        complete_before = (
            status["replicas"] == status["updatedReplicas"]
            and current is not None
            and current.get("reason") == NEW_RS_AVAILABLE
        )
        if complete_before:
            # progress.go: a resync of a finished rollout (a scale-up too) estimates nothing,
            # so pods that never start after a scale-up never time the rollout out.
            return
        name = new_rs["metadata"]["name"]
        if (
            status["updatedReplicas"] == self.desired
            and status["replicas"] == self.desired
            and status["availableReplicas"] >= self.desired - max_unavailable(self.d)
            and status["observedGeneration"] >= self.d["metadata"]["generation"]
        ):
            self._set_progressing(
                "True", NEW_RS_AVAILABLE, f'ReplicaSet "{name}" has successfully progressed.'
            )
        elif (
            status["updatedReplicas"] > old.get("updatedReplicas", 0)
            or status["replicas"] - status["updatedReplicas"]
            < old.get("replicas", 0) - old.get("updatedReplicas", 0)
            or status["readyReplicas"] > old.get("readyReplicas", 0)
            or status["availableReplicas"] > old.get("availableReplicas", 0)
        ):
            self._set_progressing(
                "True", RS_UPDATED, f'ReplicaSet "{name}" is progressing.', renew=True
            )
        elif self._timed_out():
            self._set_progressing(
                "False", TIMED_OUT, f'ReplicaSet "{name}" has timed out progressing.'
            )

    def _timed_out(self) -> bool:
        """deployment_util.go DeploymentTimedOut: no progress reported for
        progressDeadlineSeconds since the condition's lastUpdateTime."""
        condition = _find(self.d["status"].get("conditions", []), "Progressing")
        if condition is None or condition.get("reason") == NEW_RS_AVAILABLE:
            return False
        if condition.get("reason") == TIMED_OUT:
            return True
        deadline = self.d["spec"].get("progressDeadlineSeconds")
        if deadline is None:
            return False
        since = datetime.fromisoformat(condition["lastUpdateTime"].replace("Z", "+00:00"))
        return (self.cluster.now() - since).total_seconds() > deadline

    def _set_progressing(
        self, value: str, reason: str, message: str, *, renew: bool = False
    ) -> None:
        self._set_condition("Progressing", value, reason, message, renew=renew)

    def _set_condition(
        self, kind: str, value: str, reason: str, message: str, *, renew: bool = False
    ) -> None:
        """deployment_util.go SetDeploymentCondition: the same status and reason change
        nothing (unless ``renew``: progress.go refreshes lastUpdateTime on progress); a new
        status starts a new lastTransitionTime."""
        conditions = self.d["status"].setdefault("conditions", [])
        now = stamp(self.cluster.now())
        current = _find(conditions, kind)
        if (
            current is not None
            and current["status"] == value
            and current["reason"] == reason
            and not renew
        ):
            return
        transition = (
            current["lastTransitionTime"] if current and current["status"] == value else now
        )
        replacement = {
            "type": kind,
            "status": value,
            "lastUpdateTime": now,
            "lastTransitionTime": transition,
            "reason": reason,
            "message": message,
        }
        self.d["status"]["conditions"] = [c for c in conditions if c["type"] != kind] + [
            replacement
        ]


def _find(conditions: list[Any], kind: str) -> Any:
    return next((c for c in conditions if c["type"] == kind), None)
