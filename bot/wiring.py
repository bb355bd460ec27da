"""The composition root of the running bot: store, runner, incident desk, Slack client,
reporter and Bolt app, built from the settings and phoenix.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient

from bot.app import build_app
from bot.reporter import ReporterSettings, SlackReporter
from bot.settings import Settings
from bot.slack_directory import SlackGroups
from bot.wiring_store import open_store
from engine.adapters.clock import SystemClock
from engine.config import PhoenixConfig
from engine.execution import RunnerSettings
from engine.incidents import IncidentDesk
from engine.model import LevelDecision
from engine.plans import plan_book
from engine.ports import Clock
from engine.proposals import Proposal
from engine.runner import Runner
from engine.store import Store
from handlers.context import Services


@dataclass
class Phoenix:
    """Everything one replica runs; ``close`` stops it in order (runs, messages, store)."""

    settings: Settings
    config: PhoenixConfig
    store: Store
    runner: Runner
    desk: IncidentDesk
    client: WebClient
    reporter: SlackReporter
    app: App
    services: Services

    def on_decision(self, decision: LevelDecision) -> Proposal | None:
        """What the evaluation tick calls with each level decision: a proposal, posted."""
        proposal = self.desk.on_decision(decision)
        if proposal is not None:
            self.reporter.publish(proposal)
        return proposal

    def close(self) -> None:
        self.runner.close()
        self.reporter.close()
        self.store.close()


def build_phoenix(
    settings: Settings,
    config: PhoenixConfig,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    runner_settings: RunnerSettings | None = None,
    reporter_settings: ReporterSettings | None = None,
    listener_workers: int = 16,
) -> Phoenix:
    clock = clock or SystemClock()
    store = store or open_store(settings.store_url, clock=clock)
    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.api_url)
    runner = Runner(store, plan_book(config), clock=clock, settings=runner_settings)
    desk = IncidentDesk(runner, config, clock=clock, groups=SlackGroups(client))
    reporter = SlackReporter(client, desk, config, settings=reporter_settings)
    runner.hub.subscribe(reporter.on_event, name="slack-reporter")
    services = Services(desk=desk, board=reporter, config=config, clock=clock)
    secret = settings.slack_signing_secret
    app = build_app(
        services,
        client,
        signing_secret=secret.get_secret_value() if secret else "",
        workers=listener_workers,
    )
    return Phoenix(settings, config, store, runner, desk, client, reporter, app, services)
