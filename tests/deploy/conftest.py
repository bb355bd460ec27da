"""Shared by the deploy tests: the charts rendered once per session, and one checkov run over
everything it scans (rendered manifests, Terraform, Dockerfiles)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.deploy import checkov
from tests.deploy.charts import (
    ACCESS_CHART,
    BOT_CHART,
    MULTI_REPLICA_REDIS,
    OBSERVED_HTTP,
    REFERENCE_CHART,
    ROOT,
    render,
)

RENDER_CASES: dict[str, tuple[Path, dict[str, Any]]] = {
    "bot-default": (BOT_CHART, {}),
    "bot-multi-replica-redis": (BOT_CHART, MULTI_REPLICA_REDIS),
    "bot-http-external-redis": (
        BOT_CHART,
        {
            "replicaCount": 2,
            "slack": {"mode": "http"},
            "store": {"existingSecret": "cloudphoenix-store"},
            "cloudIdentity": {
                "aws": {"roleArn": "arn:aws:iam::123456789012:role/cloudphoenix"},
                "azure": {
                    "clientId": "11111111-2222-3333-4444-555555555555",
                    "tenantId": "66666666-7777-8888-9999-000000000000",
                    "tokenSource": "projected",
                },
            },
        },
    ),
    "bot-observed-http": (BOT_CHART, OBSERVED_HTTP),
    "access-eks": (ACCESS_CHART, {"workloadNamespaces": ["production", "payments"]}),
    "reference-default": (REFERENCE_CHART, {}),
    "reference-postgres": (
        REFERENCE_CHART,
        {"serviceA": {"name": "service-a", "replicas": 2, "database": {"existingSecret": "db"}}},
    ),
}


@pytest.fixture(scope="session")
def rendered() -> dict[str, dict[str, str]]:
    return {case: render(chart, values) for case, (chart, values) in RENDER_CASES.items()}


@pytest.fixture(scope="session")
def checkov_reports(
    rendered: dict[str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    staging = tmp_path_factory.mktemp("checkov")
    for case, templates in rendered.items():
        for path, text in templates.items():
            if path.endswith(".yaml") and text.strip():
                target = staging / "manifests" / case / Path(path).name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
    shutil.copytree(ROOT / "deploy" / "terraform", staging / "terraform")
    shutil.copy(ROOT / "deploy" / "Dockerfile", staging / "Dockerfile")
    shutil.copy(
        ROOT / "deploy" / "reference-services.Dockerfile", staging / "reference-services.Dockerfile"
    )
    return checkov.scan(staging, ["kubernetes", "terraform", "dockerfile"])
