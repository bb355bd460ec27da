"""deploy/terraform: the bot's own cloud identity. Parsed with python-hcl2 (checkov scans it in
test_checkov.py). Its IAM policy lists exactly the AWS API actions the adapters call, and its
Azure roles exactly the ARM actions they declare, so the two cannot drift apart."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import hcl2
import pytest
import yaml
from botocore import xform_name

from tests.deploy.charts import BOT_CHART, objects, one, render

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "deploy" / "terraform"
ADAPTERS = ROOT / "engine" / "adapters"


def adapter_files(cloud: str) -> list[Path]:
    """The modules of one cloud's adapters; none found means the layout moved under this test."""
    paths = sorted((ADAPTERS / cloud).glob("*.py"))
    assert paths, f"no adapters in engine/adapters/{cloud}/"
    return paths


# boto3 service name -> IAM action prefix.
IAM_PREFIX = {
    "s3": "s3",
    "rds": "rds",
    "cloudwatch": "cloudwatch",
    "route53": "route53",
    "eks": "eks",
    "secretsmanager": "secretsmanager",
    "sts": "sts",
    "sqs": "sqs",
}
# Calls no IAM policy governs. GetCallerIdentity "requires no permissions", and an explicit
# deny cannot stop it (https://docs.aws.amazon.com/STS/latest/APIReference/
# API_GetCallerIdentity.html): the EKS token is a presigned one.
UNGATED = {("sts", "GetCallerIdentity")}
# S3 operations whose IAM action is not named after the operation.
S3_ACTIONS = {
    "ListObjectsV2": {"s3:ListBucket"},
    "HeadObject": {"s3:GetObject"},
    "GetObject": {"s3:GetObject"},
    "PutObject": {"s3:PutObject"},
    "CreateMultipartUpload": {"s3:PutObject"},
    "UploadPart": {"s3:PutObject"},
    "CompleteMultipartUpload": {"s3:PutObject"},
    "CopyObject": {"s3:GetObject", "s3:PutObject"},
    "DeleteObject": {"s3:DeleteObject"},
    "AbortMultipartUpload": {"s3:AbortMultipartUpload"},
    "HeadBucket": {"s3:ListBucket"},
}
# SQS batch operations are no IAM actions of their own: each needs the permission of its
# single-message form (SQS Developer Guide, "Amazon SQS API permissions").
SQS_BATCH = {"DeleteMessageBatch": "DeleteMessage"}
# Azure actions the role grants beyond those the adapters name, and why.
AZURE_ALSO = {
    # Polling the long-running scale and failover operations (azure-core's LRO poller).
    "microsoft.sql/locations/*/read",
    # TrafficManager.set_endpoint reads the endpoint back after the change.
    "microsoft.network/trafficmanagerprofiles/azureendpoints/read",
    "microsoft.network/trafficmanagerprofiles/externalendpoints/read",
    "microsoft.network/trafficmanagerprofiles/nestedendpoints/read",
}
ENDPOINT_TYPES = ("AzureEndpoints", "ExternalEndpoints", "NestedEndpoints")
BLOBS = "microsoft.storage/storageaccounts/blobservices/containers/blobs"
# The data actions of the built-in role "Storage Blob Data Contributor".
BLOB_DATA_CONTRIBUTOR = {
    f"{BLOBS}/{a}" for a in ("read", "write", "delete", "add/action", "move/action")
}
SECRETS = "microsoft.keyvault/vaults/secrets"
# The data actions of the built-in role "Key Vault Secrets User".
KEY_VAULT_SECRETS_USER = {f"{SECRETS}/getsecret/action", f"{SECRETS}/readmetadata/action"}


def unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals and block labels."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items()}
    return value


def parsed() -> dict[str, dict[str, Any]]:
    """{file name: its parsed HCL}, quotes removed."""
    files = {}
    for path in sorted(TERRAFORM.glob("*.tf")):
        with path.open() as handle:
            files[path.name] = unquote(hcl2.load(handle))
    return files


def blocks(kind: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every ``resource`` / ``data`` block."""
    for tree in parsed().values():
        for entry in tree.get(kind, []):
            for type_, named in entry.items():
                for name, body in named.items():
                    yield type_, name, body


def block(kind: str, type_: str, name: str) -> dict[str, Any]:
    found = [body for t, n, body in blocks(kind) if (t, n) == (type_, name)]
    assert len(found) == 1, f"{kind} {type_}.{name}"
    return found[0]


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements of an aws_iam_policy_document, dynamic ones included."""
    found = list(document.get("statement", []))
    for dynamic in document.get("dynamic", []):
        for content in dynamic.get("statement", {}).get("content", []):
            found.append(content)
    return found


def policy_actions() -> set[str]:
    document = block("data", "aws_iam_policy_document", "bot")
    return {a for s in statements(document) for a in s["actions"]}


# -- what the adapters call

CALL = re.compile(r"\.([a-z][a-z0-9_]*)\(")
NAMED_OPERATION = re.compile(r'\.(?:get_paginator|generate_presigned_url)\(\s*"([a-z0-9_]+)"')
SERVICE = re.compile(r'(?:aws_client|\.client)\(\s*"([a-z0-9-]+)"')
DECLARED = re.compile(r'"((?:s3|rds|cloudwatch|route53|eks|secretsmanager|sqs):[A-Za-z0-9]+)"')


def adapter_operations() -> set[tuple[str, str]]:
    """(boto3 service, API operation) of every call in engine/adapters/aws/."""
    session = botocore.session.get_session()
    calls: set[tuple[str, str]] = set()
    for path in adapter_files("aws"):
        text = path.read_text()
        services = set(SERVICE.findall(text))
        methods = set(CALL.findall(text)) | set(NAMED_OPERATION.findall(text))
        for service in services:
            assert service in IAM_PREFIX, f"{path.name} uses {service}: add its IAM prefix"
            operations = {
                xform_name(op): op for op in session.get_service_model(service).operation_names
            }
            calls |= {(service, operations[m]) for m in methods if m in operations}
    return calls


def iam_actions(service: str, operation: str) -> set[str]:
    if (service, operation) in UNGATED:
        return set()
    if service == "s3":
        assert operation in S3_ACTIONS, f"S3 {operation}: add its IAM action to S3_ACTIONS"
        return S3_ACTIONS[operation]
    if service == "sqs":
        operation = SQS_BATCH.get(operation, operation)
    return {f"{IAM_PREFIX[service]}:{operation}"}


def test_the_scan_finds_the_calls_it_must() -> None:
    operations = adapter_operations()
    for expected in (
        ("eks", "UpdateNodegroupConfig"),
        ("rds", "PromoteReadReplica"),
        ("cloudwatch", "GetMetricStatistics"),
        ("route53", "ChangeResourceRecordSets"),
        ("route53", "GetHealthCheckStatus"),
        ("s3", "ListObjectsV2"),
        ("s3", "CompleteMultipartUpload"),
        ("secretsmanager", "GetSecretValue"),
        ("eks", "DescribeCluster"),
        ("sts", "GetCallerIdentity"),
        ("s3", "HeadBucket"),
        ("sqs", "ReceiveMessage"),
        ("sqs", "DeleteMessageBatch"),
    ):
        assert expected in operations


def test_the_iam_policy_lists_exactly_the_actions_the_adapters_call() -> None:
    needed = set().union(*(iam_actions(s, o) for s, o in adapter_operations()))
    granted = policy_actions()
    assert granted - needed == set(), "granted but never called"
    assert needed - granted == set(), "called but not granted"
    # The actions the adapters name in their errors are granted too.
    declared = set()
    for path in adapter_files("aws"):
        declared |= set(DECLARED.findall(path.read_text()))
    assert declared <= granted


def test_no_statement_grants_a_wildcard_action_or_everything() -> None:
    document = block("data", "aws_iam_policy_document", "bot")
    for statement in statements(document):
        assert statement["effect"] == "Allow"
        assert all("*" not in action for action in statement["actions"])
        if statement["resources"] == ["*"]:
            # Only what has no resource-level permissions.
            assert statement["actions"] == ["cloudwatch:GetMetricStatistics"]


def test_the_role_trusts_only_the_bots_service_account() -> None:
    (statement,) = statements(block("data", "aws_iam_policy_document", "trust"))
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    conditions = {c["variable"].rsplit(":", 1)[-1]: c for c in statement["condition"]}
    assert conditions["sub"]["values"] == [
        "system:serviceaccount:${var.kubernetes_namespace}:${var.kubernetes_service_account}"
    ]
    assert conditions["aud"]["values"] == ["sts.amazonaws.com"]
    federated = block("resource", "azurerm_federated_identity_credential", "bot")
    assert federated["subject"] == conditions["sub"]["values"][0]
    # The audiences are the chart's defaults.
    values = yaml.safe_load((BOT_CHART / "values.yaml").read_text())["cloudIdentity"]
    assert values["aws"]["audience"] == "sts.amazonaws.com"
    assert federated["audience"] == [values["azure"]["audience"]]


def test_the_defaults_match_the_charts_service_account() -> None:
    variables = {name: body for tree in parsed().values() for entry in tree.get("variable", [])
                 for name, body in entry.items()}  # fmt: skip
    account = one(objects(render(BOT_CHART)), "ServiceAccount")
    assert variables["kubernetes_service_account"]["default"] == account["metadata"]["name"]
    assert variables["kubernetes_namespace"]["default"] == account["metadata"]["namespace"]
    for name, body in variables.items():
        assert body.get("description"), f"variable {name} has no description"
        assert "type" in body, f"variable {name} has no type"


def test_the_outputs_feed_the_charts_cloud_identity() -> None:
    outputs = {name for tree in parsed().values() for entry in tree.get("output", [])
               for name in entry}  # fmt: skip
    assert {"aws_role_arn", "azure_client_id", "azure_tenant_id", "helm_values"} <= outputs


def azure_declared() -> set[str]:
    actions: set[str] = set()
    for path in adapter_files("azure"):
        for action in re.findall(r'f?"(Microsoft\.[A-Za-z]+/[^"]+)"', path.read_text()):
            if "{kind}" in action:
                actions |= {action.replace("{kind}", kind) for kind in ENDPOINT_TYPES}
            else:
                actions.add(action)
    return {a.lower() for a in actions}


def test_the_azure_roles_hold_exactly_the_actions_the_adapters_declare() -> None:
    granted = set()
    for name in ("sql", "traffic", "sql_operation_status"):
        definition = block("resource", "azurerm_role_definition", name)
        (permissions,) = definition["permissions"]
        granted |= {a.lower() for a in permissions["actions"]}
        assert permissions["not_actions"] == []
        scope = "subscription.current" if name == "sql_operation_status" else "resource_group.dr"
        assert definition["assignable_scopes"] == [f"${{data.azurerm_{scope}.id}}"]
    # Azure SQL serves its operations' status under the resource group and the subscription,
    # out of reach of a role on the servers: that read-only role sits on the subscription.
    status = block("resource", "azurerm_role_definition", "sql_operation_status")
    assert status["permissions"][0]["actions"] == ["Microsoft.Sql/locations/*/read"]
    status_on = block("resource", "azurerm_role_assignment", "sql_operation_status")
    assert status_on["scope"] == "${data.azurerm_subscription.current.id}"
    declared = azure_declared()
    assert "microsoft.sql/servers/failovergroups/failover/action" in declared
    data = {a for a in declared if a.startswith(BLOBS)}
    assert data
    assert data <= BLOB_DATA_CONTRIBUTOR
    declared -= data
    secrets = {a for a in declared if a.startswith(SECRETS)}
    assert secrets
    assert secrets <= KEY_VAULT_SECRETS_USER
    declared -= secrets
    assert declared - granted == set(), "declared by an adapter but not granted"
    assert granted - declared - AZURE_ALSO == set(), "granted but never used"
    # Blob data goes through the data plane: the built-in data role, on the containers only.
    blob = block("resource", "azurerm_role_assignment", "blob")
    assert blob["role_definition_name"] == "Storage Blob Data Contributor"
    assert blob["scope"] == "${each.value}"
    # Secrets too: the built-in role that reads secret values, on the named vaults only.
    vault = block("resource", "azurerm_role_assignment", "key_vault")
    assert vault["role_definition_name"] == "Key Vault Secrets User"
    assert vault["scope"] == "${each.value}"


def test_each_eks_cluster_reached_by_name_gets_an_access_entry_with_only_the_group() -> None:
    entry = block("resource", "aws_eks_access_entry", "bot")
    assert entry["for_each"] == "${toset(var.eks_clusters)}"
    assert entry["principal_arn"] == "${aws_iam_role.bot.arn}"
    assert entry["kubernetes_groups"] == ["${var.eks_access_group}"]
    assert entry["type"] == "STANDARD"
    # No access policy: the group's RBAC (the cloudphoenix-access chart) is all it may do.
    assert [t for t, _, _ in blocks("resource") if t == "aws_eks_access_policy_association"] == []
    (statement,) = [
        s
        for s in statements(block("data", "aws_iam_policy_document", "bot"))
        if "eks:DescribeCluster" in s["actions"]
    ]
    assert statement["actions"] == ["eks:DescribeCluster"]
    assert statement["resources"] == "${local.cluster_arns}"
