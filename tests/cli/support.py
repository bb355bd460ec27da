"""Running the installed `phoenix` as a user does: its own process, an environment holding none
of the caller's PHOENIX_* and SLACK_* variables unless a test sets them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.runs import Run, RunMode, RunState
from engine.store import Store

PHOENIX = Path(sys.executable).with_name("phoenix")
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "phoenix.yaml"
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def environ(**settings: str) -> dict[str, str]:
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PHOENIX_", "SLACK_")) and name != "NO_COLOR"
    }
    return {**kept, **settings}


def phoenix(
    *argv: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    assert PHOENIX.exists(), f"the phoenix console script is not installed beside {sys.executable}"
    return subprocess.run(
        [str(PHOENIX), *argv],
        cwd=cwd,
        env=environ() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def add_runs(store: Store, count: int, plan: str = "dr-azure") -> list[str]:
    """``count`` runs, one a minute, alternately succeeded and awaiting approval."""
    ids = []
    for n in range(count):
        state = RunState.SUCCEEDED if n % 2 == 0 else RunState.AWAITING_APPROVAL
        run = Run(
            f"run-{n:05d}",
            plan,
            "v1",
            ("switch",),
            RunMode.LIVE,
            state,
            T0 + timedelta(minutes=n),
            "U1",
        )
        store.create_run(run)
        ids.append(run.run_id)
    return ids
