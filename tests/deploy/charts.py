"""Rendering the charts with Helm's own engine (helm-python-sdk, offline) and reading what it
renders as Kubernetes objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from helm_python.chart import Chart

ROOT = Path(__file__).resolve().parents[2]
BOT_CHART = ROOT / "charts" / "cloudphoenix"
REFERENCE_CHART = ROOT / "charts" / "reference-services"
ACCESS_CHART = ROOT / "charts" / "cloudphoenix-access"
NAMESPACE = "cloudphoenix"

# Several replicas behind the bundled Redis, both cloud identities, RBAC in two namespaces
# and a ServiceMonitor: the set-up with the most parts.
MULTI_REPLICA_REDIS: dict[str, Any] = {
    "replicaCount": 3,
    "redis": {"enabled": True, "auth": {"existingSecret": "cloudphoenix-redis"}},
    "serviceMonitor": {"enabled": True, "force": True},
    "cloudIdentity": {
        "aws": {
            "roleArn": "arn:aws:iam::123456789012:role/cloudphoenix",
            "tokenSource": "projected",
            "region": "us-east-1",
        },
        "azure": {
            "clientId": "11111111-2222-3333-4444-555555555555",
            "tenantId": "66666666-7777-8888-9999-000000000000",
        },
    },
    "rbac": {"workloadNamespaces": ["reference-services", "production"]},
}
# HTTP mode behind an ingress, the operator's rules and Grafana's dashboard (forced: an offline
# render lists no CRD), other names, and the pod's extra volumes and variables.
OBSERVED_HTTP: dict[str, Any] = {
    "fullnameOverride": "phoenix",
    "nameOverride": "dr-bot",
    "slack": {"mode": "http"},
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "host": "phoenix.example.com",
        "tls": [{"hosts": ["phoenix.example.com"], "secretName": "phoenix-tls"}],
    },
    "serviceMonitor": {"enabled": True, "force": True},
    "prometheusRule": {
        "enabled": True,
        "force": True,
        "runbookBaseUrl": "https://git.example.com/dr/cloudphoenix/blob/main/",
        "labels": {"release": "kube-prometheus-stack"},
    },
    "grafanaDashboard": {"enabled": True, "annotations": {"grafana_folder": "DR"}},
    "extraEnv": [
        {"name": "WEBHOOK_KEY", "valueFrom": {"secretKeyRef": {"name": "hooks", "key": "n8n"}}}
    ],
    "extraEnvFrom": [{"secretRef": {"name": "phoenix-extra"}}],
    "extraVolumes": [{"name": "ca", "configMap": {"name": "corporate-ca"}}],
    "extraVolumeMounts": [{"name": "ca", "mountPath": "/etc/ssl/corporate", "readOnly": True}],
}


def render(
    chart: Path, values: dict[str, Any] | None = None, name: str = "cloudphoenix"
) -> dict[str, str]:
    """{template path: rendered text}, NOTES.txt included."""
    return Chart.load(str(chart)).render(values=values or {}, name=name, namespace=NAMESPACE)


def objects(rendered: dict[str, str]) -> list[dict[str, Any]]:
    """Every Kubernetes object the templates rendered."""
    found = []
    for path, text in rendered.items():
        if not path.endswith(".yaml"):
            continue
        found += [doc for doc in yaml.safe_load_all(text) if doc]
    return found


def one(objs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [
        o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)
    ]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, found {len(matches)}"
    return matches[0]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}
