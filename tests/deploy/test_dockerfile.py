"""The images. No Docker engine runs here, so: the Dockerfiles are parsed and checked against
the package they install (entrypoint, paths, user, healthcheck, settings), and the package
itself is installed into a clean venv the way the image does it, then run."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import build_parser
from bot.settings import Settings
from tests.deploy.charts import BOT_CHART, REFERENCE_CHART, objects, one, pod_spec, render
from tests.deploy.lock import LOCK, locked, pins

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
REFERENCE_DOCKERFILE = ROOT / "deploy" / "reference-services.Dockerfile"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        found.append((word.upper(), rest.strip()))
    return found


def stages(path: Path) -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for word, rest in instructions(path):
        if word == "FROM":
            result.append([])
        result[-1].append((word, rest))
    return result


def exec_form(rest: str) -> list[str]:
    value = json.loads(rest)
    assert isinstance(value, list), f"not the exec form: {rest}"
    return value


def last(stage: list[tuple[str, str]], word: str) -> str:
    values = [rest for w, rest in stage if w == word]
    assert values, f"no {word}"
    return values[-1]


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in stage:
        if word == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_runtime_image_runs_phoenix_run_as_a_non_root_user() -> None:
    build, runtime = stages(DOCKERFILE)
    for stage in (build, runtime):
        base = stage[0][1].split()[0]
        assert ":" in base, f"unpinned base image {base}"
        assert not base.endswith(":latest"), f"unpinned base image {base}"
    command = exec_form(last(runtime, "ENTRYPOINT")) + exec_form(last(runtime, "CMD"))
    assert command == ["phoenix", "run"]
    assert pyproject()["project"]["scripts"]["phoenix"] == "bot.cli.main:main"
    assert build_parser().parse_args(["run"]).command == "run"
    user = last(runtime, "USER").split(":")[0]
    assert user.isdigit()
    assert int(user) >= 10000
    # The chart runs the same user and passes the same command to the same entrypoint.
    deployment = one(objects(render(BOT_CHART)), "Deployment", "cloudphoenix")
    container = pod_spec(deployment)["containers"][0]
    assert container["securityContext"]["runAsUser"] == int(user)
    assert "command" not in container
    assert container["args"] == exec_form(last(runtime, "CMD"))


def test_the_image_copies_exactly_the_packages_the_distribution_holds() -> None:
    build, runtime = stages(DOCKERFILE)
    copied = {rest.split()[0] for word, rest in build if word == "COPY"}
    packages = {
        p.rstrip("*") for p in pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert copied == {"pyproject.toml", LOCK, *packages}
    for name in copied:
        assert (ROOT / name.split()[0]).exists(), name
    # The .dockerignore beside the Dockerfile lets through what COPY needs and no more.
    allowed = {
        line.removeprefix("!").rstrip("/")
        for line in (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    assert allowed == {"pyproject.toml", "README.md", LOCK, *packages}
    assert "README.md" in next(rest for word, rest in build if word == "COPY")
    assert any(w == "COPY" and rest.startswith("--from=build /opt/phoenix") for w, rest in runtime)
    assert env_of(runtime)["PATH"].startswith("/opt/phoenix/bin:")


def test_the_image_settings_are_the_bots_own_and_consistent() -> None:
    runtime = stages(DOCKERFILE)[-1]
    env = env_of(runtime)
    names = {str(f.alias) for f in Settings.model_fields.values()}
    phoenix = {k for k in env if k.startswith(("PHOENIX_", "SLACK_"))}
    assert phoenix <= names
    assert last(runtime, "EXPOSE") == env["PHOENIX_HTTP_PORT"]
    # SQLite lives on the volume the non-root user owns; the config where the chart mounts it.
    assert env["PHOENIX_STORE_URL"] == "sqlite:////var/lib/phoenix/phoenix.db"
    assert exec_form(last(runtime, "VOLUME")) == ["/var/lib/phoenix"]
    assert last(runtime, "WORKDIR") == "/var/lib/phoenix"
    assert env["PHOENIX_CONFIG"] == "/etc/phoenix/phoenix.yaml"


def test_the_healthcheck_asks_live_on_the_http_port() -> None:
    runtime = stages(DOCKERFILE)[-1]
    healthcheck = last(runtime, "HEALTHCHECK")
    options, _, command = healthcheck.partition(" CMD ")
    assert "--interval=" in options
    assert "--timeout=" in options
    probe = exec_form(command)
    assert probe[0] == "python"
    assert "/live" in probe[-1]
    assert "PHOENIX_HTTP_PORT" in probe[-1]


def test_the_reference_image_serves_both_services() -> None:
    runtime = stages(REFERENCE_DOCKERFILE)[-1]
    user = last(runtime, "USER").split(":")[0]
    assert int(user) >= 10000
    assert any(w == "HEALTHCHECK" for w, _ in runtime)
    requirements = (ROOT / "reference_services" / "requirements.txt").read_text()
    assert "gunicorn" in requirements
    assert "flask" in requirements
    for deployment in (o for o in objects(render(REFERENCE_CHART)) if o["kind"] == "Deployment"):
        command = pod_spec(deployment)["containers"][0]["command"]
        assert command[0] == "gunicorn"
        module, _, factory = command[-1].partition(":")
        assert (ROOT / (module.replace(".", "/") + ".py")).exists()
        assert factory == "create_app()"


def test_the_image_installs_the_package_with_the_lock() -> None:
    build = stages(DOCKERFILE)[0]
    assert any(w == "COPY" and rest.split() == [LOCK, f"./{LOCK}"] for w, rest in build)
    [install] = [rest for w, rest in build if w == "RUN" and "pip install" in rest]
    words = shlex.split(install)
    assert words[words.index("-c") + 1] == LOCK
    assert (ROOT / LOCK).is_file()


@pytest.fixture(scope="session")
def clean_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package installed (not editable) into a fresh venv, as the image's build stage does:
    every dependency at the version of the lock."""
    venv = tmp_path_factory.mktemp("image") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "--quiet",
            "--no-compile",
            "-c",
            str(ROOT / LOCK),
            str(ROOT),
        ],
        check=True,
        timeout=900,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return venv


def test_the_package_installs_into_a_clean_venv_and_phoenix_runs(clean_install: Path) -> None:
    phoenix = clean_install / "bin" / "phoenix"
    helped = subprocess.run([str(phoenix), "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0, helped.stderr
    assert "run" in helped.stdout
    # The sandbox arrives through the installed distribution's entry point.
    assert "    sandbox " in helped.stdout
    assert helped.stderr == ""
    # `phoenix run` without its settings stops at once with one line naming the setting.
    env = {"PATH": os.environ["PATH"], "HOME": str(clean_install)}
    run = subprocess.run(
        [str(phoenix), "run"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=clean_install,
    )
    assert run.returncode == 2
    assert "SLACK_BOT_TOKEN: is required but not set" in run.stderr
    # Installed from the wheel, not from the work tree.
    where = subprocess.run(
        [str(clean_install / "bin" / "python"), "-c", "import bot; print(bot.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=clean_install,
    )
    assert str(clean_install) in where.stdout


def test_the_image_holds_the_locked_version_of_every_dependency(clean_install: Path) -> None:
    frozen = subprocess.run(
        [str(clean_install / "bin" / "pip"), "freeze", "--exclude", "cloudphoenix"],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = pins(frozen.stdout)
    lock = locked()
    assert "botocore" in installed
    assert {name: v for name, v in installed.items() if lock.get(name) != v} == {}
