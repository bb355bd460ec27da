"""deploy/prometheus/rules.yml: promtool accepts it, every alert has a unit test that fires it
(rules_test.yml, run by promtool), and every rule reads metrics the bot really exports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.metric_names import exported_names, referenced_names

pytestmark = pytest.mark.integration

RULES_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
README = RULES_DIR.parents[1] / "README.md"


def promtool() -> str:
    binary = shutil.which("promtool")
    if binary is None:
        raise RuntimeError("promtool is not installed: apt-get install prometheus")
    return binary


def rules() -> list[dict[str, Any]]:
    data = yaml.safe_load((RULES_DIR / "rules.yml").read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def test_promtool_checks_the_rules() -> None:
    answer = subprocess.run(
        [promtool(), "check", "rules", "rules.yml"],
        cwd=RULES_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "SUCCESS" in answer.stdout


def test_promtool_unit_tests_pass() -> None:
    answer = subprocess.run(
        [promtool(), "test", "rules", "rules_test.yml"],
        cwd=RULES_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr


def test_every_alert_has_a_unit_test_that_fires_it() -> None:
    tests = yaml.safe_load((RULES_DIR / "rules_test.yml").read_text())["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    quiet = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if not case.get("exp_alerts")
    }
    alerts = {rule["alert"] for rule in rules() if "alert" in rule}
    assert alerts == fired
    # ... and a case where it stays quiet, so no alert fires on everything.
    assert alerts == quiet


def test_every_alert_has_a_severity_and_says_what_to_do() -> None:
    for rule in (r for r in rules() if "alert" in r):
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert len(rule["annotations"]["description"]) > 40, rule["alert"]


def anchor(heading: str) -> str:
    """The anchor a Markdown renderer gives a heading (GitHub's rule: lower case, punctuation
    dropped, spaces to hyphens)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_alert_links_a_runbook_section_of_the_readme_that_names_it() -> None:
    text = README.read_text()
    anchors = {anchor(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}
    sections = {anchor(s.splitlines()[0]): s for s in re.split(r"^### ", text, flags=re.M)[1:]}
    for rule in (r for r in rules() if "alert" in r):
        path, _, target = rule["annotations"]["runbook_url"].partition("#")
        assert path == "README.md", rule["alert"]
        assert target in anchors, f"{rule['alert']}: README.md has no section #{target}"
        assert f"`{rule['alert']}`" in sections[target], f"#{target} does not name it"


def test_rules_read_only_metrics_the_bot_exports() -> None:
    exported = exported_names()
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    for rule in rules():
        names = referenced_names(rule["expr"])
        unknown = names - exported - recorded
        assert unknown == set(), f"{rule.get('record') or rule['alert']} reads {unknown}"
    # The bot's own health (leader, evaluations, runs, store) and the scoring are covered.
    everything = set().union(*(referenced_names(r["expr"]) for r in rules()))
    for name in (
        "phoenix_score", "phoenix_level", "phoenix_signal_points", "phoenix_leader",
        "phoenix_evaluations_total", "phoenix_runs_total", "phoenix_store_up",
        "phoenix_ticks_skipped_total", "phoenix_drill_last_success_timestamp_seconds",
        "phoenix_drill_rto_seconds", "phoenix_drill_rpo_seconds", "phoenix_failover_rto_seconds",
        "phoenix_failover_rpo_seconds", "phoenix_rto_objective_seconds",
        "phoenix_rpo_objective_seconds", "phoenix_drill_passed", "phoenix_readiness_ready",
        "phoenix_readiness_sweep_timestamp_seconds",
    ):  # fmt: skip
        assert name in everything, name
