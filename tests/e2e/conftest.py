"""One connected bot (Socket Mode) per test module: closing slack_sdk's Socket Mode client
takes a few seconds, so the module shares it; each test starts from a clean workspace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.slack import Emulator, RateBudget
from tests.e2e.support import Rig, build_rig, connect, shut


@pytest.fixture(scope="module")
def module_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    tmp: Path = tmp_path_factory.mktemp("phoenix")
    with Emulator() as slack:
        rig = connect(build_rig(slack, tmp))
        try:
            yield rig
        finally:
            shut(rig)


@pytest.fixture
def rig(module_rig: Rig) -> Iterator[Rig]:
    slack = module_rig.slack
    slack.reset()
    slack.set_rate_budget("chat.postMessage", RateBudget(10.0, 10, scope="channel"))
    yield module_rig
    assert module_rig.phoenix.reporter.flush(15)
    late = list(slack.ack_failures())
    assert not late, f"deliveries not acked on time: {late}"
