"""``phoenix run`` in HTTP mode stopped as a pod is stopped: SIGTERM while a Slack request is
still arriving. The bot stops accepting connections, answers the request in flight, and exits
cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk.signature import SignatureVerifier

from sandbox.slack import Emulator
from tests.e2e.support import CONFIG
from tests.support.ports import free_port
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[tuple[Emulator, subprocess.Popen[bytes], int]]:
    config = tmp_path / "phoenix.yaml"
    config.write_text(CONFIG)
    port = free_port()
    with Emulator() as slack:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PHOENIX_"))},
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "PHOENIX_SLACK_API_URL": slack.api_url,
            "PHOENIX_CONFIG": str(config),
            "PHOENIX_STORE_URL": f"sqlite:///{tmp_path}/phoenix.db",
            "PHOENIX_HTTP_PORT": str(port),
            "PHOENIX_LOG_FORMAT": "text",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli.main", "run"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_until(lambda: _ready(port), timeout=30, what="the bot to be ready")
            yield slack, process, port
        finally:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=30)


def _ready(port: int) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/ready", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sigterm_finishes_the_request_in_flight_and_exits_cleanly(
    bot: tuple[Emulator, subprocess.Popen[bytes], int],
) -> None:
    slack, process, port = bot
    body = urllib.parse.urlencode(
        {
            "command": "/phoenix",
            "text": "help",
            "user_id": "UCAROL",
            "channel_id": "CINCIDENTS",
            "team_id": "TSANDBOX1",
            "api_app_id": "ASANDBOX1",
        }
    ).encode()
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(slack.signing_secret).generate_signature(
        timestamp=timestamp, body=body
    )
    head = (
        f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        f"X-Slack-Request-Timestamp: {timestamp}\r\nX-Slack-Signature: {signature}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        # The request is in flight: its headers and half its body are in, the rest not yet.
        sock.sendall(head + body[: len(body) // 2])
        process.send_signal(signal.SIGTERM)
        wait_until(lambda: _refused(port), timeout=10, what="the bot to stop accepting")
        assert process.poll() is None, "the bot exited with a request in flight"
        sock.sendall(body[len(body) // 2 :])
        answer = b""
        while chunk := sock.recv(65536):  # the server closes it: it is stopping
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert b"/phoenix help" in answer
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err
