"""`phoenix plan show` and `phoenix plan dry-run`, and plan faults in `phoenix check-config`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main

OWN_DR_PLAN = """
plans:
  dr-azure:
    description: our own DR plan
    stages:
      - {name: lag, kind: fail_n_times, params: {failures: 0}, retry: {non_retryable: [X]}}
      - {name: db, kind: noop, group: ready, timeout: 90s}
      - {name: aks, kind: noop, group: ready, drill: false}
      - {name: switch, kind: manual, gate: true, role: cut-over, params: {instruction: flip DNS}}
"""
DRILL_PLAN = """
plans:
  drill:
    stages:
      - {name: note, kind: record, params: {ledger: ledger.txt}}
      - {name: nap, kind: sleep, group: g, params: {seconds: 2}}
      - {name: hand, kind: manual, group: g, gate: true, params: {instruction: call the DBA}}
"""


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_plan_show_prints_stages_roles_groups_gates_timeouts_and_retries(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "phoenix.yaml").write_text(OWN_DR_PLAN)
    assert main(["plan", "show", "dr-azure"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("plan dr-azure (version ")
    assert out[0].endswith("): our own DR plan")
    assert out[1] == "proposed by: levels.dr_failover (two approvals from two people)"
    rows = [line.split() for line in out[2:7]]
    assert rows[0] == [
        "step", "stage", "kind", "role", "group", "timeout", "drill", "gate", "retry"
    ]  # fmt: skip
    assert rows[1][:8] == ["1", "lag", "fail_n_times", "-", "-", "30s", "yes", "-"]
    assert " ".join(rows[1][8:]) == "5 attempts, backoff 1s x2 up to 1m, never retried: X"
    assert rows[2][:8] == ["2", "db", "noop", "-", "ready", "1m30s", "yes", "-"]
    assert rows[3][:8] == ["2", "aks", "noop", "-", "ready", "10s", "no", "-"]
    assert rows[4][:9] == ["3", "switch", "manual", "cut-over", "-", "1m", "no", "confirm", "no"]
    assert '  switch: {"instruction": "flip DNS"}' in out


def test_plan_show_without_a_config_shows_the_built_ins(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "show", "failback"]) == 0
    out = capsys.readouterr().out
    assert "proposed by: no level (started by hand or by a drill)" in out
    assert "switch-traffic-back" in out
    roles = {row[1]: row[3] for row in (line.split() for line in out.splitlines()[3:11])}
    assert roles == {
        "sync-objects-back": "catch-up",
        "check-primary": "verification",
        "switch-traffic-back": "cut-over",
        "sync-objects-final": "catch-up",
        "verify-services": "verification",
        "scale-down-aks": "-",
        "scale-down-azure-sql": "-",
        "notify": "notification",
    }, "a manual step of a built-in plan says the role of the kind it stands for"


def test_an_unknown_plan_or_a_bad_config_is_bad_input(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "show", "nope"]) == 2
    assert "no plan named 'nope'; plans: dr-azure, failback, region-failover, self-heal" in (
        capsys.readouterr().err
    )
    assert main(["plan", "show", "dr-azure", "--config", "missing.yaml"]) == 2


def test_check_config_names_the_field_path_of_a_bad_stage(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "phoenix.yaml").write_text(
        "plans:\n  mine:\n    stages:\n"
        "      - {name: a, kind: sleep, params: {secnds: 1}}\n"
        "      - {name: b, kind: restart_everything}\n"
    )
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[1:] == [
        "  plans.mine.stages[0].params.seconds: is required",
        "  plans.mine.stages[0].params.secnds: unknown field (did you mean 'seconds'?)",
        "  plans.mine.stages[1].kind: unknown stage kind 'restart_everything' (known: "
        "aks_deploy, azure_sql_ready, fail_n_times, jenkins_job, manual, noop, notify_webhook, "
        "object_sync, record, region_failover, replication_check, rollout_restart, sleep, "
        "traffic_switch, verify)",
    ]
    assert main(["plan", "show", "mine"]) == 2


def test_dry_run_walks_every_step_and_touches_nothing(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "phoenix.yaml").write_text(DRILL_PLAN)
    assert main(["plan", "dry-run", "drill"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == [
        "step 1",
        "  note (record)",
        "    - append '<run_id>:note' to ledger.txt, unless it is there already",
        "step 2, in parallel (group g)",
        "  nap (sleep)",
        "    - wait 2s",
        "  hand (manual, after a person confirms it)",
        "    - pause for a person to: call the DBA",
    ]
    assert out[0].endswith("live: nothing is touched")
    assert not (in_tmp / "ledger.txt").exists()

    assert main(["plan", "dry-run", "drill", "--rehearsal"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == [
        "  hand (manual, after a person confirms it)",
        "    skipped: not part of a drill rehearsal",
    ]


def test_plan_show_json_has_what_the_table_shows(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "phoenix.yaml").write_text(OWN_DR_PLAN)
    assert main(["plan", "show", "dr-azure", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["description"] == "our own DR plan"
    assert shown["proposed_by"] == [{"rule": "levels.dr_failover", "policy": "two-person"}]
    stages = shown["stages"]
    assert [(s["step"], s["name"], s["group"]) for s in stages] == [
        (1, "lag", None),
        (2, "db", "ready"),
        (2, "aks", "ready"),
        (3, "switch", None),
    ]
    assert stages[0]["retry"]["non_retryable"] == ["X"]
    assert stages[0]["retry_described"] == "5 attempts, backoff 1s x2 up to 1m, never retried: X"
    assert stages[1]["timeout_seconds"] == 90
    assert (stages[2]["drill"], stages[3]["gate"]) == (False, True)
    assert stages[3]["params"] == {"instruction": "flip DNS"}
    assert [s["role"] for s in stages] == [None, None, None, "cut-over"]


def test_dry_run_json_has_every_step_action_and_skip(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "phoenix.yaml").write_text(DRILL_PLAN)
    assert main(["plan", "dry-run", "drill", "--rehearsal", "--json"]) == 0
    walked = json.loads(capsys.readouterr().out)
    assert (walked["plan"], walked["mode"]) == ("drill", "rehearsal")
    assert [[s["name"] for s in step["stages"]] for step in walked["steps"]] == [
        ["note"],
        ["nap", "hand"],
    ]
    note, nap, hand = (stage for step in walked["steps"] for stage in step["stages"])
    assert note["actions"] == ["append '<run_id>:note' to ledger.txt, unless it is there already"]
    assert (note["skipped"], nap["actions"], nap["group"]) == (None, ["wait 2s"], "g")
    assert hand["gate"] is True
    assert hand["skipped"] == "skipped: not part of a drill rehearsal"
    assert not (in_tmp / "ledger.txt").exists()
