"""checkov in a venv of its own (its pins are heavy): ``.servers/checkov-venv``, made with the
pinned version on first use, so a fresh machine needs nothing beforehand. Always run with
``--skip-download`` (otherwise it reaches for the internet)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.deploy.charts import ROOT

CHECKOV_REQUIREMENT = "checkov==3.3.30"
VENV = ROOT / ".servers" / "checkov-venv"


def checkov_binary() -> Path:
    binary = VENV / "bin" / "checkov"
    marker = VENV / "installed.txt"
    if binary.exists() and marker.exists() and marker.read_text() == CHECKOV_REQUIREMENT:
        return binary
    VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "--quiet", CHECKOV_REQUIREMENT],
        check=True,
        timeout=900,
    )
    marker.write_text(CHECKOV_REQUIREMENT)
    return binary


def scan(directory: Path, frameworks: list[str]) -> dict[str, dict[str, Any]]:
    """One checkov run over ``directory``: {framework: its report}."""
    answer = subprocess.run(
        [
            str(checkov_binary()),
            "--directory",
            str(directory),
            "--framework",
            *frameworks,
            "--skip-download",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    # Exit 1 means failed checks: the report says which.
    assert answer.returncode in (0, 1), answer.stderr[-2000:]
    reports = json.loads(answer.stdout)
    if isinstance(reports, dict):
        reports = [reports]
    return {r["check_type"]: r for r in reports}
