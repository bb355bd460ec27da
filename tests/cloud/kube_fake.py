"""A local Kubernetes API server for the real ``kubernetes`` client: Deployments (with their
scale subresource), ReplicaSets, Pods and Nodes, in the API's own JSON, over http or https.

It behaves as an API server does where the product depends on it:
- a change of a Deployment's spec moves ``metadata.generation`` on, and
  ``status.observedGeneration`` lags until the controller has run (``sync``/``settle``);
- a replicas-only change (the scale subresource or a patch) rescales the ReplicaSet in
  place: no new ReplicaSet, no new ``pod-template-hash``;
- a template change rolls out through a new ReplicaSet, and a rollout that makes no progress
  for ``progressDeadlineSeconds`` gets ``Progressing`` False, ``ProgressDeadlineExceeded``;
- pods whose image cannot be pulled end in ``ImagePullBackOff``, pods no node takes stay
  ``Pending`` with ``PodScheduled`` False, ``Unschedulable`` — all visible through the pods
  API with the label selector of their Deployment;
- with ``require_auth``, a request without an accepted bearer token gets 401, as the API
  server answers a token no authenticator accepts; EKS tokens are checked as EKS's
  authenticator checks them (``tests.cloud.eks_token_check``).

The cluster behind it (``tests.cloud.kube_controller``) moves only when a test says so, or
while a ``ControllerLoop`` runs it in the background.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.cloud.eks_token_check import EksTokenCheck
from tests.cloud.kube_controller import ClusterState
from tests.cloud.kube_objects import (
    deployment,
    json_merge,
    node,
    selector_matches,
    status_body,
    strategic_merge,
)
from tests.support.http_fake import FakeServer, Fault, JsonHandler

STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
_APPS = re.compile(
    r"^/apis/apps/v1/namespaces/(?P<ns>[^/]+)/(?P<kind>deployments|replicasets)"
    r"(?:/(?P<name>[^/]+)(?P<scale>/scale)?)?$"
)
_PODS = re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/pods$")


def status_fault(status: int, reason: str, **where: Any) -> Fault:
    body = json.dumps(status_body(status, reason, reason)).encode()
    return Fault(status, body, (("Content-Type", "application/json"),), **where)


class KubeFake(FakeServer):
    def __init__(self, *, tls: Any = None) -> None:
        self.skew = timedelta(0)
        self.cluster = ClusterState(self.now)
        self.patches: list[tuple[str, str, Any]] = []
        """(path, content type, body) of every PATCH."""
        self.requests: list[tuple[str, str]] = []
        """(method, path with query) of every request."""
        self.require_auth = False
        self.tokens: set[str] = set()
        """Static bearer tokens accepted when ``require_auth`` is on."""
        self.eks: EksTokenCheck | None = None
        """Accepts EKS tokens for this cluster when ``require_auth`` is on."""
        self.authorized: list[str] = []
        """How each accepted request authenticated: ``static`` or ``eks``."""
        super().__init__(_KubeHandler, tls=tls)

    # -- the test's handles

    @property
    def deployments(self) -> dict[tuple[str, str], Any]:
        return self.cluster.deployments

    def now(self) -> datetime:
        return datetime.now(UTC) + self.skew

    def advance(self, seconds: float) -> None:
        """Move the cluster's clock on (progress deadlines are measured on it)."""
        with self.lock:
            self.skew += timedelta(seconds=seconds)

    def reset(self) -> None:
        with self.lock:
            self.skew = timedelta(0)
            self.cluster = ClusterState(self.now)
            self.patches.clear()
            self.requests.clear()
            self.authorized.clear()
            self.require_auth = False
            self.tokens = set()
            self.eks = None
        self.faults.clear()

    def add_deployment(
        self, namespace: str, name: str, replicas: int = 2, *, image: str | None = None
    ) -> None:
        """A Deployment as ``kubectl create`` leaves it once the cluster has settled."""
        with self.lock:
            created = deployment(namespace, name, replicas, image or f"{name}:1", self.now())
            self.cluster.touch(created)
            self.cluster.deployments[(namespace, name)] = created
        self.settle()

    def add_node(
        self,
        name: str,
        ready: str | None = "True",
        *,
        unschedulable: bool = False,
        labels: dict[str, str] | None = None,
    ) -> None:
        """A node joins; ``ready`` is its Ready condition's status (see ``node``)."""
        with self.lock:
            self.cluster.nodes.append(
                node(name, ready, unschedulable=unschedulable, labels=labels, at=self.now())
            )

    def sync(self) -> bool:
        """One pass of the cluster's controllers; whether anything changed."""
        with self.lock:
            return self.cluster.sync()

    def settle(self, passes: int = 50) -> None:
        """Run the controllers until nothing changes any more."""
        for _ in range(passes):
            if not self.sync():
                return
        raise AssertionError("the Kubernetes fake did not settle")

    def complete_rollout(self, namespace: str, name: str) -> None:
        """Let the cluster run until it has nothing left to do (every rollout that can
        finish has)."""
        self.settle()

    def crash_pods(self, namespace: str, name: str) -> None:
        """The running pods of a deployment crash (CrashLoopBackOff) until replaced."""
        with self.lock:
            selector = self.cluster.deployments[(namespace, name)]["spec"]["selector"]
            wanted = selector.get("matchLabels", {})
            for key, pod in self.cluster.pods.items():
                labels = pod["metadata"].get("labels", {})
                if key[0] == namespace and all(labels.get(k) == v for k, v in wanted.items()):
                    self.cluster.crashing.add(key)
        self.settle()

    def pods(self, namespace: str) -> list[Any]:
        with self.lock:
            return [copy.deepcopy(p) for (ns, _), p in self.cluster.pods.items() if ns == namespace]


class ControllerLoop:
    """Runs the fake's controllers every ``period`` seconds in the background, as a cluster's
    controllers run by themselves."""

    def __init__(self, kube: KubeFake, period: float = 0.02) -> None:
        self._kube = kube
        self._period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ControllerLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            self._kube.sync()


class _KubeHandler(JsonHandler):
    def _serve(self) -> None:
        fake: KubeFake = self.owner
        url = urlsplit(self.path)
        with fake.lock:
            fake.requests.append((self.command, self.path))
        if fake.require_auth and not self._authenticated(fake):
            # An unauthenticated request is refused before anything else
            # (https://kubernetes.io/docs/reference/access-authn-authz/authentication/).
            self.body()
            self.send(401, status_body(401, "Unauthorized", "Unauthorized"))
            return
        if self.fault():
            return
        query = parse_qs(url.query)
        selector = query.get("labelSelector", [""])[0]
        if url.path == "/api/v1/nodes" and self.command == "GET":
            with fake.lock:
                items = [
                    copy.deepcopy(n)
                    for n in fake.cluster.nodes
                    if selector_matches(selector, n["metadata"].get("labels", {}))
                ]
            self.send(200, _list("NodeList", "v1", items))
            return
        pods = _PODS.match(url.path)
        if pods is not None and self.command == "GET":
            with fake.lock:
                self.send(
                    200, _list("PodList", "v1", _select(fake.cluster.pods, pods["ns"], selector))
                )
            return
        match = _APPS.match(url.path)
        if match is None:
            self._not_found(f"the server could not find the requested resource ({url.path})")
            return
        ns, kind, name = match["ns"], match["kind"], match["name"]
        with fake.lock:
            store = fake.cluster.deployments if kind == "deployments" else fake.cluster.replica_sets
            if name is None and self.command == "GET":
                list_kind = "DeploymentList" if kind == "deployments" else "ReplicaSetList"
                self.send(200, _list(list_kind, "apps/v1", _select(store, ns, selector)))
                return
            obj = store.get((ns, name)) if name else None
            if obj is None:
                self._not_found(f'{kind}.apps "{name}" not found', name=name, kind=kind)
                return
            if self.command == "PATCH" and kind == "deployments":
                if not self._patch(fake, obj, bool(match["scale"])):
                    return
            elif self.command != "GET":
                self.send(
                    405, status_body(405, "MethodNotAllowed", f"{self.command} is not served here")
                )
                return
            self.send(200, _scale(obj) if match["scale"] else copy.deepcopy(obj))

    do_GET = do_PATCH = do_PUT = do_POST = do_DELETE = _serve

    def _authenticated(self, fake: KubeFake) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return False
        token = header[len("Bearer ") :]
        if token in fake.tokens:
            how = "static"
        elif fake.eks is not None and fake.eks.accepts(token, fake.now()):
            how = "eks"
        else:
            return False
        with fake.lock:
            fake.authorized.append(how)
        return True

    def _patch(self, fake: KubeFake, obj: Any, scale: bool) -> bool:
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
        body = self.json_body()
        fake.patches.append((urlsplit(self.path).path, content_type, body))
        if content_type not in (STRATEGIC, MERGE):
            self.send(
                415,
                status_body(
                    415,
                    "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types "
                    f"include: {STRATEGIC}, {MERGE}",
                ),
            )
            return False
        merge = strategic_merge if content_type == STRATEGIC else json_merge
        if scale:
            # The scale subresource changes spec.replicas only (registry/apps/deployment
            # storage.go ScaleREST.Update).
            replicas = (body.get("spec") or {}).get("replicas")
            spec = {**obj["spec"], "replicas": replicas}
        else:
            spec = merge(obj["spec"], body.get("spec") or {})
            if "metadata" in body:
                obj["metadata"] = merge(obj["metadata"], body["metadata"])
        replicas = spec.get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            self.send(
                422,
                status_body(
                    422,
                    "Invalid",
                    f'Deployment.apps "{obj["metadata"]["name"]}" is invalid: spec.replicas: '
                    f"Invalid value: {replicas}: must be greater than or equal to 0",
                ),
            )
            return False
        if spec != obj["spec"]:
            # A spec change moves the generation on; the controller's observedGeneration
            # catches up on its next sync (registry/apps/deployment/strategy.go
            # PrepareForUpdate). A patch that changes nothing keeps both.
            obj["spec"] = spec
            obj["metadata"]["generation"] += 1
            fake.cluster.touch(obj)
        return True

    def _not_found(self, message: str, **details: Any) -> None:
        self.send(404, status_body(404, "NotFound", message, **details))


def _list(kind: str, api_version: str, items: list[Any]) -> Any:
    return {
        "kind": kind,
        "apiVersion": api_version,
        "metadata": {"resourceVersion": "1"},
        "items": items,
    }


def _select(store: dict[tuple[str, str], Any], namespace: str, selector: str) -> list[Any]:
    return [
        copy.deepcopy(obj)
        for (ns, _), obj in sorted(store.items(), key=lambda kv: kv[0])
        if ns == namespace and selector_matches(selector, obj["metadata"].get("labels", {}))
    ]


def _scale(obj: Any) -> Any:
    """The autoscaling/v1 Scale of a Deployment: its selector as a label-selector string
    (https://kubernetes.io/docs/reference/kubernetes-api/autoscaling-v1/scale-v1/)."""
    metadata = obj["metadata"]
    labels = obj["spec"]["selector"].get("matchLabels", {})
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": metadata["name"],
            "namespace": metadata["namespace"],
            "uid": metadata["uid"],
            "resourceVersion": metadata["resourceVersion"],
            "creationTimestamp": metadata["creationTimestamp"],
        },
        "spec": {"replicas": obj["spec"]["replicas"]},
        "status": {
            "replicas": obj["status"].get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
        },
    }
