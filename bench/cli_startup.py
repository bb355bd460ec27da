"""Benchmark: how long `phoenix` takes to start and answer, against the bare interpreter.

Times, in one run and interleaved (so that a busy moment of the machine falls on every command
alike): ``python -c pass``, ``phoenix --help``, ``phoenix --version``, ``phoenix check-config
examples/phoenix.yaml`` and ``phoenix plan show dr-azure`` (with ``PHOENIX_CONFIG`` naming the
example, as the bot's pod sets it). Each figure is the median wall time of ``--repetitions``
runs; ``above_python_s`` subtracts the bare interpreter's. Targets: ``--help`` and
``check-config`` under 0.5 s above ``python -c pass``. A command that exits non-zero is left
out of the timings and named under ``failed`` with its status.

    python bench/cli_startup.py [--repetitions 15]

The commands run from a scratch directory with none of the caller's PHOENIX_* or SLACK_*
variables; the rest of the environment is kept (a PYTHONPATH included, to time another tree).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "phoenix.yaml"
PHOENIX = str(Path(sys.executable).with_name("phoenix"))
TARGET_ABOVE_PYTHON_S = 0.5

COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "phoenix --help": [PHOENIX, "--help"],
    "phoenix --version": [PHOENIX, "--version"],
    "phoenix check-config": [PHOENIX, "check-config", str(EXAMPLE)],
    "phoenix plan show dr-azure": [PHOENIX, "plan", "show", "dr-azure"],
}
TARGETS = ("phoenix --help", "phoenix check-config")


def timed(argv: list[str], cwd: str, env: dict[str, str]) -> tuple[float, int]:
    """Wall time and exit status of one run."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    return time.perf_counter() - start, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=15, help="runs of each command (15)")
    options = parser.parse_args()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PHOENIX_", "SLACK_"))
    }
    env["PHOENIX_CONFIG"] = str(EXAMPLE)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    failed: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="cli-startup-") as scratch:
        for name, argv in COMMANDS.items():  # warm the file cache and the bytecode once
            _, status = timed(argv, scratch, env)
            if status != 0:
                failed[name] = status  # e.g. a tree from before the command existed
        for _ in range(options.repetitions):
            for name, argv in COMMANDS.items():
                if name not in failed:
                    times[name].append(timed(argv, scratch, env)[0])
    median = {name: round(statistics.median(runs), 3) for name, runs in times.items() if runs}
    bare = median["python -c pass"]
    above = {name: round(t - bare, 3) for name, t in median.items() if name != "python -c pass"}
    held = {name: name in above and above[name] < TARGET_ABOVE_PYTHON_S for name in TARGETS}
    print(
        json.dumps(
            {
                "benchmark": "cli_startup",
                "repetitions": options.repetitions,
                "median_s": median,
                "above_python_s": above,
                "target_above_python_s": TARGET_ABOVE_PYTHON_S,
                "targets_held": held,
                "all_held": all(held.values()),
                "failed": failed,
                "load_average_1m": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
