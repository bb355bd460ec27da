"""One replica, as far as executing runs goes: a process with its own Runner on the shared
Redis. Run by the crash tests as ``python -m tests.crash.worker CONFIG OWNER``.

It journals (one JSON line per event, written straight to the file, so a SIGKILL loses
nothing it wrote) every lease it acquired and every fenced write the store accepted or
refused, with the token and the event numbers; the test checks the store against it. At a
named point it pauses, says so in a flag file, and waits to be killed (or released):

    {"when": "after", "stage": "s3"}    once s3's success is recorded
    {"when": "before", "stage": "s5"}   once s5 has acted, before its success is recorded

Modes: ``drive`` keeps (re)starting the run until it is over, as the sweeper of a replica
would; ``race`` starts each run once, at a wall-clock instant the test sets.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine.adapters.clock import SystemClock
from engine.adapters.stores.redis_store import RedisStore
from engine.errors import LeaseLost, RunBusy, StoreUnavailable, WrongRunState
from engine.records import Lease, Surface
from engine.runner.execution import RunnerSettings
from engine.runner.runner import Runner
from engine.runs import RunState, StageRecord, StageState
from tests.crash.stages import build, claim_flag

log = logging.getLogger("crash-worker")


class Journal:
    def __init__(self, path: Path, owner: str) -> None:
        self._fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY)
        self._owner = owner

    def write(self, **entry: Any) -> None:
        line = json.dumps({"owner": self._owner, "pid": os.getpid(), "t": time.time(), **entry})
        line += "\n"
        os.write(self._fd, line.encode())

    def close(self) -> None:
        os.close(self._fd)


class JournalingStore:
    """The Redis store, journaled, pausing once at the configured point."""

    def __init__(
        self, inner: RedisStore, journal: Journal, control: Path, pause: dict[str, str] | None
    ) -> None:
        self._inner = inner
        self._journal = journal
        self._control = control
        self._pause = pause

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def acquire_lease(self, name: str, owner: str, ttl: timedelta) -> Lease | None:
        lease = self._inner.acquire_lease(name, owner, ttl)
        if lease is not None:
            self._journal.write(op="acquire", lease=name, token=lease.token)
        return lease

    def record(self, lease: Lease, *, stages: Sequence[StageRecord] = (), **rest: Any) -> Any:
        self._maybe_pause("before", stages)
        try:
            stored = self._inner.record(lease, stages=stages, **rest)
        except LeaseLost as exc:
            self._journal.write(op="refused", lease=lease.name, token=lease.token, error=str(exc))
            raise
        self._journal.write(
            op="record",
            lease=lease.name,
            token=lease.token,
            seqs=[event.seq for event in stored],
            stages={record.stage: record.state.value for record in stages},
        )
        self._maybe_pause("after", stages)
        return stored

    def _maybe_pause(self, when: str, stages: Sequence[StageRecord]) -> None:
        pause = self._pause
        if pause is None or pause["when"] != when:
            return
        if not any(r.stage == pause["stage"] and r.state is StageState.SUCCEEDED for r in stages):
            return
        if not claim_flag(self._control / "pause-claimed", str(os.getpid())):
            return
        self._journal.write(op="paused", when=when, stage=pause["stage"])
        # Only now may the test see it (and kill): the journal is complete up to here.
        said = self._control / "paused.tmp"
        said.write_text(json.dumps({"pid": os.getpid()}))
        os.replace(said, self._control / "paused")
        release = self._control / "release"
        while not release.exists():  # until the test kills this process, or releases it
            time.sleep(0.01)
        self._journal.write(op="released")


def drive(runner: Runner, run_id: str, owner: str, give_up_after: float) -> str:
    deadline = time.monotonic() + give_up_after
    while time.monotonic() < deadline:
        try:
            run = runner.run_now(run_id, actor=owner, surface=Surface.SYSTEM)
        except RunBusy:
            time.sleep(0.05)
            continue
        except WrongRunState as exc:
            return f"over: {exc}"
        except LeaseLost as exc:
            log.info("lease lost: %s", exc)
            continue
        except StoreUnavailable as exc:
            log.info("store unavailable, trying again: %s", exc)
            time.sleep(0.1)
            continue
        if run.state is not RunState.RUNNING:
            return f"ran: {run.state.value}"
    return "gave up"


def race(runner: Runner, config: dict[str, Any], owner: str, control: Path) -> None:
    for n, run_id in enumerate(config["run_ids"]):
        (control / f"ready-{owner}-{n}").touch()
        go = control / f"go-{n}"
        while not go.exists():
            time.sleep(0.005)
        at = float(go.read_text() or 0)
        time.sleep(max(0.0, at - time.time()))
        try:
            outcome = f"ran: {runner.run_now(run_id, actor=owner, surface=Surface.SYSTEM).state}"
        except (RunBusy, WrongRunState) as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        (control / f"outcome-{owner}-{n}").write_text(outcome)


def main(argv: list[str]) -> int:
    config = json.loads(Path(argv[0]).read_text())
    owner = argv[1]
    logging.basicConfig(level=logging.INFO, format=f"{owner} %(asctime)s %(name)s %(message)s")
    control = Path(config["control"])
    journal = Journal(control / f"journal-{owner}.jsonl", owner)
    inner = RedisStore(config["redis_url"], clock=SystemClock(), prefix=config["prefix"])
    store = JournalingStore(inner, journal, control, config.get("pause"))
    settings = RunnerSettings(
        lease_ttl=timedelta(seconds=config["lease_ttl"]), poll_interval=0.02, cancel_grace=1.0
    )
    plan = build(config["plan"])
    runner = Runner(store, {plan.name: plan}, clock=SystemClock(), owner=owner, settings=settings)
    try:
        if config["mode"] == "race":
            race(runner, config, owner, control)
        else:
            outcome = drive(runner, config["run_id"], owner, config.get("give_up_after", 30.0))
            journal.write(op="done", outcome=outcome)
    finally:
        runner.close(timeout=2)
        inner.close()
        journal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
