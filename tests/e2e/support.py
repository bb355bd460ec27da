"""The whole bot against the Slack emulator: settings from the emulator, a phoenix.yaml with
fast test plans, a real SQLite store, the real runner, reporter and Bolt app."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.reporter.budget import ReporterSettings
from bot.scheduler import SchedulerSettings
from bot.settings import Settings, load_settings
from bot.wiring.phoenix import Phoenix, build_phoenix
from engine.config import parse_config
from engine.health.tick import TickOutcome
from engine.incidents.proposals import Proposal
from engine.model import Level, Reading, Status, Vantage
from engine.records import AuditEvent, IncidentStatus, ScoreSample
from engine.runner.execution import RunnerSettings
from engine.runs import Run, RunState
from sandbox.slack import Emulator, Message
from sandbox.slack.visible import visible_text

ENVIRONMENT = "sandbox-prod"

CONFIG = """
environment: sandbox-prod
signals:
  - {name: service-a, kind: http, targets: ["http://127.0.0.1:9/a"], points: {down: 4}}
  - {name: service-b, kind: http, targets: ["http://127.0.0.1:9/b"], points: {down: 4}}
  - {name: external-uptime, kind: http, vantage: external, targets: ["http://127.0.0.1:9/e"]}
  - {name: cross-cloud, kind: http, vantage: cross-cloud, targets: ["http://127.0.0.1:9/c"]}
levels:
  self_heal: {min_score: 4, policy: auto, plan: heal}
  region_failover: {min_score: 8, policy: approve, plan: quick}
  dr_failover: {min_score: 11, policy: two-person, plan: dr-quick}
slack:
  channel: "#incidents"
  approvers: {users: [UALICE, UDAVE], groups: [SAPPROVERS]}
  responders: {users: [UCAROL]}
  approval_ttl: 30m
objectives: {rto: 15m, rpo: 5m}
plans:
  heal:
    stages:
      - {name: restart, kind: noop}
  quick:
    stages:
      - {name: check-replication-lag, kind: noop}
      - {name: warm-up, kind: sleep, params: {seconds: 0.4}}
      - {name: switch-traffic, kind: noop}
  dr-quick:
    stages:
      - {name: check-replication-lag, kind: noop}
      - {name: promote, kind: sleep, params: {seconds: 0.2}}
      - {name: switch-traffic, kind: noop}
  flaky:
    stages:
      - {name: prepare, kind: noop}
      - name: flaky-step
        kind: fail_n_times
        params: {failures: 1}
        retry: {maximum_attempts: 1}
      - {name: finish, kind: noop}
  stuck:
    stages:
      - name: broken-step
        kind: fail_n_times
        params: {failures: 99, fatal: true}
        retry: {maximum_attempts: 1}
      - {name: after, kind: noop}
"""

FAST_RUNNER = RunnerSettings(poll_interval=0.01, cancel_grace=2.0)
FAST_REPORTER = ReporterSettings(posts_per_second=10.0, post_burst=10)


def settle(phoenix: Phoenix, timeout: float = 15.0) -> None:
    """Every click's followup has run, every progress event has reached the reporter, and
    every message shows its latest state (a flush alone can return before a run's last event
    reached the reporter)."""
    assert phoenix.followups.drain(timeout), "a click's followup did not finish"
    assert phoenix.runner.hub.drain(timeout), "progress events were not delivered"
    assert phoenix.reporter.flush(timeout), "the reporter did not land every message"


def emulator_settings(slack: Emulator, store_url: str, **extra: str) -> Settings:
    return load_settings(
        {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_APP_TOKEN": slack.app_token,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "PHOENIX_SLACK_API_URL": slack.api_url,
            "PHOENIX_STORE_URL": store_url,
            **extra,
        }
    )


def readings(statuses: dict[str, Status]) -> list[Reading]:
    now = datetime.now(UTC)
    vantages = {"external-uptime": Vantage.EXTERNAL, "cross-cloud": Vantage.CROSS_CLOUD}
    return [
        Reading(
            name,
            status,
            None,
            f"{name} is {status.value}",
            vantages.get(name, Vantage.INTERNAL),
            now,
        )
        for name, status in statuses.items()
    ]


BREACHES: dict[Level, dict[str, Status]] = {
    Level.REGION_FAILOVER: {
        "service-a": Status.DOWN,
        "service-b": Status.DOWN,
        "external-uptime": Status.OK,
        "cross-cloud": Status.OK,
    },
    Level.DR_FAILOVER: {
        "service-a": Status.DOWN,
        "service-b": Status.DOWN,
        "external-uptime": Status.DOWN,
        "cross-cloud": Status.DOWN,
    },
}


@dataclass
class Rig:
    slack: Emulator
    phoenix: Phoenix
    handler: SocketModeHandler | None = None

    def evaluate(self, level: Level) -> TickOutcome:
        """Evaluations of a breach at ``level``, published as the tick publishes them, until the
        level is confirmed; the last one's outcome. They start from a healthy level, and the
        failovers earlier tests of the module ran are long over (no cool-down holds)."""
        phoenix = self.phoenix
        store = phoenix.store
        cooldown = phoenix.config.evaluation.cooldown
        for run in store.list_runs(states={RunState.SUCCEEDED}, limit=500):
            if run.finished_at is not None:
                earlier = replace(run, finished_at=run.finished_at - cooldown)
                store.update_run(earlier, expect=RunState.SUCCEEDED)
        # A sample without a level state: the next evaluation starts from a healthy level.
        store.append_score(ScoreSample(datetime.now(UTC), 0, Level.NONE), keep=100)
        outcomes = [
            phoenix.evaluator.evaluate(readings(BREACHES[level]))
            for _ in range(phoenix.config.evaluation.confirm)
        ]
        last = outcomes[-1]
        assert last is not None
        assert last.decision.action.is_proposal, last.decision.reasons
        return last

    def breach(self, level: Level) -> Proposal:
        for silence in self.phoenix.store.list_silences():
            self.phoenix.store.remove_silence(silence.silence_id)
        for incident in self.phoenix.store.list_incidents(open_only=True):
            self.phoenix.store.save_incident(replace(incident, status=IncidentStatus.RESOLVED))
        proposal = self.evaluate(level).incidents.proposed
        assert proposal is not None
        return proposal

    def posted(self, run_id: str, timeout: float = 5.0) -> Message:
        """The proposal message of ``run_id`` once the bot has posted it."""

        def found() -> Message | None:
            for message in self.slack.messages("#incidents"):
                if run_id in message.text or run_id in visible_text(message.blocks):
                    return message
            return None

        return self.slack.wait_for(found, timeout, f"the proposal of {run_id}")

    def run(self, run_id: str) -> Run:
        run = self.phoenix.store.get_run(run_id)
        assert run is not None
        return run

    def wait_state(self, run_id: str, *states: RunState, timeout: float = 10.0) -> Run:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.run(run_id)
            if run.state in states and run_id not in self.phoenix.runner.executing():
                return run
            time.sleep(0.02)
        raise TimeoutError(f"run {run_id} is {self.run(run_id).state}, not {states}")

    def settle(self, timeout: float = 15.0) -> None:
        settle(self.phoenix, timeout)

    def audit(self, run_id: str) -> list[str]:
        return [e.action for e in self.audit_events(run_id)]

    def audit_events(self, run_id: str) -> list[AuditEvent]:
        return self.phoenix.store.list_audit(subject=run_id, limit=1000)


def build_rig(
    slack: Emulator,
    tmp: Path,
    *,
    config_text: str = CONFIG,
    reporter: ReporterSettings = FAST_REPORTER,
    mode: str = "socket",
    scheduler: SchedulerSettings | None = None,
    collect: Callable[[], Sequence[Reading]] | None = None,
) -> Rig:
    """The bot on a SQLite store in ``tmp``; ``scheduler`` and ``collect`` for a test that
    starts its schedule (what each evaluation reads, instead of probing the config's URLs)."""
    slack.add_user("dave", id="UDAVE", approver=True)
    settings = emulator_settings(slack, f"sqlite:///{tmp / 'phoenix.db'}", PHOENIX_SLACK_MODE=mode)
    phoenix = build_phoenix(
        settings,
        parse_config(config_text),
        runner_settings=FAST_RUNNER,
        reporter_settings=reporter,
        scheduler_settings=scheduler,
        collect=collect,
    )
    return Rig(slack, phoenix)


def connect(rig: Rig) -> Rig:
    rig.handler = SocketModeHandler(rig.phoenix.app, rig.slack.app_token)
    rig.handler.connect()
    rig.slack.wait_for_socket_connection()
    return rig


def shut(rig: Rig) -> None:
    if rig.handler is not None:
        rig.handler.close()
    rig.phoenix.close()
