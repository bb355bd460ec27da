"""A local Kubernetes API fake: real-shaped Deployment, DeploymentList, Scale and NodeList
JSON for the real ``kubernetes`` client.

A restart (a strategic merge patch of the pod template) or a scale starts a rollout: the
deployment's generation moves on and its status shows old pods until the test calls
``complete_rollout`` — the test decides when a rollout becomes available.
"""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.cloud.http_base import FakeServer, Fault, JsonHandler

_DEPLOYMENTS = re.compile(
    r"^/apis/apps/v1/namespaces/(?P<ns>[^/]+)/deployments(?:/(?P<name>[^/]+)(?P<scale>/scale)?)?$"
)
STRATEGIC = "application/strategic-merge-patch+json"


def status_fault(status: int, reason: str, **where: Any) -> Fault:
    body = (
        f'{{"kind":"Status","apiVersion":"v1","status":"Failure","message":"{reason}",'
        f'"reason":"{reason}","code":{status}}}'
    ).encode()
    return Fault(status, body, (("Content-Type", "application/json"),), **where)


class KubeFake(FakeServer):
    def __init__(self) -> None:
        self.deployments: dict[tuple[str, str], dict[str, Any]] = {}
        self.nodes: list[dict[str, Any]] = []
        self.patches: list[tuple[str, str, Any]] = []
        """(path, content type, body) of every PATCH."""
        super().__init__(_KubeHandler)

    def reset(self) -> None:
        with self.lock:
            self.deployments.clear()
            self.nodes.clear()
            self.patches.clear()
        self.faults.clear()

    def add_deployment(self, namespace: str, name: str, replicas: int = 2) -> None:
        with self.lock:
            self.deployments[(namespace, name)] = {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "generation": 1,
                    "labels": {"app": name},
                    "uid": f"uid-{namespace}-{name}",
                    "resourceVersion": "1",
                },
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": {"app": name}},
                    "template": {
                        "metadata": {"labels": {"app": name}},
                        "spec": {"containers": [{"name": name, "image": f"{name}:1"}]},
                    },
                    "strategy": {"type": "RollingUpdate"},
                },
                "status": _settled(replicas, 1),
            }

    def add_node(self, name: str, ready: bool = True, unschedulable: bool = False) -> None:
        with self.lock:
            self.nodes.append(
                {
                    "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
                    "spec": {"unschedulable": unschedulable} if unschedulable else {},
                    "status": {
                        "conditions": [
                            {"type": "MemoryPressure", "status": "False"},
                            {"type": "Ready", "status": "True" if ready else "False"},
                        ]
                    },
                }
            )

    def complete_rollout(self, namespace: str, name: str) -> None:
        with self.lock:
            deployment = self.deployments[(namespace, name)]
            replicas = deployment["spec"]["replicas"]
            deployment["status"] = _settled(replicas, deployment["metadata"]["generation"])


def _settled(replicas: int, generation: int) -> dict[str, Any]:
    return {
        "observedGeneration": generation,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        ],
    }


def _rolling(deployment: dict[str, Any]) -> None:
    """The new generation is seen; the old pods still serve, none of the new are ready."""
    metadata = deployment["metadata"]
    metadata["generation"] += 1
    metadata["resourceVersion"] = str(int(metadata["resourceVersion"]) + 1)
    old = deployment["status"].get("availableReplicas", 0)
    replicas = deployment["spec"]["replicas"]
    deployment["status"] = {
        "observedGeneration": metadata["generation"],
        "replicas": old + replicas,
        "updatedReplicas": replicas,
        "readyReplicas": old,
        "availableReplicas": old,
        "unavailableReplicas": replicas,
        "conditions": [
            {"type": "Available", "status": "True" if old else "False"},
            {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"},
        ],
    }


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


class _KubeHandler(JsonHandler):
    def _serve(self) -> None:
        fake: KubeFake = self.owner
        if self.fault():
            return
        url = urlsplit(self.path)
        if url.path == "/api/v1/nodes" and self.command == "GET":
            with fake.lock:
                items = copy.deepcopy(fake.nodes)
            self.send(200, {"kind": "NodeList", "apiVersion": "v1", "metadata": {}, "items": items})
            return
        match = _DEPLOYMENTS.match(url.path)
        if match is None:
            self._status(404, "NotFound", f"no route {url.path}")
            return
        ns, name, scale = match["ns"], match["name"], match["scale"]
        with fake.lock:
            if name is None:
                self._list(fake, ns, parse_qs(url.query).get("labelSelector", [""])[0])
                return
            deployment = fake.deployments.get((ns, name))
            if deployment is None:
                self._status(404, "NotFound", f'deployments.apps "{name}" not found')
                return
            if self.command == "PATCH":
                content_type = self.headers.get("Content-Type", "")
                body = self.json_body()
                fake.patches.append((url.path, content_type, body))
                if content_type != STRATEGIC and not content_type.startswith("application/merge"):
                    self._status(415, "UnsupportedMediaType", content_type)
                    return
                before = deployment["spec"]["replicas"]
                if scale:
                    deployment["spec"]["replicas"] = body["spec"]["replicas"]
                else:
                    _merge(deployment["spec"], body.get("spec") or {})
                if (scale and before != deployment["spec"]["replicas"]) or not scale:
                    _rolling(deployment)
            elif self.command != "GET":
                self._status(405, "MethodNotAllowed", self.command)
                return
            self.send(200, _scale(deployment) if scale else copy.deepcopy(deployment))

    do_GET = do_PATCH = do_PUT = do_POST = _serve

    def _list(self, fake: KubeFake, ns: str, selector: str) -> None:
        wanted = dict(part.split("=", 1) for part in selector.split(",") if "=" in part)
        items = [
            copy.deepcopy(d)
            for (namespace, _), d in sorted(fake.deployments.items())
            if namespace == ns
            and all(d["metadata"]["labels"].get(k) == v for k, v in wanted.items())
        ]
        self.send(
            200,
            {"kind": "DeploymentList", "apiVersion": "apps/v1", "metadata": {}, "items": items},
        )

    def _status(self, code: int, reason: str, message: str) -> None:
        self.send(
            code,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "message": message,
                "reason": reason,
                "code": code,
            },
        )


def _scale(deployment: dict[str, Any]) -> dict[str, Any]:
    metadata = deployment["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {"name": metadata["name"], "namespace": metadata["namespace"]},
        "spec": {"replicas": deployment["spec"]["replicas"]},
        "status": {
            "replicas": deployment["status"].get("replicas", 0),
            "selector": f"app={metadata['name']}",
        },
    }
