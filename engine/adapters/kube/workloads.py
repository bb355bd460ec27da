"""Deployments and nodes of one Kubernetes cluster (``Cluster``), through the ``kubernetes``
client's ``AppsV1Api`` and ``CoreV1Api``.

Each adapter has its own ``ApiClient`` built from its own ``Configuration``
(``engine.adapters.kube.access``: an API URL and token, a kubeconfig context, the in-cluster
service account, or an EKS cluster by name); the client's process-wide default
configuration is never touched. Answers are read as raw JSON: the client's models
are slow to build and only a few fields matter. A restart is what ``kubectl rollout
restart`` does: a strategic merge patch of the pod template's ``restartedAt`` annotation.
Why a rollout cannot go on is read from the pods of the deployment's newest ReplicaSet.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import urllib3
from kubernetes.client import ApiClient, AppsV1Api, Configuration, CoreV1Api
from kubernetes.client.exceptions import ApiException

from engine.adapters.kube.rollouts import (
    RESTARTED_AT,
    TEMPLATE_HASH,
    deployment_state,
    newest_replica_set_hash,
    selector_text,
    stuck_pods,
)
from engine.cloud_ports import DeploymentState, NodeState, StuckPod
from engine.errors import (
    CloudAccessDenied,
    CloudNotFound,
    CloudRejected,
    CloudUnavailable,
    StageError,
)

__all__ = ["RESTARTED_AT", "KubeWorkloads"]


class KubeWorkloads:
    def __init__(self, configuration: Configuration, *, timeout: float = 30.0) -> None:
        configuration.retries = False
        self._api = ApiClient(configuration)
        self._apps: Any = AppsV1Api(self._api)
        self._core: Any = CoreV1Api(self._api)
        self._timeout = timeout

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        token: str | None = None,
        ca_file: str | None = None,
        timeout: float = 30.0,
    ) -> KubeWorkloads:
        """An API server at ``url``; ``token`` is a bearer token resolved by the caller."""
        configuration = Configuration()
        configuration.host = url.rstrip("/")
        if token:
            configuration.api_key = {"authorization": f"Bearer {token}"}
        if ca_file:
            configuration.ssl_ca_cert = ca_file
        return cls(configuration, timeout=timeout)

    def deployments(self, namespace: str, selector: str | None = None) -> list[DeploymentState]:
        where = f"deployments in namespace {namespace}"
        data = self._call(
            where,
            "list apps/deployments",
            self._apps.list_namespaced_deployment,
            namespace,
            label_selector=selector or None,
        )
        return [deployment_state(item) for item in data.get("items") or []]

    def deployment(self, namespace: str, name: str) -> DeploymentState:
        return deployment_state(self._read(namespace, name))

    def scale(self, namespace: str, name: str, replicas: int) -> bool:
        where = _where(namespace, name)
        current = self._call(
            where,
            "get apps/deployments/scale",
            self._apps.read_namespaced_deployment_scale,
            name,
            namespace,
        )
        if (current.get("spec") or {}).get("replicas") == replicas:
            return False
        self._call(
            where,
            "patch apps/deployments/scale",
            self._apps.patch_namespaced_deployment_scale,
            name,
            namespace,
            {"spec": {"replicas": replicas}},
        )
        return True

    def restart(self, namespace: str, name: str, at: datetime) -> bool:
        stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if deployment_state(self._read(namespace, name)).restarted_at == stamp:
            return False
        patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        self._call(
            _where(namespace, name),
            "patch apps/deployments",
            self._apps.patch_namespaced_deployment,
            name,
            namespace,
            patch,
        )
        return True

    def stuck_pods(self, namespace: str, name: str) -> list[StuckPod]:
        deployment = self._read(namespace, name)
        selector = selector_text((deployment.get("spec") or {}).get("selector") or {})
        where = _where(namespace, name)
        replica_sets = self._call(
            where,
            "list apps/replicasets",
            self._apps.list_namespaced_replica_set,
            namespace,
            label_selector=selector,
        )
        template_hash = newest_replica_set_hash(deployment, replica_sets.get("items") or [])
        if template_hash is None:
            return []
        pods = self._call(
            where,
            "list pods",
            self._core.list_namespaced_pod,
            namespace,
            label_selector=",".join(filter(None, [selector, f"{TEMPLATE_HASH}={template_hash}"])),
        )
        return stuck_pods(pods.get("items") or [])

    def nodes(self) -> list[NodeState]:
        data = self._call("nodes", "list nodes", self._core.list_node)
        return [_node(item) for item in data.get("items") or []]

    def close(self) -> None:
        self._api.close()  # type: ignore[no-untyped-call]

    def _read(self, namespace: str, name: str) -> dict[str, Any]:
        return self._call(
            _where(namespace, name),
            "get apps/deployments",
            self._apps.read_namespaced_deployment,
            name,
            namespace,
        )

    def _call(
        self, where: str, verb: str, method: Any, *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        try:
            response = method(
                *args, _request_timeout=self._timeout, _preload_content=False, **kwargs
            )
            try:
                raw = response.data
            finally:
                response.release_conn()
        except ApiException as exc:
            raise _api_error(exc, where, verb) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise CloudUnavailable(f"cannot reach the Kubernetes API for {where}: {exc}") from exc
        try:
            data = json.loads(raw)
        except ValueError:
            raise CloudUnavailable(f"the Kubernetes API did not answer JSON for {where}") from None
        if not isinstance(data, dict):
            raise CloudUnavailable(f"the Kubernetes API answered no object for {where}")
        return data


def _node(item: dict[str, Any]) -> NodeState:
    metadata = item.get("metadata") or {}
    conditions = (item.get("status") or {}).get("conditions") or []
    return NodeState(
        name=str(metadata.get("name", "")),
        ready=any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions),
        schedulable=not (item.get("spec") or {}).get("unschedulable", False),
        labels=dict(metadata.get("labels") or {}),
    )


def _api_error(exc: ApiException, where: str, verb: str) -> StageError:
    status = exc.status or 0
    reason = _reason(exc)
    if status in (401, 403):
        return CloudAccessDenied(
            f"access denied to {where}: the service account needs to {verb} ({status} {reason})",
            resource=where,
            action=verb,
        )
    if status == 404:
        return CloudNotFound(f"{where} does not exist", resource=where)
    if status in (0, 409, 429) or status >= 500:
        # 409: the object changed under us; reading it again and retrying is the cure.
        return CloudUnavailable(f"the Kubernetes API answered {status} {reason} for {where}")
    return CloudRejected(f"the Kubernetes API refused to {verb} {where}: {status} {reason}")


def _reason(exc: ApiException) -> str:
    try:
        message = json.loads(exc.body or "{}").get("message")
    except (TypeError, ValueError, AttributeError):
        message = None
    return str(message or exc.reason or "")[:200]


def _where(namespace: str, name: str) -> str:
    return f"deployment {namespace}/{name}"
