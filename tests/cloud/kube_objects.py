"""The shapes the Kubernetes API fake serves and the small API-machinery rules it follows:
object skeletons with the API server's defaults, label selectors, strategic merge patch,
Status errors and timestamps. Each rule cites the document or source it follows."""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
from datetime import UTC, datetime
from typing import Any

REVISION = "deployment.kubernetes.io/revision"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
TEMPLATE_HASH = "pod-template-hash"

_uids = itertools.count(1)


def stamp(at: datetime) -> str:
    """metav1.Time on the wire: RFC 3339 in UTC, whole seconds."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uid() -> str:
    return f"00000000-0000-4000-8000-{next(_uids):012d}"


def deployment(namespace: str, name: str, replicas: int, image: str, at: datetime) -> Any:
    """A Deployment as the API server stores it after create, with apps/v1's defaults
    (pkg/apis/apps/v1/defaults.go SetDefaults_Deployment: RollingUpdate with maxSurge and
    maxUnavailable 25%, revisionHistoryLimit 10, progressDeadlineSeconds 600) and
    generation 1 (pkg/registry/apps/deployment/strategy.go PrepareForCreate)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": new_uid(),
            "generation": 1,
            "resourceVersion": "1",
            "creationTimestamp": stamp(at),
            "labels": {"app": name},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": image}]},
            },
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
        "status": {},
    }


def node(
    name: str,
    ready: str | None = "True",
    *,
    unschedulable: bool = False,
    labels: dict[str, str] | None = None,
    at: datetime = datetime(2026, 1, 1, tzinfo=UTC),
) -> Any:
    """A v1 Node as the kubelet reports it. ``ready`` is its Ready condition's status: "True",
    "False", or "Unknown" when the node controller has not heard from the kubelet within
    its grace period (https://kubernetes.io/docs/reference/node/node-status/#condition);
    ``None`` leaves the condition out, as before the kubelet's first status report."""
    conditions: list[Any] = [
        {
            "type": "MemoryPressure",
            "status": "False",
            "reason": "KubeletHasSufficientMemory",
            "lastHeartbeatTime": stamp(at),
            "lastTransitionTime": stamp(at),
        }
    ]
    if ready is not None:
        conditions.append(
            {
                "type": "Ready",
                "status": ready,
                "reason": "KubeletReady" if ready == "True" else "KubeletNotReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": stamp(at),
                "lastTransitionTime": stamp(at),
            }
        )
    return {
        "metadata": {
            "name": name,
            "uid": new_uid(),
            "resourceVersion": "1",
            "creationTimestamp": stamp(at),
            "labels": labels or {"kubernetes.io/hostname": name},
        },
        "spec": {
            "providerID": f"aws:///us-east-1a/i-{name}",
            **({"unschedulable": True} if unschedulable else {}),
        },
        "status": {
            "conditions": conditions,
            "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
            "nodeInfo": {"kubeletVersion": "v1.30.0", "architecture": "amd64"},
        },
    }


def template_hash(template: Any) -> str:
    """A stable hash of a pod template. The controller's is FNV-32a of the template, encoded
    with rand.SafeEncodeString (pkg/controller/controller_utils.go ComputeHash): the same
    template always gives the same hash, another template another one."""
    digest = hashlib.sha256(repr(_canonical(template)).encode()).digest()
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:10])


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_canonical(v) for v in value)
    return value


# -- label selectors (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/)

_SET = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def selector_matches(selector: str, labels: dict[str, str]) -> bool:
    """Whether ``labels`` satisfy a ``labelSelector`` query: ``k=v``, ``k==v``, ``k!=v``,
    ``k in (a,b)``, ``k notin (a)``, ``k`` and ``!k``, all of them (a comma is AND)."""
    for requirement in _split(selector):
        found = _SET.match(requirement)
        if found:
            key, operator, values = found.groups()
            allowed = {v.strip() for v in values.split(",")}
            if (labels.get(key) in allowed) != (operator == "in"):
                return False
        elif "!=" in requirement:
            key, value = (p.strip() for p in requirement.split("!=", 1))
            if labels.get(key) == value:
                return False
        elif "=" in requirement:
            key, value = (p.strip() for p in requirement.replace("==", "=").split("=", 1))
            if labels.get(key) != value:
                return False
        elif requirement.startswith("!"):
            if requirement[1:].strip() in labels:
                return False
        elif requirement not in labels:
            return False
    return True


def _split(selector: str) -> list[str]:
    """Requirements separated by commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


# -- patches

# Lists the strategic merge patch merges element by element, by their patchMergeKey
# (k8s.io/api/core/v1/types.go: containers, initContainers, env, volumes ... by "name").
_MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name", "volumes": "name"}


def strategic_merge(target: Any, patch: Any) -> Any:
    """``patch`` applied to ``target`` as a strategic merge patch: maps merge key by key, a
    null deletes the key, lists with a merge key merge by it, other lists are replaced
    (https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/)."""
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            result[key] = strategic_merge(result.get(key), value)
        elif isinstance(value, list) and key in _MERGE_KEYS and isinstance(result.get(key), list):
            result[key] = _merge_list(result[key], value, _MERGE_KEYS[key])
        else:
            result[key] = copy.deepcopy(value)
    return result


def json_merge(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (``application/merge-patch+json``): lists are replaced."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge(result.get(key), value)
    return result


def _merge_list(current: list[Any], patch: list[Any], key: str) -> list[Any]:
    merged = [copy.deepcopy(item) for item in current]
    for item in patch:
        index = next((i for i, c in enumerate(merged) if c.get(key) == item.get(key)), None)
        if index is None:
            merged.append(copy.deepcopy(item))
        else:
            merged[index] = strategic_merge(merged[index], item)
    return merged


def status_body(code: int, reason: str, message: str, **details: Any) -> Any:
    """A metav1.Status failure, as every API error is answered
    (https://kubernetes.io/docs/reference/using-api/api-concepts/#response-status-kind)."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body
