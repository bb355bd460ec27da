"""Start and stop: loopback only, free ports, no leaked threads or sockets."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from slack_sdk import WebClient
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from sandbox.slack import Emulator, EmulatorConfig

pytestmark = pytest.mark.integration


def emulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("slack-emulator")]


def test_binds_loopback_on_free_ports_and_stops_cleanly() -> None:
    emulator = Emulator().start()
    try:
        assert emulator.api_url == f"http://127.0.0.1:{emulator.http_port}/api/"
        assert emulator.http_port != emulator.socket_port
        assert len(emulator_threads()) == 2
        with socket.create_connection(("127.0.0.1", emulator.socket_port), timeout=2):
            pass
    finally:
        emulator.stop()
    emulator.stop()
    assert emulator_threads() == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", emulator.socket_port), timeout=0.5).close()


def test_two_emulators_run_side_by_side() -> None:
    with Emulator() as first, Emulator() as second:
        first.web_client().chat_postMessage(channel="#general", text="first")
        assert second.messages("#general") == []
        assert first.http_port != second.http_port


def test_refuses_to_bind_anything_but_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        EmulatorConfig(host="0.0.0.0")


def test_a_websocket_without_a_ticket_is_refused(emulator: Emulator) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{emulator.socket_port}/link/?ticket=forged", open_timeout=2)
    assert refused.value.response.status_code == 401


def test_a_websocket_with_a_ticket_is_greeted_with_hello(emulator: Emulator) -> None:
    url = emulator.web_client().apps_connections_open(app_token=emulator.app_token)["url"]
    with connect(url, open_timeout=2) as connection:
        hello = connection.recv(timeout=2)
        emulator.wait_for_socket_connection()
    assert '"type": "hello"' in str(hello)
    emulator.wait_for(lambda: emulator.socket_connections() == 0, what="the socket to close")


def test_runs_as_its_own_process_and_stops_on_sigterm() -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.slack"],
        stdout=subprocess.PIPE,
        env=env,
        cwd=root,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        client = WebClient(token=ready["bot_token"], base_url=ready["api_url"])
        assert client.auth_test()["user_id"] == "UPHOENIXBOT"
        assert ready["api_url"].startswith("http://127.0.0.1:")
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        if process.stdout is not None:
            process.stdout.close()


def test_stopping_wakes_a_long_poll_instead_of_waiting_for_it() -> None:
    emulator = Emulator().start()
    url = emulator.control_url + "changes?since=999&timeout=30"
    answers: list[int] = []

    def long_poll() -> None:
        with urllib.request.urlopen(url, timeout=10) as response:
            answers.append(response.status)

    before = set(threading.enumerate())
    poller = threading.Thread(target=long_poll)
    poller.start()
    emulator.wait_for(
        lambda: any("process_request" in t.name for t in set(threading.enumerate()) - before),
        what="the poll to reach the emulator",
    )
    started = time.monotonic()
    emulator.stop()
    poller.join(timeout=10)

    assert time.monotonic() - started < 5
    assert answers == [200]
    assert emulator_threads() == []


def test_restarts_after_a_stop() -> None:
    emulator = Emulator()
    with emulator:
        emulator.web_client().chat_postMessage(channel="#general", text="before")
    with emulator:
        emulator.web_client().chat_postMessage(channel="#general", text="after")
        assert [m.text for m in emulator.messages("#general")] == ["before", "after"]
