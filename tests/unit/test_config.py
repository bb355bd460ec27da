from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli.main import main
from engine.config import parse_config
from engine.errors import ConfigError
from engine.model import Vantage

EXAMPLE = Path(__file__).parents[2] / "examples" / "phoenix.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    return [str(p) for p in info.value.problems]


def test_the_example_is_valid_and_complete() -> None:
    cfg = parse_config(EXAMPLE.read_text())
    kinds = {s.kind for s in cfg.signals}
    assert kinds == {"http", "route53_health_check", "rds_replica_lag", "eks_nodes"}
    vantages = {s.vantage for s in cfg.signals}
    assert {Vantage.INTERNAL, Vantage.EXTERNAL, Vantage.CROSS_CLOUD} <= vantages


def test_an_empty_file_gets_the_defaults() -> None:
    cfg = parse_config("")
    assert cfg.evaluation.interval.total_seconds() == 30
    assert (cfg.evaluation.confirm, cfg.evaluation.clear) == (2, 4)
    assert [cfg.levels.self_heal.min_score, cfg.levels.region_failover.min_score] == [4, 8]
    assert cfg.levels.dr_failover.policy == "two-person"
    assert cfg.evaluation.flap.window == 21
    assert cfg.objectives.rto.total_seconds() == 900
    assert cfg.readiness.interval.total_seconds() == 300
    assert cfg.readiness.drill_max_age.days == 35
    assert cfg.readiness_plan == "dr-azure"
    assert cfg.readiness.checks.enabled("traffic-manager")


def test_a_wrong_type_names_the_field_path() -> None:
    text = """
signals:
  - {name: a, kind: http, targets: ["http://a/"]}
  - {name: b, kind: http, targets: ["http://b/"]}
  - name: c
    kind: promql
    query: lag
    thresholds: [{above: high, status: down}]
"""
    assert problems(text) == ["signals[2].thresholds[0].above: must be a number"]


def test_unknown_keys_are_errors_with_a_suggestion() -> None:
    text = "signals:\n  - {name: a, kind: http, targets: ['http://a/'], timout: 3s}\n"
    assert problems(text) == ["signals[0].timout: unknown field (did you mean 'timeout'?)"]
    assert problems("evaluaton: {}\n") == ["evaluaton: unknown field (did you mean 'evaluation'?)"]


def test_every_problem_is_reported_at_once() -> None:
    text = """
signals:
  - {name: a, kind: htp}
evaluation: {confirm: 0, interval: soon}
slack: {approvers: {users: [bob]}}
"""
    found = problems(text)
    assert (
        "signals[0].kind: unknown kind 'htp': one of 'http', 'route53_health_check', "
        "'rds_replica_lag', 'promql', 'eks_nodes'" in found
    )
    assert "evaluation.confirm: must be at least 1" in found
    assert any(p.startswith("evaluation.interval: 'soon' is not a duration") for p in found)
    assert any(
        p.startswith("slack.approvers.users[0]: does not have the expected form") for p in found
    )


def test_cross_references_are_checked() -> None:
    text = """
signals:
  - {name: a, kind: http, targets: ["http://a/"]}
  - {name: a, kind: http, targets: ["http://b/"]}
levels:
  self_heal: {min_score: 4, policy: auto, plan: no-such-plan}
"""
    assert problems(text) == [
        "signals[1].name: 'a' is used twice",
        "levels.self_heal.plan: no plan named 'no-such-plan'",
    ]


def test_readiness_names_a_known_plan_and_cluster_and_checks_by_name() -> None:
    text = """
readiness:
  plan: dr-elsewhere
  interval: 0s
  primary: {cluster: eks-west, namespace: shop}
  checks: {trafic_manager: false}
"""
    assert problems(text) == [
        "readiness.interval: must be greater than zero",
        "readiness.checks.trafic_manager: unknown field (did you mean 'traffic_manager'?)",
    ]
    assert problems("readiness: {plan: dr-elsewhere, primary: {cluster: eks-west, namespace: a}}")[
        :2
    ] == [
        "readiness.plan: no plan named 'dr-elsewhere'",
        "readiness.primary.cluster: no cluster 'eks-west' in clouds.clusters (none)",
    ]
    off = parse_config("readiness: {plan: failback, checks: {slack: false}}")
    assert off.readiness_plan == "failback"
    assert not off.readiness.checks.enabled("slack")


def test_level_bounds_must_rise() -> None:
    text = "levels: {self_heal: {min_score: 9, policy: auto, plan: self-heal}}\n"
    assert problems(text) == ["levels: min_score must rise from level to level (got 9, 8, 11)"]


def test_yaml_errors_name_line_and_column() -> None:
    assert problems("environment: prod\nsignals: [a, b\nlevels: {}\n") == [
        "YAML syntax error at line 3, column 7: expected ',' or ']', but got ':'"
    ]


def test_duplicate_keys_are_errors() -> None:
    found = problems("environment: prod\nenvironment: stage\n")
    assert found == ["YAML syntax error at line 2, column 1: found duplicate key 'environment'"]


@pytest.mark.parametrize(
    "ref",
    [
        "env:WEBHOOK_TOKEN",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:phoenix/probe-AbCdEf",
        "https://phoenix-kv.vault.azure.net/secrets/probe-token",
    ],
)
def test_secret_references_are_accepted(ref: str) -> None:
    cfg = parse_config(
        f"signals: [{{name: a, kind: http, targets: ['http://a/'], bearer_token: '{ref}'}}]"
    )
    assert cfg.signals[0].bearer_token == ref  # type: ignore[union-attr]


def test_a_pasted_secret_is_refused_and_never_echoed() -> None:
    secret = "xoxb-1234567890-SECRETVALUE"
    found = problems(
        f"signals: [{{name: a, kind: http, targets: ['http://a/'], bearer_token: {secret}}}]"
    )
    assert len(found) == 1
    assert found[0].startswith("signals[0].bearer_token: must reference a secret")
    assert secret not in found[0]


def test_secret_headers_are_refused() -> None:
    text = "signals: [{name: a, kind: http, targets: ['http://a/'], headers: {X-Api-Key: abc}}]"
    (found,) = problems(text)
    assert "would carry a secret" in found
    assert "abc" not in found


def test_a_url_carrying_credentials_is_refused_without_echo() -> None:
    text = "signals: [{name: a, kind: http, targets: ['https://probe:hunter2@a.example/h']}]"
    (found,) = problems(text)
    assert found.startswith("signals[0].targets[0]: must not carry credentials")
    assert "hunter2" not in found


def test_check_config_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(EXAMPLE)]) == 0
    summary, *drill = capsys.readouterr().out.splitlines()
    assert "ok" in summary
    assert "6 signals" in summary
    assert len(drill) == 4, "then its one drill and the drill's next three firings"

    bad = tmp_path / "bad.yaml"
    bad.write_text("signals:\n  - {name: a, kind: http, targets: [ftp://a], timout: 1}\n")
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[1:] == [
        "  signals[0].targets[0]: must be an http:// or https:// URL",
        "  signals[0].timout: unknown field (did you mean 'timeout'?)",
    ]
    assert "Traceback" not in "\n".join(err)

    assert main(["check-config", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_a_cluster_is_reached_one_way_and_an_eks_cluster_by_its_name() -> None:
    config = parse_config("clouds:\n  clusters:\n    eks-primary: {eks: {cluster: prod}}\n")
    eks = config.clouds.clusters["eks-primary"].eks
    assert eks is not None
    assert (eks.cluster, eks.region) == ("prod", None)
    assert problems(
        "clouds:\n  clusters:\n    eks-primary: {eks: {cluster: prod}, in_cluster: true}\n"
    ) == [
        "clouds.clusters.eks-primary: give only one of 'kubeconfig', 'in_cluster', 'api_url' "
        "or 'eks'"
    ]
    assert problems("clouds:\n  clusters:\n    eks-primary: {eks: {cluster: ''}}\n") != []


def test_continuous_object_sync_is_off_unless_given_and_has_sane_defaults() -> None:
    objects = "recovery:\n  objects: {bucket: primary, container: dr%s}\n"
    assert parse_config(objects % "").recovery.objects.continuous is None  # type: ignore[union-attr]

    warm = parse_config(objects % ", continuous: {every: 5m}").recovery.objects
    assert warm is not None
    assert warm.continuous is not None
    assert (warm.continuous.every, warm.continuous.margin, warm.continuous.full_every) == (
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=24),
    )
    assert warm.continuous.events_queue is None
    assert (warm.s3_location, warm.blob_location) == ("s3://primary", "blob://dr")


def test_continuous_object_sync_refuses_a_cadence_that_cannot_work() -> None:
    objects = "recovery:\n  objects: {bucket: primary, container: dr, continuous: {%s}}\n"
    where = "recovery.objects.continuous"
    assert problems(objects % "every: 5s") == [f"{where}.every: must be at least 10s"]
    assert problems(objects % "every: 1h, full_every: 30m") == [
        f"{where}.full_every: must be at least 'every'"
    ]
    assert problems(objects % "events_queue: my-queue") == [
        f"{where}.events_queue: must be an http:// or https:// URL"
    ]
