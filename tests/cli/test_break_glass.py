"""The break-glass commands as a process, on a store and configuration of the test's making:
what they refuse before anything is decided (a bad --as, no reason, no store), and who may
decide when Slack's directory cannot be asked at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.wiring.store import open_store
from engine.adapters.clock import SystemClock
from engine.config import parse_config
from engine.incidents.desk import IncidentDesk
from engine.model import Level
from engine.plans.model import plan_book
from engine.records import Surface
from engine.runner.execution import RunnerSettings
from engine.runner.runner import Runner
from engine.runs import RunState
from tests.support.directory import Groups
from tests.support.proposals import open_proposal

from .support import environ, phoenix

CONFIG = """
environment: production
slack:
  approvers: {users: [UALICE, UDAVE], groups: [SOPS]}
  responders: {users: [UCAROL]}
levels:
  region_failover: {min_score: 8, policy: approve, plan: quick}
plans:
  quick: {stages: [{name: switch, kind: noop}]}
"""


@pytest.fixture
def bot_state(tmp_path: Path) -> tuple[dict[str, str], str]:
    """The settings a command in the bot's pod has, and a proposal waiting in the bot's store."""
    config_path = tmp_path / "phoenix.yaml"
    config_path.write_text(CONFIG)
    url = f"sqlite:///{tmp_path / 'phoenix.db'}"
    config = parse_config(CONFIG)
    store = open_store(url)
    clock = SystemClock()
    runner = Runner(store, plan_book(config), clock=clock, settings=RunnerSettings(executes=False))
    desk = IncidentDesk(runner, config, clock=clock, groups=Groups())
    run_id = open_proposal(desk, "quick", Level.REGION_FAILOVER, "approve", 8)
    runner.close()
    store.close()
    return environ(PHOENIX_CONFIG=str(config_path), PHOENIX_STORE_URL=url), run_id


def test_as_must_name_a_slack_user_and_a_reason_is_required(
    bot_state: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, run_id = bot_state
    bad = phoenix("approve", run_id, "--as", "alice", "--reason", "x", cwd=tmp_path, env=env)
    assert bad.returncode == 2
    assert "must be a Slack user id such as U012AB3CD, not 'alice'" in bad.stderr
    missing = phoenix("approve", run_id, "--as", "UALICE", cwd=tmp_path, env=env)
    assert missing.returncode == 2
    assert "--reason" in missing.stderr
    blank = phoenix("approve", run_id, "--as", "UALICE", "--reason", "  ", cwd=tmp_path, env=env)
    assert blank.returncode == 3
    assert "A reason is required" in blank.stderr
    store = open_store(env["PHOENIX_STORE_URL"])
    try:
        assert store.list_approvals(run_id) == []
        [refused] = [e for e in store.list_audit(subject=run_id) if e.action.endswith("refused")]
        assert (refused.actor, refused.surface) == ("UALICE", Surface.CLI)
    finally:
        store.close()


def test_without_slack_only_listed_approvers_count_and_the_refusal_says_why(
    bot_state: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, run_id = bot_state
    member = phoenix(
        "approve", run_id, "--as", "UBOB", "--reason", "on call", cwd=tmp_path, env=env
    )
    assert member.returncode == 3
    assert "SLACK_BOT_TOKEN is not set, so Slack cannot be asked" in member.stderr
    assert "only the user ids listed in slack.approvers count" in member.stderr
    responder = phoenix(
        "approve", run_id, "--as", "UCAROL", "--reason", "on call", cwd=tmp_path, env=env
    )
    assert responder.returncode == 3, "a responder asks, never decides"
    listed = phoenix(
        "approve", run_id, "--as", "UALICE", "--reason", "on call", "--json", cwd=tmp_path, env=env
    )
    assert listed.returncode == 0, listed.stderr
    outcome = json.loads(listed.stdout)
    assert outcome["allowed"] is True
    assert outcome["state"] == RunState.RUNNING.value, "handed to the bot's replicas"
    assert outcome["handed_over"] is True
    assert [(a["user"], a["surface"]) for a in outcome["approvals"]] == [("UALICE", "cli")]


def test_status_reads_the_bots_store(bot_state: tuple[dict[str, str], str], tmp_path: Path) -> None:
    env, run_id = bot_state
    shown = phoenix("status", "--json", cwd=tmp_path, env=env)
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert status["environment"] == "production"
    assert status["run"] == {"id": run_id, "plan": "quick", "state": "awaiting_approval"}
    assert status["proposal"]["required"] == 1
    assert status["proposal"]["approvals"] == []
    text = phoenix("status", cwd=tmp_path, env=env)
    assert "waiting for approval: 0 of 1 (none yet)" in text.stdout


def test_a_store_the_bot_never_wrote_is_an_error_not_an_empty_answer(tmp_path: Path) -> None:
    (tmp_path / "phoenix.yaml").write_text(CONFIG)
    env = environ(
        PHOENIX_CONFIG=str(tmp_path / "phoenix.yaml"),
        PHOENIX_STORE_URL=f"sqlite:///{tmp_path / 'nowhere.db'}",
    )
    for argv in (("status",), ("abort", "run-1", "--as", "UALICE", "--reason", "x")):
        done = phoenix(*argv, cwd=tmp_path, env=env)
        assert done.returncode == 1
        assert "the bot has recorded nothing" in done.stderr
    assert not (tmp_path / "nowhere.db").exists()
