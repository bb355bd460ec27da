"""`phoenix run`: the bot — the Slack connection (Socket Mode by default, or HTTP mode) and
its HTTP server. A missing or invalid setting, an unusable phoenix.yaml or an unreachable
store stops it at start with one clear line."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING

from bot.cli import exits
from bot.cli.invocation import Invocation
from bot.cli.parser import Commands

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.wiring.phoenix import Phoenix

log = logging.getLogger(__name__)


def register(commands: Commands[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run",
        help="run the Slack bot (settings from the environment, listed below)",
        description="Run the bot: the Slack connection (Socket Mode, or HTTP mode), the "
        "scheduler and /health /ready /live /metrics. Its settings come from the environment "
        "(phoenix --help lists them); it stops on SIGTERM or Ctrl-C.",
    )
    run.set_defaults(func=run_bot)


def _fail(line: str) -> int:
    print(f"phoenix run: {line}", file=sys.stderr)
    return exits.BAD_INPUT


def run_bot(invocation: Invocation) -> int:
    # Slack, the scheduler and every cloud SDK arrive with the composition root: only here.
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot import logs as structured_logs
    from bot.process import prepare_process
    from bot.scheduler import SchedulerSettings
    from bot.settings import SettingsError, load_settings
    from bot.wiring.phoenix import build_phoenix
    from bot.wiring.store import redacted
    from engine.config import load_config
    from engine.errors import ConfigError, StoreError
    from engine.runner.execution import RunnerSettings

    try:
        settings = load_settings()
    except SettingsError as exc:
        logging.basicConfig(level=logging.INFO)
        return _fail(str(exc))
    invocation.tell(f"config: {settings.config_path}")
    invocation.tell(f"store: {redacted(settings.store_url)}")
    log_fields = structured_logs.configure(settings.log_format)
    try:
        config = load_config(settings.config_path)
    except ConfigError as exc:
        first = exc.problems[0] if exc.problems else ""
        return _fail(f"PHOENIX_CONFIG: {exc.source}: {first}")
    log_fields.bind(environment=config.environment)
    try:
        phoenix = build_phoenix(
            settings,
            config,
            runner_settings=RunnerSettings(lease_ttl=timedelta(seconds=settings.run_lease_ttl)),
            scheduler_settings=SchedulerSettings(
                leader_ttl=timedelta(seconds=settings.leader_ttl) if settings.leader_ttl else None,
                drill_check=settings.drill_check,
                sweep_interval=settings.sweep_interval,
            ),
        )
    except StoreError as exc:
        return _fail(f"PHOENIX_STORE_URL: {exc}")
    except (SlackApiError, SlackClientError, OSError) as exc:
        return _fail(
            f"SLACK_BOT_TOKEN / PHOENIX_SLACK_API_URL: Slack did not accept the bot: {exc}"
        )
    prepare_process()
    try:
        return _serve(phoenix)
    finally:
        phoenix.close()


def _serve(phoenix: Phoenix) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.serving import CannotServe, build_server

    settings = phoenix.settings
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    handler: SocketModeHandler | None = None

    def socket_connected() -> bool:
        return handler is not None and handler.client.is_connected()

    try:
        server = build_server(phoenix, socket_connected if settings.mode == "socket" else None)
    except CannotServe as exc:
        return _fail(str(exc))
    with server:
        if settings.mode == "socket":
            assert settings.slack_app_token is not None
            handler = SocketModeHandler(phoenix.app, settings.slack_app_token.get_secret_value())
            try:
                handler.connect()
            except (SlackApiError, SlackClientError, OSError) as exc:
                return _fail(f"SLACK_APP_TOKEN: Socket Mode did not connect: {exc}")
        phoenix.scheduler.start()
        log.info(
            "CloudPhoenix is running: %s mode, http on %s",
            settings.mode,
            server.url,
            extra={"replica": phoenix.runner.owner},
        )
        try:
            stop.wait()
        finally:
            # Stop taking Slack's requests and finish those in flight first: what they
            # accepted is then done by the followups, which close() lets finish.
            server.stop()
            phoenix.scheduler.stop()
            if handler is not None:
                handler.close()
    return 0
