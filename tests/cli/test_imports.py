"""Start-up discipline: a command imports what it needs and no more. Each case runs in a fresh
interpreter and lists the modules loaded once the command is done; the times these imports
cost are measured by bench/cli_startup.py, never asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .support import EXAMPLE, ROOT, environ

# Cloud SDKs, Slack, Redis, HTTP clients, the scheduler, the sandbox's web stack, plotting.
HEAVY = frozenset(
    {
        "aiohttp",
        "apscheduler",
        "azure",
        "boto3",
        "botocore",
        "flask",
        "httpx",
        "kubernetes",
        "matplotlib",
        "prometheus_api_client",
        "redis",
        "requests",
        "slack_bolt",
        "slack_sdk",
        "uvloop",
    }
)

RUN_AND_LIST_MODULES = """
import contextlib, io, json, sys
from bot.cli.main import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        status = main(json.loads(sys.argv[1]))
    except SystemExit as exit:
        status = exit.code
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def modules_after(argv: list[str], cwd: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST_MODULES, json.dumps(argv)],
        cwd=cwd,
        env=environ(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    ran = json.loads(done.stdout)
    assert ran["status"] in (0, None), (argv, done.stderr)
    return set(ran["modules"])


def roots(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


@pytest.fixture
def trace(tmp_path: Path) -> Path:
    path = tmp_path / "trace.jsonl"
    path.write_text('{"t": "2026-03-01T10:00:00Z", "readings": {}}\n')
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["run", "--help"],
        ["sandbox", "--help"],
        ["check-config", str(EXAMPLE)],
        ["plan", "show", "dr-azure", "--config", str(EXAMPLE)],
        ["plan", "dry-run", "dr-azure", "--config", str(EXAMPLE)],
        ["runs", "list"],
        ["drill", "report", "--config", str(EXAMPLE)],
        ["backtest", "TRACE", "--config", str(EXAMPLE)],
    ],
    ids=lambda argv: " ".join(arg.lstrip("-") for arg in argv[:3] if not arg.startswith("/")),
)
def test_no_command_but_run_score_and_sandbox_imports_an_sdk(
    argv: list[str], tmp_path: Path, trace: Path
) -> None:
    argv = [str(trace) if arg == "TRACE" else arg for arg in argv]
    loaded = roots(modules_after(argv, tmp_path)) & HEAVY
    assert loaded == set()


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["run", "--help"]])
def test_help_and_version_do_not_even_load_the_configuration_model(
    argv: list[str], tmp_path: Path
) -> None:
    loaded = modules_after(argv, tmp_path)
    assert not {"engine.config", "engine.stages", "engine.plans"} & loaded
    assert "sandbox.runtime" not in loaded


def test_the_configuration_model_and_stage_registry_import_no_sdk(tmp_path: Path) -> None:
    code = (
        "import json, sys; import engine.config, engine.stages, engine.plans.model; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert roots(set(json.loads(done.stdout))) & HEAVY == set()


def test_score_imports_only_the_adapters_of_the_configured_signal_kinds(tmp_path: Path) -> None:
    # The collector is built but not run: only which modules building it loads is of interest.
    config = tmp_path / "phoenix.yaml"
    config.write_text('signals:\n  - {name: a, kind: http, targets: ["http://127.0.0.1:9/"]}\n')
    code = (
        "import json, sys\n"
        "from engine.config import load_config\n"
        "from bot.wiring.secrets import build_secrets\n"
        "from bot.wiring.signals import build_collector\n"
        f"config = load_config({str(config)!r})\n"
        "build_collector(config, secrets=build_secrets(config.clouds).resolve)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    assert "engine.adapters.http.probes" in loaded
    assert (
        roots(loaded) & {"boto3", "botocore", "azure", "kubernetes", "prometheus_api_client"}
        == set()
    )


def test_the_stage_ports_import_an_sdk_when_a_port_of_its_kind_is_first_asked_for() -> None:
    code = (
        "import json, sys\n"
        "from engine.config import load_config\n"
        "from bot.wiring.cloud import build_cloud_ports\n"
        f"cloud = build_cloud_ports(load_config({str(EXAMPLE)!r}))\n"
        "cloud.ports()\n"
        "built = sorted(sys.modules)\n"
        "cloud.store('s3', 'bucket')\n"
        "print(json.dumps([built, sorted(sys.modules)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    built, after_s3 = (roots(set(modules)) for modules in json.loads(done.stdout))
    # The http checks port is made with the ports: httpx is the one client it holds.
    assert built & HEAVY == {"httpx"}
    assert {"boto3", "botocore"} <= after_s3
    assert after_s3 & {"azure", "kubernetes"} == set()
