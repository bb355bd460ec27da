"""Break-glass, end to end: a level-3 DR proposal is posted, Slack goes away, and the failover is
approved from the command line (``phoenix`` in its own process, on the bot's store and config)
under the same rules — a group member cannot be confirmed without Slack's directory, an approval
counts once per person, two people are needed. The bot runs the run it was handed while Slack
is down, and once Slack answers the thread shows who approved from the command line and why,
and every stage in its final state.

The test prints the whole story (commands, their output, the thread after Slack returns): run it
with ``-s`` to read it."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.reporter.budget import ReporterSettings
from bot.scheduler import SchedulerSettings
from engine.model import Level, Reading, Status, Vantage
from engine.records import Surface
from engine.runs import RunState
from sandbox.slack import Emulator, RateBudget
from sandbox.slack.visible import visible_text
from tests.cli.support import environ, phoenix
from tests.e2e.support import CONFIG, Rig, build_rig, connect, shut
from tests.support.ports import free_port
from tests.support.waiting import wait_until

DR_PLAN = """  dr-quick:
    stages:
      - {name: check-replication-lag, kind: noop}
      - {name: promote, kind: sleep, params: {seconds: 0.2}}
      - {name: switch-traffic, kind: noop}
"""
WITH_ROLES = CONFIG.replace(
    DR_PLAN,
    """  dr-quick:
    stages:
      - {name: check-replication-lag, kind: noop, role: catch-up}
      - {name: promote, kind: sleep, params: {seconds: 0.2}, role: cut-over}
      - {name: switch-traffic, kind: noop, role: cut-over}
      - {name: verify-services, kind: sleep, params: {seconds: 0.3}, role: verification}
""",
)
"""The e2e configuration, its DR plan's stages saying what they do for the recovery (the
summary then measures the RTO as a real plan's would)."""
assert WITH_ROLES != CONFIG

REPORTER = ReporterSettings(
    posts_per_second=10.0, post_burst=10, outage_first_wait=0.2, outage_longest_wait=0.5
)


def healthy() -> Sequence[Reading]:
    """What the schedule's evaluations read meanwhile: nothing the test did not ask for."""
    now = datetime.now(UTC)
    return [
        Reading("service-a", Status.OK, None, "", Vantage.INTERNAL, now),
        Reading("external-uptime", Status.OK, None, "", Vantage.EXTERNAL, now),
    ]


class Story:
    """The commands run and what they printed, and the thread, for people to read."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd, self.env = cwd, env
        self.lines: list[str] = []

    def say(self, text: str) -> None:
        self.lines.append(text)

    def run(self, *argv: str) -> tuple[int, str, str]:
        done = phoenix(*argv, cwd=self.cwd, env=self.env)
        self.lines.append(f"$ phoenix {shlex.join(argv)}")
        self.lines += [f"  {line}" for line in (done.stdout + done.stderr).splitlines()]
        self.lines.append(f"  (exit status {done.returncode})")
        return done.returncode, done.stdout, done.stderr


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    slack = Emulator(http_port=free_port())
    slack.start()
    try:
        built = build_rig(
            slack,
            tmp_path,
            config_text=WITH_ROLES,
            reporter=REPORTER,
            scheduler=SchedulerSettings(sweep_interval=0.5),
            collect=healthy,
        )
        slack.set_rate_budget("chat.postMessage", RateBudget(10.0, 10, scope="channel"))
        connected = connect(built)
        connected.phoenix.scheduler.start()
        yield connected
        shut(connected)
    finally:
        slack.stop()


def test_a_dr_failover_approved_from_the_command_line_while_slack_is_down(
    rig: Rig, tmp_path: Path
) -> None:
    slack, store = rig.slack, rig.phoenix.store
    config = tmp_path / "phoenix.yaml"
    config.write_text(WITH_ROLES)
    story = Story(
        tmp_path,
        environ(
            PHOENIX_CONFIG=str(config),
            PHOENIX_STORE_URL=f"sqlite:///{tmp_path / 'phoenix.db'}",
            SLACK_BOT_TOKEN=slack.bot_token,
            PHOENIX_SLACK_API_URL=slack.api_url,
        ),
    )
    wait_until(lambda: rig.phoenix.leadership.is_leader, what="the bot to lead")
    proposal = rig.breach(Level.DR_FAILOVER)
    run_id = proposal.run_id
    message = rig.posted(run_id)
    assert "0 of 2 approval(s)" in visible_text(message.blocks)

    slack.stop()
    story.say("# Slack is stopped. Inside the bot's pod:")
    status, out, _ = story.run("status")
    assert status == 0
    assert run_id in out
    assert "waiting for approval: 0 of 2" in out

    status, _, err = story.run(
        "approve", run_id, "--as", "UBOB", "--reason", "Slack is down; AWS lost, seen by phone"
    )
    assert status == 3, "bob is an approver only through a group Slack cannot be asked about"
    assert "directory cannot be reached" in err
    assert "only the user ids listed in slack.approvers count" in err

    status, out, _ = story.run(
        "approve", run_id, "--as", "UALICE", "--reason", "us-east-1 down for 20 min; ALB and RDS"
    )
    assert status == 0
    assert "1 more from a different approver needed" in out
    assert "approvals 1 of 2: UALICE (cli)" in out

    status, _, err = story.run("approve", run_id, "--as", "UALICE", "--reason", "again")
    assert status == 3
    assert "counts once per person" in err

    status, out, _ = story.run(
        "approve", run_id, "--as", "UDAVE", "--reason", "agreed with alice on the bridge call"
    )
    assert status == 0
    assert "Approved: the run starts now." in out
    assert "the bot's replicas run it from their next sweep" in out

    rig.wait_state(run_id, RunState.SUCCEEDED, timeout=30)
    read = phoenix("runs", "show", run_id, "--json", cwd=story.cwd, env=story.env)
    assert read.returncode == 0
    shown = json.loads(read.stdout)
    assert shown["run"]["state"] == "succeeded"
    assert [(a["user"], a["surface"]) for a in shown["approvals"]] == [
        ("UALICE", "cli"),
        ("UDAVE", "cli"),
    ]
    story.run("runs", "show", run_id)

    audit = store.list_audit(subject=run_id, limit=200)
    refused = [e for e in audit if e.action == "approve.refused"]
    assert [(e.actor, e.surface) for e in refused] == [
        ("UBOB", Surface.CLI),
        ("UALICE", Surface.CLI),
    ]
    grants = [e for e in audit if e.action == "approval.grant"]
    assert [(e.actor, e.surface, e.detail) for e in grants] == [
        ("UALICE", Surface.CLI, "1 of 2: us-east-1 down for 20 min; ALB and RDS"),
        ("UDAVE", Surface.CLI, "2 of 2: agreed with alice on the bridge call"),
    ]

    story.say("# Slack is started again. The incident thread:")
    slack.start()
    head = slack.wait_for(
        lambda: (m := slack.message(message.ts)) and "Succeeded" in visible_text(m.blocks) and m,
        timeout=30,
        what="the proposal edited to its final state",
    )
    rig.settle(timeout=30)
    text = visible_text(slack.message(message.ts).blocks)
    assert "via the command line" in text
    assert text.count("via the command line") == 2
    assert "<@UALICE>" in text
    assert "<@UDAVE>" in text
    thread = slack.replies("#incidents", message.ts)
    notes = [visible_text(r.blocks) for r in thread if "break-glass" in r.text.lower()]
    assert len(notes) == 2, notes
    assert "<@UALICE> approved this proposal from the command line (break-glass)" in notes[0]
    assert "us-east-1 down for 20 min; ALB and RDS" in notes[0]
    assert "<@UDAVE> approved this proposal" in notes[1]
    said = [r.text for r in thread]
    assert max(said.index(n) for n in said if "Break-glass" in n) < min(
        said.index(s) for s in said if s.startswith("Stage ")
    ), "the decisions read before the run they started"
    stages = [r.text for r in thread if r.text.startswith("Stage ")]
    assert stages == [
        "Stage 1/4 check-replication-lag: succeeded",
        "Stage 2/4 promote: succeeded",
        "Stage 3/4 switch-traffic: succeeded",
        "Stage 4/4 verify-services: succeeded",
    ]
    summary = next(r for r in thread if "Run succeeded" in r.text)
    assert "within the objective" in visible_text(summary.blocks)
    assert said.index(summary.text) > max(said.index(s) for s in stages)
    assert thread[-1].files, "the failover's picture closes the thread"
    assert thread[-1].text.startswith("Timeline of failover dr-quick: RTO")

    story.say(f"[proposal] {visible_text(head.blocks)}")
    for reply in thread:
        story.say(f"  [reply] {visible_text(reply.blocks) or reply.text}")
    print("\n" + "\n".join(story.lines))


def _requested(rig: Rig, plan: str) -> tuple[str, str]:
    """Carol asks for ``plan`` in Slack; its run id and its proposal's message."""
    slack = rig.slack
    before = {r.run_id for r in rig.phoenix.store.list_runs(limit=100)}
    slack.run_slash_command("/phoenix", f"failover {plan}", user="UCAROL")
    run_id = wait_until(
        lambda: next(
            (r.run_id for r in rig.phoenix.store.list_runs(limit=100) if r.run_id not in before),
            None,
        ),
        what=f"the run of {plan}",
    )
    return run_id, rig.posted(run_id).ts


def test_the_other_decisions_from_the_command_line_follow_the_same_rules(
    rig: Rig, tmp_path: Path
) -> None:
    slack = rig.slack
    config = tmp_path / "phoenix.yaml"
    config.write_text(WITH_ROLES)
    env = environ(
        PHOENIX_CONFIG=str(config), PHOENIX_STORE_URL=f"sqlite:///{tmp_path / 'phoenix.db'}"
    )

    def cli(*argv: str) -> tuple[int, str]:
        done = phoenix(*argv, cwd=tmp_path, env=env)
        return done.returncode, done.stdout + done.stderr

    wait_until(lambda: rig.phoenix.leadership.is_leader, what="the bot to lead")
    stuck, head = _requested(rig, "stuck")
    assert cli("approve", stuck, "--as", "UCAROL", "--reason", "mine")[0] == 3, "not an approver"
    assert cli("approve", stuck, "--as", "UALICE", "--reason", "go")[0] == 0
    rig.wait_state(stuck, RunState.PAUSED, timeout=30)
    status, said = cli("retry", stuck, "after", "--as", "UALICE", "--reason", "wrong one")
    assert status == 3
    assert "Stage after did not fail; broken-step did." in said
    status, said = cli("skip", stuck, "broken-step", "--as", "UDAVE", "--reason", "done by hand")
    assert status == 0, said
    rig.wait_state(stuck, RunState.SUCCEEDED, timeout=30)
    rig.settle()
    replies = [visible_text(r.blocks) for r in slack.replies("#incidents", head)]
    assert any("broken-step* — skipped" in r and "skipped by <@UDAVE>" in r for r in replies)
    assert any("<@UDAVE> skipped the failed stage `broken-step`" in r for r in replies)
    skip = next(e for e in rig.audit_events(stuck) if e.action == "run.skip")
    assert (skip.actor, skip.surface, skip.detail) == (
        "UDAVE",
        Surface.CLI,
        "stage broken-step: done by hand",
    )

    declined, head = _requested(rig, "quick")
    assert cli("decline", declined, "--as", "UALICE", "--reason", "a <known> blip")[0] == 0
    rig.wait_state(declined, RunState.ABORTED)
    wait_until(
        lambda: (
            "*Declined* by <@UALICE> via the command line: a &lt;known&gt; blip"
            in visible_text(slack.message(head).blocks)
        ),
        what="the proposal edited to say who declined, from where and why",
    )

    aborted, head = _requested(rig, "quick")
    assert cli("abort", aborted, "--as", "UCAROL", "--reason", "mine")[0] == 3
    assert cli("abort", aborted, "--as", "UDAVE", "--reason", "not needed")[0] == 0
    wait_until(
        lambda: (
            "*Aborted* by <@UDAVE> via the command line" in visible_text(slack.message(head).blocks)
        ),
        what="the proposal edited to say who aborted it",
    )
    refused = [
        (e.actor, e.action)
        for run_id in (stuck, aborted)
        for e in rig.audit_events(run_id)
        if e.surface is Surface.CLI and e.action.endswith(".refused")
    ]
    assert refused == [
        ("UCAROL", "approve.refused"),
        ("UALICE", "retry.refused"),
        ("UCAROL", "abort.refused"),
    ]
