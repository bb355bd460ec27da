"""The composition root of the running bot: store, runner, incident and drill desks, Slack
client, reporter, Bolt app, metrics, leadership and the schedule, built from the settings and
phoenix.yaml."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient

from bot.app import build_app
from bot.break_glass_feed import BreakGlassFeed
from bot.followups import Followups
from bot.incident_feed import IncidentFeed
from bot.leader import Leadership
from bot.metrics import Metrics
from bot.readiness import ReadinessDuty
from bot.reporter.budget import ReporterSettings
from bot.reporter.slack import SlackReporter
from bot.run_log import RunLog
from bot.scheduler import (
    DrillDuties,
    Evaluator,
    ObjectWarming,
    PhoenixScheduler,
    SchedulerSettings,
)
from bot.settings import Settings
from bot.slack_directory import SlackGroups
from bot.slack_identity import SlackIdentity
from bot.sweeper import Sweeper
from bot.wiring.cloud import CloudPorts, build_cloud_ports
from bot.wiring.signals import build_collector
from bot.wiring.store import open_store
from bot.wiring.warming import build_warming
from engine.adapters.clock import SystemClock
from engine.config import PhoenixConfig
from engine.drills.desk import DrillDesk
from engine.errors import StoreError
from engine.health.readiness.access import CHAT
from engine.health.readiness.sweep import ReadinessSweeper
from engine.health.tick import Tick
from engine.incidents.desk import IncidentDesk
from engine.measurements import measurements
from engine.model import Reading
from engine.plans.model import plan_book
from engine.ports import Clock
from engine.runner.execution import RunnerSettings
from engine.runner.runner import Runner
from engine.runs import EventKind, ProgressEvent
from engine.store import Store
from handlers.context import Services


@dataclass
class Phoenix:
    """Everything one replica runs; ``close`` stops it in order (schedule, runs, messages,
    store)."""

    settings: Settings
    config: PhoenixConfig
    store: Store
    runner: Runner
    desk: IncidentDesk
    client: WebClient
    reporter: SlackReporter
    app: App
    services: Services
    drills: DrillDesk
    metrics: Metrics
    leadership: Leadership
    evaluator: Evaluator
    duties: DrillDuties
    readiness: ReadinessDuty
    sweeper: Sweeper
    scheduler: PhoenixScheduler
    clouds: CloudPorts
    followups: Followups
    warming: ObjectWarming | None = None

    def ready(self) -> bool:
        try:
            self.store.ping()
        except StoreError:
            return False
        return True

    def close(self) -> None:
        self.scheduler.stop()
        self.leadership.resign()
        self.followups.close()
        self.runner.close()
        self.clouds.close()
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
    scheduler_settings: SchedulerSettings | None = None,
    collect: Callable[[], Sequence[Reading]] | None = None,
    listener_workers: int = 16,
    cloud_ports: CloudPorts | None = None,
) -> Phoenix:
    clock = clock or SystemClock()
    store = store or open_store(settings.store_url, clock=clock)
    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.api_url)
    clouds = cloud_ports or build_cloud_ports(config)
    plans = plan_book(config)
    runner = Runner(store, plans, clock=clock, settings=runner_settings, ports=clouds.ports())
    desk = IncidentDesk(runner, config, clock=clock, groups=SlackGroups(client))
    drills = DrillDesk(runner, config, clock=clock, authority=desk.authority)
    reporter = SlackReporter(client, desk, config, settings=reporter_settings, drills=drills)
    drills.on_start = reporter.open_drill
    runner.hub.subscribe(reporter.on_event, name="slack-reporter")
    metrics = Metrics(config.environment, commit=settings.build_commit)
    metrics.expect_plans(plans)
    metrics.show_measurements(lambda: measurements(store, drills, config), config.objectives)

    def count_runs(event: ProgressEvent) -> None:
        run = store.get_run(event.run_id) if event.kind is EventKind.RUN_FINISHED else None
        if run is not None:
            metrics.on_event(event, run.plan)

    runner.hub.subscribe(count_runs, name="metrics")
    runner.hub.subscribe(RunLog(store).on_event, name="run-log")
    services = Services(desk=desk, board=reporter, config=config, clock=clock, drills=drills)
    followups = Followups(listener_workers)
    app = build_app(services, client, followups=followups)
    schedule = scheduler_settings or SchedulerSettings()
    leadership = Leadership(store, runner.owner, schedule.ttl_for(config.evaluation.interval))
    health = Tick(config, store, desk.lifecycle, clock=clock, history_keep=schedule.history_keep)
    feed = IncidentFeed(reporter, metrics, config.slack.channel, clock)
    evaluator = Evaluator(
        health,
        collect or build_collector(config, clock, secrets=clouds.secrets.resolve).collect,
        feed.publish,
        clock=clock,
        leadership=leadership,
        metrics=metrics,
    )
    duties = DrillDuties(drills, reporter, config, leadership, clock)
    readiness = ReadinessDuty(
        ReadinessSweeper(
            config,
            plans,
            store,
            clouds.ports().extended({CHAT: SlackIdentity(client)}),
            clock=clock,
            drills=drills,
        ),
        reporter,
        desk,
        config,
        leadership,
        clock,
    )
    break_glass = BreakGlassFeed(
        desk, reporter, config.slack.channel, leading=lambda: leadership.is_leader
    )
    sweeper = Sweeper(runner, desk, reporter.publish, break_glass)
    warming = build_warming(
        config, clouds, store, plans, clock=clock, owner=runner.owner, leadership=leadership
    )
    scheduler = PhoenixScheduler(
        evaluator, duties, sweeper, leadership, metrics, schedule, readiness, warming=warming
    )
    leadership.on_change = scheduler.on_leadership
    phoenix = Phoenix(
        settings,
        config,
        store,
        runner,
        desk,
        client,
        reporter,
        app,
        services,
        drills,
        metrics,
        leadership,
        evaluator,
        duties,
        readiness,
        sweeper,
        scheduler,
        clouds,
        followups,
        warming,
    )

    def store_up() -> bool:
        return phoenix.ready()

    metrics.watch(lambda: reporter.stats, store_up, lambda: leadership.is_leader)
    return phoenix
