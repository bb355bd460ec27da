"""``phoenix run`` as its own process, as a pod runs it, against the Slack emulator: its
settings from the emulator, a SQLite store, its health routes read over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sandbox.slack import Emulator
from tests.e2e.support import CONFIG
from tests.support.ports import free_port
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]

# Loopback only: never through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    """Where its stderr goes (a file, never a pipe nobody reads while it runs)."""

    def get(self, path: str) -> tuple[int, str]:
        """Status and text of ``GET path``; status 0 when nothing answers."""
        try:
            with _OPENER.open(f"http://127.0.0.1:{self.port}{path}", timeout=2) as answer:
                return int(answer.status), answer.read().decode()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.read().decode()
        except OSError:
            return 0, ""

    def terminate(self, timeout: float = 30) -> tuple[int, str]:
        """SIGTERM, as a kubelet stops a pod; the exit code and what it wrote to stderr."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=timeout)
        return self.process.returncode, self.log.read_text(errors="replace")


@contextmanager
def bot_process(
    slack: Emulator, tmp: Path, *, mode: str = "http", **env: str
) -> Iterator[BotProcess]:
    """The bot, started and ready (``/ready`` answers 200); killed if still running after."""
    config = tmp / "phoenix.yaml"
    config.write_text(CONFIG)
    port = free_port()
    settings = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PHOENIX_"))},
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "PHOENIX_SLACK_MODE": mode,
        "PHOENIX_SLACK_API_URL": slack.api_url,
        "PHOENIX_CONFIG": str(config),
        "PHOENIX_STORE_URL": f"sqlite:///{tmp}/phoenix.db",
        "PHOENIX_HTTP_PORT": str(port),
        "PHOENIX_LOG_FORMAT": "text",
        **env,
    }
    if mode == "socket":
        settings["SLACK_APP_TOKEN"] = slack.app_token
    log = tmp / f"bot-{port}.log"
    with log.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli.main", "run"],
            env=settings,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    bot = BotProcess(process, port, log)
    try:
        wait_until(lambda: bot.get("/ready")[0] == 200, timeout=30, what="the bot to be ready")
        yield bot
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
