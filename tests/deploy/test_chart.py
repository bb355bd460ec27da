"""The bot's Helm chart, rendered by Helm's own engine: valid Kubernetes objects (strict schema
of 1.28 and of the newest release), lint clean, hardened pods, RBAC for exactly the calls the
bot makes, the settings the bot really reads, and values that cannot work refused clearly."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from helm_python.chart import lint
from helm_python.errors import HelmValuesError

from bot.settings import Settings
from engine.config import load_config
from tests.deploy.charts import (
    ACCESS_CHART,
    BOT_CHART,
    NAMESPACE,
    REFERENCE_CHART,
    ROOT,
    env_of,
    objects,
    one,
    pod_spec,
    render,
)
from tests.deploy.test_prometheus_rules import promtool

pytestmark = pytest.mark.integration

KUBE_VERSIONS = ("1.28.0", kubernetes_validate.latest_version())
CRD_GROUPS = ("monitoring.coreos.com/",)
SETTING_NAMES = {str(f.alias) for f in Settings.model_fields.values()}
# Variables read by the SDKs' default credential chains, set only for the projected tokens.
SDK_VARIABLES = {
    "AWS_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "TMPDIR",
    "PHOENIX_REDIS_PASSWORD",
}


def workloads(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet")]


def bot(objs: list[dict[str, Any]]) -> dict[str, Any]:
    return one(objs, "Deployment", "cloudphoenix")


@pytest.mark.parametrize("version", KUBE_VERSIONS)
def test_every_rendered_object_is_valid_kubernetes(
    rendered: dict[str, dict[str, str]], version: str
) -> None:
    checked = 0
    for case, templates in rendered.items():
        for obj in objects(templates):
            if obj["apiVersion"].startswith(CRD_GROUPS):
                continue  # no schema for a CRD's kind; checked on its own below
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                where = f"{case}: {obj['kind']} {obj['metadata']['name']}"
                pytest.fail(f"{where} is invalid for Kubernetes {version}: {exc.message}")
            checked += 1
    assert checked > 20


def test_the_service_monitor_scrapes_the_bots_metrics(rendered: dict[str, dict[str, str]]) -> None:
    objs = objects(rendered["bot-multi-replica-redis"])
    monitor = one(objs, "ServiceMonitor")
    service = one(objs, "Service", "cloudphoenix")
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert not any(o["kind"] == "ServiceMonitor" for o in objects(rendered["bot-default"]))


@pytest.mark.parametrize("chart", [BOT_CHART, REFERENCE_CHART, ACCESS_CHART], ids=lambda p: p.name)
def test_helm_lint_is_clean(chart: Path) -> None:
    report = lint(str(chart), strict=True, kube_version="v1.28.0")
    assert report["errors"] == []
    # Severity 1 is informational (e.g. "icon is recommended").
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_the_config_map_holds_a_phoenix_yaml_the_bot_accepts(
    rendered: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    for case in ("bot-default", "bot-multi-replica-redis"):
        config_map = one(objects(rendered[case]), "ConfigMap")
        path = tmp_path / f"{case}.yaml"
        path.write_text(config_map["data"]["phoenix.yaml"])
        config = load_config(path)
        assert {s.name for s in config.signals} == {"service-a", "service-b"}
        mounts = pod_spec(bot(objects(rendered[case])))["containers"][0]["volumeMounts"]
        mount = next(m for m in mounts if m["name"] == "config")
        env = env_of(pod_spec(bot(objects(rendered[case])))["containers"][0])
        assert env["PHOENIX_CONFIG"] == f"{mount['mountPath']}/phoenix.yaml"


def test_every_container_is_hardened(rendered: dict[str, dict[str, str]]) -> None:
    for case, templates in rendered.items():
        for workload in workloads(objects(templates)):
            spec = pod_spec(workload)
            assert spec["securityContext"]["runAsNonRoot"] is True, case
            assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", case
            for container in spec["containers"] + spec.get("initContainers", []):
                where = f"{case}: {workload['metadata']['name']}/{container['name']}"
                context = container["securityContext"]
                assert context["runAsNonRoot"] is True, where
                assert context["runAsUser"] >= 10000, where
                assert context["readOnlyRootFilesystem"] is True, where
                assert context["allowPrivilegeEscalation"] is False, where
                assert context["capabilities"]["drop"] == ["ALL"], where
                assert "add" not in context["capabilities"], where
                assert context["seccompProfile"]["type"] == "RuntimeDefault", where
                assert container["resources"]["requests"], where
                assert container["resources"]["limits"]["memory"], where


def test_probes_are_on_live_and_ready_of_the_http_port(rendered: dict[str, dict[str, str]]) -> None:
    container = pod_spec(bot(objects(rendered["bot-default"])))["containers"][0]
    assert container["livenessProbe"]["httpGet"] == {"path": "/live", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    (port,) = container["ports"]
    env = env_of(container)
    assert port["name"] == "http"
    assert str(port["containerPort"]) == env["PHOENIX_HTTP_PORT"]
    # bot/server.py binds loopback unless told otherwise: the kubelet must reach the pod's IP.
    assert env["PHOENIX_HTTP_HOST"] == "0.0.0.0"


def test_the_bot_gets_only_settings_it_reads(rendered: dict[str, dict[str, str]]) -> None:
    for case in ("bot-default", "bot-multi-replica-redis", "bot-http-external-redis"):
        env = env_of(pod_spec(bot(objects(rendered[case])))["containers"][0])
        unknown = set(env) - SETTING_NAMES - SDK_VARIABLES
        assert unknown == set(), f"{case}: not a setting of bot/settings.py: {unknown}"


def test_slack_tokens_come_from_the_secret_by_mode(rendered: dict[str, dict[str, str]]) -> None:
    socket = env_of(pod_spec(bot(objects(rendered["bot-default"])))["containers"][0])
    http = env_of(pod_spec(bot(objects(rendered["bot-http-external-redis"])))["containers"][0])
    assert socket["PHOENIX_SLACK_MODE"] == "socket"
    assert socket["SLACK_BOT_TOKEN"] == {
        "secretKeyRef": {"name": "cloudphoenix-slack", "key": "SLACK_BOT_TOKEN"}
    }
    assert socket["SLACK_APP_TOKEN"]["secretKeyRef"]["key"] == "SLACK_APP_TOKEN"
    assert "SLACK_SIGNING_SECRET" not in socket
    assert http["PHOENIX_SLACK_MODE"] == "http"
    assert http["SLACK_SIGNING_SECRET"]["secretKeyRef"]["key"] == "SLACK_SIGNING_SECRET"
    assert "SLACK_APP_TOKEN" not in http
    # No token is ever a literal in a rendered manifest.
    for templates in rendered.values():
        for path, text in templates.items():
            assert not re.search(r"xox[bp]-[0-9A-Za-z]|xapp-[0-9]", text), path


def test_one_replica_keeps_sqlite_on_a_volume(rendered: dict[str, dict[str, str]]) -> None:
    objs = objects(rendered["bot-default"])
    deployment = bot(objs)
    container = pod_spec(deployment)["containers"][0]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    assert env_of(container)["PHOENIX_STORE_URL"] == "sqlite:////var/lib/phoenix/phoenix.db"
    state = next(v for v in pod_spec(deployment)["volumes"] if v["name"] == "state")
    claim = one(objs, "PersistentVolumeClaim")
    assert state["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert {"mountPath": "/var/lib/phoenix", "name": "state"} in container["volumeMounts"]
    assert one(objs, "PodDisruptionBudget")["spec"] == {
        "maxUnavailable": 1,
        "selector": deployment["spec"]["selector"],
    }


def test_several_replicas_share_the_bundled_redis(rendered: dict[str, dict[str, str]]) -> None:
    objs = objects(rendered["bot-multi-replica-redis"])
    deployment = bot(objs)
    env = env_of(pod_spec(deployment)["containers"][0])
    redis = one(objs, "Deployment", "cloudphoenix-redis")
    redis_service = one(objs, "Service", "cloudphoenix-redis")
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert env["PHOENIX_STORE_URL"] == (
        "redis://:$(PHOENIX_REDIS_PASSWORD)@cloudphoenix-redis:6379/0"
    )
    assert env["PHOENIX_REDIS_PASSWORD"]["secretKeyRef"]["name"] == "cloudphoenix-redis"
    # The password variable is defined before the URL that expands it.
    names = [e["name"] for e in pod_spec(deployment)["containers"][0]["env"]]
    assert names.index("PHOENIX_REDIS_PASSWORD") < names.index("PHOENIX_STORE_URL")
    assert redis_service["spec"]["selector"] == redis["spec"]["selector"]["matchLabels"]
    assert "$(REDIS_PASSWORD)" in pod_spec(redis)["containers"][0]["args"]
    assert "state" not in {v["name"] for v in pod_spec(deployment)["volumes"]}
    pdb = one(objs, "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    # Only the bot's pods reach Redis.
    policy = one(objs, "NetworkPolicy", "cloudphoenix-redis")
    (rule,) = policy["spec"]["ingress"]
    assert rule["from"] == [
        {"podSelector": {"matchLabels": deployment["spec"]["selector"]["matchLabels"]}}
    ]
    assert policy["spec"]["egress"] == []


def test_the_service_account_carries_both_cloud_identities(
    rendered: dict[str, dict[str, str]],
) -> None:
    # On EKS: IRSA annotation, the webhook injects the token; on AKS: workload identity.
    objs = objects(rendered["bot-http-external-redis"])
    account = one(objs, "ServiceAccount")
    annotations = account["metadata"]["annotations"]
    assert (
        annotations["eks.amazonaws.com/role-arn"] == "arn:aws:iam::123456789012:role/cloudphoenix"
    )
    assert (
        annotations["azure.workload.identity/client-id"] == "11111111-2222-3333-4444-555555555555"
    )
    assert pod_spec(bot(objs))["serviceAccountName"] == account["metadata"]["name"]
    # Projected Azure token (the bot outside AKS): the variables DefaultAzureCredential reads.
    env = env_of(pod_spec(bot(objs))["containers"][0])
    assert env["AZURE_FEDERATED_TOKEN_FILE"] == "/var/run/secrets/azure/tokens/azure-identity-token"
    # Projected AWS token (the bot on AKS, the DR side): what boto3's web identity chain reads.
    objs = objects(rendered["bot-multi-replica-redis"])
    spec = pod_spec(bot(objs))
    env = env_of(spec["containers"][0])
    assert env["AWS_ROLE_ARN"] == "arn:aws:iam::123456789012:role/cloudphoenix"
    token = next(v for v in spec["volumes"] if v["name"] == "aws-iam-token")
    (source,) = token["projected"]["sources"]
    assert source["serviceAccountToken"]["audience"] == "sts.amazonaws.com"
    mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == "aws-iam-token")
    assert env["AWS_WEB_IDENTITY_TOKEN_FILE"] == f"{mount['mountPath']}/token"
    assert (
        bot(objs)["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    )
    assert "eks.amazonaws.com/role-arn" not in one(
        objects(rendered["bot-default"]), "ServiceAccount"
    )["metadata"].get("annotations", {})


# -- RBAC: exactly the Kubernetes calls of engine/adapters/kube/

# kubernetes client method -> (API group, resource, verb)
CLIENT_CALLS = {
    "list_node": ("", "nodes", "list"),
    "list_namespaced_deployment": ("apps", "deployments", "list"),
    "read_namespaced_deployment": ("apps", "deployments", "get"),
    "patch_namespaced_deployment": ("apps", "deployments", "patch"),
    "read_namespaced_deployment_scale": ("apps", "deployments/scale", "get"),
    "patch_namespaced_deployment_scale": ("apps", "deployments/scale", "patch"),
    "list_namespaced_replica_set": ("apps", "replicasets", "list"),
    "list_namespaced_pod": ("", "pods", "list"),
}
CALL = re.compile(
    r"\.((?:list|read|patch|create|replace|delete|watch|connect)_(?:namespaced_)?[a-z_]+)\b"
)


def kube_calls() -> set[tuple[str, str, str]]:
    calls = set()
    paths = sorted((ROOT / "engine" / "adapters" / "kube").glob("*.py"))
    assert paths, "no adapters in engine/adapters/kube/"
    for path in paths:
        for method in CALL.findall(path.read_text()):
            assert method in CLIENT_CALLS, f"{path.name} calls {method}: add it to CLIENT_CALLS"
            calls.add(CLIENT_CALLS[method])
    return calls


def granted(objs: list[dict[str, Any]]) -> dict[str, set[tuple[str, str, str]]]:
    """{namespace or "cluster": rules as (group, resource, verb)}."""
    grants: dict[str, set[tuple[str, str, str]]] = {}
    for role in objs:
        if role["kind"] not in ("Role", "ClusterRole"):
            continue
        scope = role["metadata"].get("namespace", "cluster")
        for rule in role["rules"]:
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    for verb in rule["verbs"]:
                        grants.setdefault(scope, set()).add((group, resource, verb))
    return grants


def test_rbac_grants_exactly_the_kubernetes_calls_the_bot_makes(
    rendered: dict[str, dict[str, str]],
) -> None:
    calls = kube_calls()
    assert ("", "nodes", "list") in calls
    objs = objects(rendered["bot-multi-replica-redis"])
    grants = granted(objs)
    assert set(grants) == {"cluster", "reference-services", "production"}
    assert grants["cluster"] == {c for c in calls if c[1] == "nodes"}
    for namespace in ("reference-services", "production"):
        assert grants[namespace] == {c for c in calls if c[1] != "nodes"}
    everything = set().union(*grants.values())
    assert everything == calls
    # Every role is bound to the bot's service account, and nothing else is bound.
    account = one(objs, "ServiceAccount")["metadata"]["name"]
    for binding in (o for o in objs if o["kind"] in ("RoleBinding", "ClusterRoleBinding")):
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": account, "namespace": NAMESPACE}
        ]
    # By default: the release's own namespace.
    assert set(granted(objects(rendered["bot-default"]))) == {"cluster", NAMESPACE}


def test_the_access_chart_grants_the_eks_access_group_exactly_the_bots_calls(
    rendered: dict[str, dict[str, str]],
) -> None:
    calls = kube_calls()
    objs = objects(rendered["access-eks"])
    grants = granted(objs)
    assert set(grants) == {"cluster", "production", "payments"}
    assert grants["cluster"] == {c for c in calls if c[1] == "nodes"}
    for namespace in ("production", "payments"):
        assert grants[namespace] == {c for c in calls if c[1] != "nodes"}
    # Bound to the group of the bot's EKS access entry (deploy/terraform), nothing else; the
    # chart makes no workload, no service account.
    for binding in (o for o in objs if o["kind"] in ("RoleBinding", "ClusterRoleBinding")):
        assert binding["subjects"] == [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "cloudphoenix"}
        ]
    assert {o["kind"] for o in objs} == {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
    with pytest.raises(HelmValuesError):
        render(ACCESS_CHART, {"clusterGroup": "system:masters"})


def test_network_policy_admits_only_the_http_port(rendered: dict[str, dict[str, str]]) -> None:
    policy = one(objects(rendered["bot-default"]), "NetworkPolicy", "cloudphoenix")
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    (rule,) = policy["spec"]["ingress"]
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    ports = {p["port"] for r in policy["spec"]["egress"] for p in r["ports"]}
    assert {53, 443} <= ports


def test_notes_recommend_running_on_the_dr_side(rendered: dict[str, dict[str, str]]) -> None:
    notes = rendered["bot-default"]["cloudphoenix/templates/NOTES.txt"]
    assert "outside the" in notes
    assert "primary failure domain" in notes
    assert "DR side" in notes
    assert "kubectl -n cloudphoenix create secret generic cloudphoenix-slack" in notes
    assert "manifest.yml" in notes


# -- values that cannot work


def test_several_replicas_with_sqlite_are_refused_with_a_clear_message() -> None:
    with pytest.raises(Exception, match=r"replicaCount is 3 but the store is SQLite") as caught:
        render(BOT_CHART, {"replicaCount": 3})
    assert "redis.enabled=true" in str(caught.value)
    assert "store.url=redis://" in str(caught.value)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"redis": {"enabled": True}, "store": {"url": "redis://elsewhere:6379/0"}}, "choose one"),
        (
            {"store": {"url": "redis://a:6379/0", "existingSecret": "store"}},
            "store.url and store.existingSecret are both set",
        ),
        ({"image": {"repository": "cloudphoenix", "tag": "latest"}}, "image tag latest is refused"),
        (
            {"cloudIdentity": {"aws": {"tokenSource": "projected"}}},
            "cloudIdentity.aws.roleArn is empty",
        ),
        ({"ingress": {"enabled": True, "host": "p.example.com"}}, "slack.mode is socket"),
        ({"ingress": {"enabled": True}, "slack": {"mode": "http"}}, "ingress.host is empty"),
    ],
)
def test_contradictory_values_are_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(Exception, match=re.escape(message)):
        render(BOT_CHART, values)


@pytest.mark.parametrize(
    ("values", "where"),
    [
        ({"replicaCount": 0}, "/replicaCount"),
        ({"replicaCount": "two"}, "/replicaCount"),
        ({"replicas": 2}, "additional properties 'replicas' not allowed"),
        ({"slack": {"mode": "websocket"}}, "/slack/mode"),
        ({"slack": {"existingSecret": "Not_A_Name"}}, "/slack/existingSecret"),
        ({"store": {"url": "postgres://db/phoenix"}}, "/store/url"),
        ({"image": {"repository": "cloudphoenix", "digest": "sha256:abc"}}, "/image/digest"),
        ({"image": {"repository": "cloudphoenix", "pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
        ({"cloudIdentity": {"aws": {"roleArn": "cloudphoenix"}}}, "/cloudIdentity/aws/roleArn"),
        ({"cloudIdentity": {"azure": {"clientId": "not-a-guid"}}}, "/cloudIdentity/azure/clientId"),
        ({"settings": {"logFormat": "xml"}}, "/settings/logFormat"),
        ({"settings": {"httpPort": 80}}, "/settings/httpPort"),
        ({"settings": {"runLeaseTtl": 0}}, "/settings/runLeaseTtl"),
        ({"rbac": {"workloadNamespaces": ["Prod!"]}}, "/rbac/workloadNamespaces/0"),
        ({"resources": {"requests": {"cpu": True}}}, "/resources/requests/cpu"),
        ({"networkPolicy": {"egressPorts": [70000]}}, "/networkPolicy/egressPorts/0"),
        ({"nameOverride": "Phoenix!"}, "/nameOverride"),
        ({"fullnameOverride": "a" * 64}, "/fullnameOverride"),
        ({"extraVolumes": [{"configMap": {"name": "ca"}}]}, "/extraVolumes/0"),
        ({"extraVolumeMounts": [{"name": "ca", "mountPath": "etc/ca"}]}, "/extraVolumeMounts/0"),
        (
            {"prometheusRule": {"runbookBaseUrl": "docs.example.com"}},
            "/prometheusRule/runbookBaseUrl",
        ),
        ({"prometheusRule": {"enabled": "yes"}}, "/prometheusRule/enabled"),
        ({"grafanaDashboard": {"label": "grafana dashboard"}}, "/grafanaDashboard/label"),
        ({"ingress": {"host": "https://phoenix.example.com"}}, "/ingress/host"),
        ({"ingress": {"tls": [{"hosts": ["a.example.com"]}]}}, "/ingress/tls/0"),
    ],
)
def test_the_schema_rejects_bad_values_naming_where(values: dict[str, Any], where: str) -> None:
    with pytest.raises(Exception, match="schema") as caught:
        render(BOT_CHART, values)
    assert where in str(caught.value)


def test_values_yaml_itself_matches_the_schema_and_documents_the_dr_side() -> None:
    text = (BOT_CHART / "values.yaml").read_text()
    assert yaml.safe_load(text)["replicaCount"] == 1
    assert "outside the primary failure domain" in text


def test_the_default_config_probes_the_reference_services(
    rendered: dict[str, dict[str, str]],
) -> None:
    """Installed in namespace reference-services, the reference chart answers exactly the URLs
    the bot's default phoenix.yaml probes."""
    reference = render(REFERENCE_CHART, name="reference")
    services = {o["metadata"]["name"]: o for o in objects(reference) if o["kind"] == "Service"}
    config = yaml.safe_load(
        one(objects(rendered["bot-default"]), "ConfigMap")["data"]["phoenix.yaml"]
    )
    for signal in config["signals"]:
        for target in signal["targets"]:
            match = re.fullmatch(
                r"http://([a-z0-9-]+)\.reference-services\.svc\.cluster\.local/(health|ready|live)",
                target,
            )
            assert match, target
            service = services[match.group(1)]
            assert [p["port"] for p in service["spec"]["ports"]] == [80]
            deployment = one(objects(reference), "Deployment", match.group(1))
            container = pod_spec(deployment)["containers"][0]
            probes = {
                container["livenessProbe"]["httpGet"]["path"],
                container["readinessProbe"]["httpGet"]["path"],
            }
            assert probes == {"/live", "/ready"}


def test_the_readme_values_example_renders(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Running it on a cluster", 1)[1]
    example = re.search(r"```yaml\n# values-aks.yaml\n(.*?)```", section, re.S)
    assert example, "the values example is gone from README.md"
    values = yaml.safe_load(example.group(1))
    objs = objects(render(BOT_CHART, values))
    deployment = bot(objs)
    assert deployment["spec"]["replicas"] == 2
    env = env_of(pod_spec(deployment)["containers"][0])
    assert env["PHOENIX_STORE_URL"]["secretKeyRef"]["name"] == "cloudphoenix-store"
    path = tmp_path / "phoenix.yaml"
    path.write_text(one(objs, "ConfigMap")["data"]["phoenix.yaml"])
    assert load_config(path).environment == "production"


# -- what the chart adds for operations: the operator's objects, the dashboard, an ingress


def test_the_chart_ships_the_rules_and_the_dashboard_unchanged() -> None:
    """The chart's copies (Helm reads files inside the chart only) are the deploy/ files."""
    for copy, source in (
        ("rules.yml", ROOT / "deploy" / "prometheus" / "rules.yml"),
        ("cloudphoenix.json", ROOT / "deploy" / "grafana" / "cloudphoenix.json"),
    ):
        assert (BOT_CHART / "files" / copy).read_bytes() == source.read_bytes(), (
            f"charts/cloudphoenix/files/{copy} differs from {source.relative_to(ROOT)}: copy it"
        )


def test_the_prometheus_rule_is_rules_yml_with_runbooks_under_the_base_url(
    rendered: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    rule = one(objects(rendered["bot-observed-http"]), "PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    source = yaml.safe_load((ROOT / "deploy" / "prometheus" / "rules.yml").read_text())
    base = "https://git.example.com/dr/cloudphoenix/blob/main/"
    for group in source["groups"]:
        for entry in group["rules"]:
            if "runbook_url" in entry.get("annotations", {}):
                entry["annotations"]["runbook_url"] = base + entry["annotations"]["runbook_url"]
    assert rule["spec"]["groups"] == source["groups"]
    # What the operator hands Prometheus is a rules file promtool accepts.
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    answer = subprocess.run(
        [promtool(), "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr


def test_operator_objects_render_only_where_their_crd_is_served_or_when_forced() -> None:
    asked = {"enabled": True}
    objs = objects(render(BOT_CHART, {"serviceMonitor": asked, "prometheusRule": asked}))
    kinds = {o["kind"] for o in objs}
    assert not kinds & {"ServiceMonitor", "PrometheusRule"}, "no monitoring CRD offline"
    forced = {"enabled": True, "force": True}
    objs = objects(render(BOT_CHART, {"serviceMonitor": forced, "prometheusRule": forced}))
    assert {"ServiceMonitor", "PrometheusRule"} <= {o["kind"] for o in objs}


def test_the_dashboard_config_map_is_for_grafanas_sidecar(
    rendered: dict[str, dict[str, str]],
) -> None:
    config_map = one(objects(rendered["bot-observed-http"]), "ConfigMap", "phoenix-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["annotations"] == {"grafana_folder": "DR"}
    dashboard = json.loads(config_map["data"]["cloudphoenix.json"])
    assert dashboard == json.loads((ROOT / "deploy" / "grafana" / "cloudphoenix.json").read_text())
    assert not [o for o in objects(rendered["bot-default"]) if "dashboard" in o["metadata"]["name"]]


def test_the_ingress_takes_only_slacks_path_to_the_bot(rendered: dict[str, dict[str, str]]) -> None:
    objs = objects(rendered["bot-observed-http"])
    ingress = one(objs, "Ingress")
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "phoenix.example.com"
    (path,) = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/slack/events", "Exact")
    service = one(objs, "Service", "phoenix")
    assert path["backend"]["service"]["name"] == service["metadata"]["name"]
    assert path["backend"]["service"]["port"]["name"] in {
        p["name"] for p in service["spec"]["ports"]
    }
    assert ingress["spec"]["tls"] == [
        {"hosts": ["phoenix.example.com"], "secretName": "phoenix-tls"}
    ]
    assert not any(o["kind"] == "Ingress" for o in objects(rendered["bot-default"]))


def test_names_can_be_overridden(rendered: dict[str, dict[str, str]]) -> None:
    objs = objects(rendered["bot-observed-http"])
    deployment = one(objs, "Deployment", "phoenix")
    assert deployment["metadata"]["labels"]["app.kubernetes.io/name"] == "dr-bot"
    assert deployment["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] == "dr-bot"
    assert one(objs, "ServiceAccount")["metadata"]["name"] == "phoenix"
    named = render(BOT_CHART, {"nameOverride": "dr-bot"})
    assert one(objects(named), "Deployment")["metadata"]["name"] == "cloudphoenix-dr-bot"


def test_extra_volumes_mounts_and_variables_reach_the_bot(
    rendered: dict[str, dict[str, str]],
) -> None:
    spec = pod_spec(one(objects(rendered["bot-observed-http"]), "Deployment", "phoenix"))
    container = spec["containers"][0]
    assert {"name": "ca", "configMap": {"name": "corporate-ca"}} in spec["volumes"]
    assert {"name": "ca", "mountPath": "/etc/ssl/corporate", "readOnly": True} in container[
        "volumeMounts"
    ]
    assert env_of(container)["WEBHOOK_KEY"] == {"secretKeyRef": {"name": "hooks", "key": "n8n"}}
    assert container["envFrom"] == [{"secretRef": {"name": "phoenix-extra"}}]
