"""The nine-stage plan of the crash tests and two test stage kinds; the worker processes build
the same plan from the same data, so its version matches the one the test proposed."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine.plans.model import Plan, parse_plan
from engine.stages import REGISTRY, PortKey, Stage, StageContext
from engine.stages.testing import Record, RecordParams

TESTING = REGISTRY.copy()
RECORDING = ("s1", "s2", "s3", "s4", "s5", "s7", "s9")
"""The stages with a countable side effect (one ledger line each)."""
STAGES = tuple(f"s{n}" for n in range(1, 10))


def claim_flag(path: Path, text: str) -> bool:
    """Create ``path`` holding ``text`` unless it exists: the first caller anywhere wins."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as out:
        out.write(text)
    return True


class LingerParams(RecordParams):
    flag: str


@TESTING.register("record_lingering", params=LingerParams, timeout=timedelta(minutes=1))
class RecordLingering(Record, Stage[LingerParams]):
    """Records its key; then, the first time anywhere, says so in ``flag`` and lingers
    (keeping its lease) until it is cancelled or its process killed."""

    def run(self, ctx: StageContext, params: RecordParams) -> str:
        assert isinstance(params, LingerParams)
        super().run(ctx, params)
        if claim_flag(Path(params.flag), str(os.getpid())):
            ctx.wait(60)
        return "recorded"


class Gate:
    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()


GATE = PortKey[Gate]("gate")


@TESTING.register("record_gated", params=RecordParams, timeout=timedelta(minutes=1))
class RecordGated(Record):
    """Records its key, then waits (cooperatively) until the test opens the gate."""

    def run(self, ctx: StageContext, params: RecordParams) -> str:
        super().run(ctx, params)
        gate = ctx.ports.get(GATE)
        gate.entered.set()
        while not gate.release.is_set():
            ctx.wait(0.01)
        return "recorded, after the gate opened"


def nine_stages(ledger_path: Path, *, s5: dict[str, Any] | None = None) -> dict[str, Any]:
    """Seven recording stages, a no-op and a stage that fails once; ``s5`` may be replaced."""

    def record(name: str) -> dict[str, Any]:
        return {"name": name, "kind": "record", "params": {"ledger": str(ledger_path)}}

    fails_once = {
        "name": "s8",
        "kind": "fail_n_times",
        "params": {"failures": 1},
        "retry": {"initial_interval": "50ms"},
    }
    fifth = {"name": "s5", **s5} if s5 else record("s5")
    stages = [*(record(f"s{n}") for n in range(1, 5)), fifth]
    stages += [{"name": "s6", "kind": "noop"}, record("s7"), fails_once, record("s9")]
    return {"stages": stages}


def build(data: dict[str, Any]) -> Plan:
    return parse_plan("nine", data, TESTING)
