"""The bot's incident desk, opened by a command on the bot's own configuration and store: for
``phoenix status`` to read what the bot would answer in Slack, and for the break-glass commands
to decide under the same rules.

Its runner never executes a run (``RunnerSettings.executes``): a run started, retried or skipped
from the command line is handed over to the bot's replicas. Who is in a user group is asked of
Slack's directory when the bot's token is set (``SLACK_BOT_TOKEN``, ``PHOENIX_SLACK_API_URL``)
and Slack answers; otherwise only people listed by user id count, and a refusal says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.cli import exits
from bot.cli.invocation import Invocation

if TYPE_CHECKING:
    from engine.config import PhoenixConfig
    from engine.drills.desk import DrillDesk
    from engine.incidents.authority import GroupDirectory
    from engine.incidents.desk import IncidentDesk

DIRECTORY_TIMEOUT = 5
"""Seconds one question to Slack's directory may take: Slack may be the very thing that is down."""


@dataclass(frozen=True)
class OpenDesk:
    config: PhoenixConfig
    desk: IncidentDesk
    drills: DrillDesk


@contextmanager
def open_desk(invocation: Invocation) -> Iterator[OpenDesk]:
    """The desk over the store the bot uses; closed (runner and store) on the way out."""
    from engine.adapters.clock import SystemClock
    from engine.drills.desk import DrillDesk
    from engine.errors import StoreNotCreated
    from engine.incidents.desk import IncidentDesk
    from engine.plans.model import plan_book
    from engine.runner.execution import RunnerSettings
    from engine.runner.runner import Runner

    config = invocation.configuration()
    try:
        store = invocation.open_store()
    except StoreNotCreated as exc:
        raise exits.CommandFailed(exits.FAILED, f"{exc}: the bot has recorded nothing") from None
    clock = SystemClock()
    runner = Runner(store, plan_book(config), clock=clock, settings=RunnerSettings(executes=False))
    try:
        desk = IncidentDesk(runner, config, clock=clock, groups=_directory(invocation))
        drills = DrillDesk(runner, config, clock=clock, authority=desk.authority)
        yield OpenDesk(config, desk, drills)
    finally:
        runner.close()
        store.close()


class _NoDirectory:
    def __init__(self, why: str) -> None:
        self._why = why

    def members(self, group_id: str) -> frozenset[str]:
        from engine.errors import DirectoryUnavailable

        raise DirectoryUnavailable(self._why)


def _directory(invocation: Invocation) -> GroupDirectory:
    from bot.settings import SettingsError, load_directory_settings

    try:
        settings = load_directory_settings()
    except SettingsError as exc:
        return _NoDirectory(str(exc))
    if settings.slack_bot_token is None:
        return _NoDirectory("SLACK_BOT_TOKEN is not set, so Slack cannot be asked")
    from slack_sdk import WebClient

    from bot.slack_directory import SlackGroups

    invocation.tell(f"Slack's directory: {settings.api_url}")
    client = WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.api_url,
        timeout=DIRECTORY_TIMEOUT,
    )
    return SlackGroups(client)
