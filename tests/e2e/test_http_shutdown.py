"""``phoenix run`` in HTTP mode stopped as a pod is stopped: SIGTERM while a Slack request is
still arriving. The bot stops accepting connections, answers the request in flight, and exits
cleanly."""

from __future__ import annotations

import signal
import socket
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk.signature import SignatureVerifier

from sandbox.slack import Emulator
from tests.e2e.bot_process import BotProcess, bot_process
from tests.support.waiting import wait_until


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[tuple[Emulator, BotProcess]]:
    with Emulator() as slack, bot_process(slack, tmp_path) as bot:
        yield slack, bot


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sigterm_finishes_the_request_in_flight_and_exits_cleanly(
    bot: tuple[Emulator, BotProcess],
) -> None:
    slack, running = bot
    process, port = running.process, running.port
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
    process.wait(timeout=30)
    err = running.log.read_text(errors="replace")
    assert process.returncode == 0, err[-2000:]
    assert "Traceback" not in err
