"""A started sandbox (emulator, reference services, sim clouds, the real bot) per test: fast
evaluations, fast plan steps, Slack's post budget lifted for the reporter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.runtime import Sandbox, SandboxOptions

FAST = {"interval": 1.0, "cooldown": 5.0, "step": 0.2, "fast_slack": True}


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(SandboxOptions(workdir=tmp_path, **FAST)) as started:  # type: ignore[arg-type]
        yield started
