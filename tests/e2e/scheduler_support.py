"""A bot on a manual clock with readings the test sets: the evaluation tick and the drill
duties are called directly, so no test waits for an interval."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.scheduler import SchedulerSettings, TickResult
from bot.wiring.phoenix import Phoenix, build_phoenix
from engine.config import parse_config
from engine.model import Reading, Status
from sandbox.slack import Emulator, Message
from tests.e2e.support import (
    CONFIG,
    FAST_REPORTER,
    FAST_RUNNER,
    emulator_settings,
    readings,
    settle,
)
from tests.support.clock import ManualClock

HEALTHY = {
    "service-a": Status.OK,
    "service-b": Status.OK,
    "external-uptime": Status.OK,
    "cross-cloud": Status.OK,
}


@dataclass
class World:
    """What the signals say; the bot's collector reads it."""

    statuses: dict[str, Status] = field(default_factory=lambda: dict(HEALTHY))

    def collect(self) -> list[Reading]:
        return readings(self.statuses)


@dataclass
class Bot:
    slack: Emulator
    phoenix: Phoenix
    clock: ManualClock
    world: World
    handler: SocketModeHandler | None = None

    def tick(self, statuses: dict[str, Status] | None = None) -> TickResult | None:
        """Move the clock one interval on and evaluate."""
        if statuses is not None:
            self.world.statuses = dict(statuses)
        self.clock.advance(self.phoenix.evaluator.interval)
        self.phoenix.leadership.keep()
        return self.phoenix.evaluator.tick()

    def settle(self, timeout: float = 15.0) -> None:
        settle(self.phoenix, timeout)

    def top(self, channel: str = "#incidents") -> list[Message]:
        return self.slack.messages(channel)


def scheduler_config(extra: str = "") -> str:
    return CONFIG + extra


@contextmanager
def running_bot(
    slack: Emulator,
    tmp: Path,
    *,
    config_text: str | None = None,
    start: datetime = datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
    store_url: str | None = None,
    connect: bool = True,
) -> Iterator[Bot]:
    clock = ManualClock(start)
    world = World()
    settings = emulator_settings(slack, store_url or f"sqlite:///{tmp / 'phoenix.db'}")
    phoenix = build_phoenix(
        settings,
        parse_config(config_text or CONFIG),
        clock=clock,
        runner_settings=FAST_RUNNER,
        reporter_settings=FAST_REPORTER,
        scheduler_settings=SchedulerSettings(),
        collect=world.collect,
    )
    bot = Bot(slack, phoenix, clock, world)
    if connect:
        bot.handler = SocketModeHandler(phoenix.app, slack.app_token)
        bot.handler.connect()
        slack.wait_for_socket_connection()
    try:
        yield bot
    finally:
        if bot.handler is not None:
            bot.handler.close()
        phoenix.close()
