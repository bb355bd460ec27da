"""Fixtures: a fresh emulator per test, and one Bolt app in Socket Mode per module (closing
slack_sdk's built-in Socket Mode client takes a few seconds, so it is shared)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler

from sandbox.slack import Emulator
from tests.slack_emulator.phoenix_app import PhoenixApp


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


class SocketRig:
    def __init__(self, emulator: Emulator, phoenix: PhoenixApp) -> None:
        self.emulator = emulator
        self.phoenix = phoenix


@pytest.fixture(scope="module")
def socket_rig() -> Iterator[SocketRig]:
    with Emulator() as emu:
        phoenix = PhoenixApp(emu)
        handler = SocketModeHandler(phoenix.app, emu.app_token)
        handler.connect()
        try:
            emu.wait_for_socket_connection()
            yield SocketRig(emu, phoenix)
        finally:
            handler.close()


@pytest.fixture
def slack(socket_rig: SocketRig) -> Iterator[Emulator]:
    """The module's emulator, connected to the Bolt app, with a clean workspace."""
    emu = socket_rig.emulator
    emu.reset()
    emu.use_socket_mode()
    socket_rig.phoenix.seen.clear()
    deadline = emu.ack_deadline
    yield emu
    emu.ack_deadline = deadline


@pytest.fixture
def phoenix(socket_rig: SocketRig) -> PhoenixApp:
    return socket_rig.phoenix
