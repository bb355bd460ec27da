"""Worker processes (replicas) for the crash tests: started with a config, killed by PID,
joined, and what they journaled read back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
CONTROL_POLL = 0.005
"""Seconds between looks at a control file: a worker parked at a point it announced is
killed there, so the test must see the announcement at once."""


class Fleet:
    def __init__(self, workdir: Path) -> None:
        self.control = workdir / "control"
        self.control.mkdir(parents=True)
        self.logs = workdir / "logs"
        self.logs.mkdir()
        self._workers: dict[str, subprocess.Popen[bytes]] = {}
        self.killed: set[str] = set()

    def start(self, config: dict[str, Any], owners: list[str]) -> None:
        path = self.control / "config.json"
        path.write_text(json.dumps({**config, "control": str(self.control)}))
        for owner in owners:
            with (self.logs / f"{owner}.log").open("wb") as log:
                self._workers[owner] = subprocess.Popen(
                    [sys.executable, "-m", "tests.crash.worker", str(path), owner],
                    cwd=ROOT,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )

    def file(self, name: str, timeout: float = 20.0) -> str:
        """The content of a control file, once a worker has written it."""
        path = self.control / name
        return wait_until(
            lambda: path.exists() and path.read_text(), timeout, f"{name} ({self})", CONTROL_POLL
        )

    def appeared(self, name: str, timeout: float = 20.0) -> None:
        path = self.control / name
        wait_until(path.exists, timeout, f"{name} ({self})", CONTROL_POLL)

    def owner_of(self, pid: int) -> str:
        return next(o for o, p in self._workers.items() if p.pid == pid)

    def paused(self) -> str:
        """The owner of the worker paused at its pause point."""
        return self.owner_of(json.loads(self.file("paused"))["pid"])

    def kill(self, owner: str) -> None:
        process = self._workers[owner]
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        self.killed.add(owner)

    def release(self) -> None:
        (self.control / "release").touch()

    def join(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        for owner, process in self._workers.items():
            try:
                code = process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise AssertionError(f"worker {owner} did not finish ({self})") from None
            expected = -signal.SIGKILL if owner in self.killed else 0
            assert code == expected, f"worker {owner} exited with {code} ({self})"

    def close(self) -> None:
        for process in self._workers.values():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            process.wait()

    def journal(self) -> list[dict[str, Any]]:
        entries = []
        for path in sorted(self.control.glob("journal-*.jsonl")):
            entries += [json.loads(line) for line in path.read_text().splitlines()]
        return entries

    def __str__(self) -> str:
        tails = []
        for log in sorted(self.logs.glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-15:]
            tails.append(f"--- {log.name}\n" + "\n".join(lines))
        return "worker logs:\n" + "\n".join(tails)
