"""/ready says when Slack cannot be reached and /live stays up, in both modes: the bot runs
as its own process and the Slack emulator is stopped under it, then started again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.slack import Emulator
from tests.e2e.bot_process import BotProcess, bot_process
from tests.support.ports import free_port
from tests.support.waiting import wait_until


@pytest.fixture(params=["http", "socket"])
def running(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Emulator, BotProcess]]:
    # Fixed ports, so that Slack comes back where the bot knows it.
    slack = Emulator(http_port=free_port(), socket_port=free_port()).start()
    try:
        with bot_process(
            slack, tmp_path, mode=request.param, PHOENIX_SLACK_CHECK_INTERVAL="0.2"
        ) as bot:
            yield slack, bot
    finally:
        slack.stop()


def test_ready_follows_slack_and_live_stays_up(running: tuple[Emulator, BotProcess]) -> None:
    slack, bot = running
    assert bot.get("/ready") == (200, "ready\n")

    slack.stop()
    _, text = wait_until(
        lambda: (answer := bot.get("/ready"))[0] == 503 and answer,
        timeout=15,
        what="/ready to say Slack is unreachable",
    )
    assert "Slack" in text
    assert "store" not in text
    assert bot.get("/live") == (200, "ok\n")
    assert bot.get("/health") == (200, "ok\n")

    slack.start()
    wait_until(lambda: bot.get("/ready")[0] == 200, timeout=30, what="/ready once Slack is back")
    assert bot.get("/live") == (200, "ok\n")
    code, err = bot.terminate()
    assert code == 0, err[-2000:]
