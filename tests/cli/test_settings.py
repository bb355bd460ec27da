"""Every command reads the settings the bot reads: PHOENIX_CONFIG and PHOENIX_STORE_URL, a flag
on the command line winning; `-v` says which was used and why. Run as a user runs them: the
installed `phoenix`, in a directory of its own."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.wiring.store import open_store
from tests.support.ports import closed_port
from tests.support.redis_server import RedisServer

from .support import add_runs, environ, phoenix

CUSTOM = """
signals:
  - {name: only-in-custom, kind: http, targets: ["http://127.0.0.1:9/health"]}
plans:
  dr-azure:
    description: our own DR plan
    stages:
      - {name: switch, kind: manual, params: {instruction: flip DNS}}
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """Where the commands run: no phoenix.yaml and no phoenix.db here."""
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def custom(tmp_path: Path) -> Path:
    path = tmp_path / "etc" / "phoenix.yaml"
    path.parent.mkdir()
    path.write_text(CUSTOM)
    return path


def test_plan_commands_read_phoenix_config(workdir: Path, custom: Path) -> None:
    env = environ(PHOENIX_CONFIG=str(custom))
    shown = phoenix("plan", "show", "dr-azure", "-v", cwd=workdir, env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0].endswith("): our own DR plan")
    assert shown.stdout.splitlines()[3].split()[:3] == ["1", "switch", "manual"]
    assert shown.stderr == f"phoenix: config: {custom} (from PHOENIX_CONFIG)\n"

    walked = phoenix("plan", "dry-run", "dr-azure", cwd=workdir, env=env)
    assert walked.returncode == 0, walked.stderr
    assert "    - pause for a person to: flip DNS" in walked.stdout.splitlines()

    # Without the variable, and no ./phoenix.yaml, the built-in plan: another description.
    builtin = phoenix("plan", "show", "dr-azure", cwd=workdir)
    assert builtin.returncode == 0, builtin.stderr
    assert "our own DR plan" not in builtin.stdout


def test_a_flag_on_the_command_line_wins_over_the_variable(
    workdir: Path, custom: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("plans:\n  dr-azure:\n    description: the other one\n    stages:\n"
                     "      - {name: x, kind: noop}\n")  # fmt: skip
    env = environ(PHOENIX_CONFIG=str(custom))
    shown = phoenix("plan", "show", "dr-azure", "--config", str(other), "-v", cwd=workdir, env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0].endswith("): the other one")
    assert shown.stderr == f"phoenix: config: {other} (given on the command line)\n"


def test_a_configured_file_that_is_missing_is_bad_input_never_the_built_ins(
    workdir: Path, tmp_path: Path
) -> None:
    env = environ(PHOENIX_CONFIG=str(tmp_path / "nowhere.yaml"))
    for argv in (("plan", "show", "dr-azure"), ("plan", "dry-run", "dr-azure"), ("check-config",)):
        done = phoenix(*argv, cwd=workdir, env=env)
        assert done.returncode == 2, argv
        assert done.stdout == ""
        assert done.stderr.splitlines() == [
            f"{tmp_path / 'nowhere.yaml'}: invalid configuration",
            "  cannot read the file: No such file or directory",
        ]


def test_check_config_and_backtest_read_phoenix_config(
    workdir: Path, custom: Path, tmp_path: Path
) -> None:
    env = environ(PHOENIX_CONFIG=str(custom))
    checked = phoenix("check-config", cwd=workdir, env=env)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"{custom}: ok — environment production: 1 signals (1 http)")

    trace = tmp_path / "trace.jsonl"
    trace.write_text(
        json.dumps({"t": "2026-03-01T10:00:00Z", "readings": {"only-in-custom": {"status": "ok"}}})
        + "\n"
    )
    replayed = phoenix("backtest", str(trace), "--json", cwd=workdir, env=env)
    assert replayed.returncode == 0, replayed.stderr
    assert "were ignored" not in replayed.stderr  # the signal is the configuration's own
    (step, _) = (json.loads(line) for line in replayed.stdout.splitlines())
    assert step["score"] == 0


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def health_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/health"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_score_probes_the_signals_of_phoenix_config(
    workdir: Path, tmp_path: Path, health_url: str
) -> None:
    config = tmp_path / "score.yaml"
    config.write_text(f'signals:\n  - {{name: loopback, kind: http, targets: ["{health_url}"]}}\n')
    scored = phoenix("score", "--json", cwd=workdir, env=environ(PHOENIX_CONFIG=str(config)))
    assert scored.returncode == 0, scored.stderr
    decision = json.loads(scored.stdout)
    assert [(r["name"], r["status"]) for r in decision["readings"]] == [("loopback", "ok")]
    assert (decision["score"], decision["level"]) == (0, 0)

    table = phoenix("score", cwd=workdir, env=environ(PHOENIX_CONFIG=str(config)))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["SIGNAL", "VANTAGE", "STATUS", "VALUE", "POINTS", "DETAIL"]
    assert lines[1].split()[:3] == ["loopback", "internal", "ok"]
    assert "score 0 -> level 0 (none)" in lines


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'state' / 'phoenix.db'}"
    (tmp_path / "state").mkdir()
    store = open_store(url)
    add_runs(store, 3)
    store.close()
    return url


def test_runs_read_phoenix_store_url(workdir: Path, sqlite_url: str, tmp_path: Path) -> None:
    env = environ(PHOENIX_STORE_URL=sqlite_url)
    listed = phoenix("runs", "list", "-v", cwd=workdir, env=env)
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[:4] for line in listed.stdout.splitlines()[1:]] == [
        ["run-00002", "dr-azure", "live", "succeeded"],
        ["run-00001", "dr-azure", "live", "awaiting_approval"],
        ["run-00000", "dr-azure", "live", "succeeded"],
    ]
    assert listed.stderr == f"phoenix: store: {sqlite_url} (from PHOENIX_STORE_URL)\n"

    shown = phoenix("runs", "show", "run-00001", "--json", cwd=workdir, env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["run"]["state"] == "awaiting_approval"
    assert not (workdir / "phoenix.db").exists()

    # --store wins: an existing store with no runs in it.
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    open_store(empty).close()
    flagged = phoenix("runs", "list", "--store", empty, cwd=workdir, env=env)
    assert (flagged.returncode, flagged.stdout, flagged.stderr) == (0, "no runs\n", "")


def test_runs_read_a_redis_store(workdir: Path, redis_server: RedisServer) -> None:
    url = f"{redis_server.url}?prefix=cli-test:"
    store = open_store(url)
    try:
        ids = add_runs(store, 2, plan="failback")
    finally:
        store.close()
    env = environ(PHOENIX_STORE_URL=url)
    listed = phoenix("runs", "list", "--json", cwd=workdir, env=env)
    assert listed.returncode == 0, listed.stderr
    assert [(r["run_id"], r["plan"]) for r in json.loads(listed.stdout)] == [
        (ids[1], "failback"),
        (ids[0], "failback"),
    ]
    shown = phoenix("runs", "show", ids[0], cwd=workdir, env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"run {ids[0]}: plan failback (version v1), live, succeeded")


def test_a_store_password_is_never_printed(workdir: Path) -> None:
    with closed_port() as port:
        url = f"redis://:hunter2@127.0.0.1:{port}/0?socket_connect_timeout=1"
        done = phoenix("runs", "list", "-v", cwd=workdir, env=environ(PHOENIX_STORE_URL=url))
    assert done.returncode == 1
    assert "hunter2" not in done.stdout + done.stderr
    first, second = done.stderr.splitlines()[:2]
    assert first.startswith(f"phoenix: store: redis://:***@127.0.0.1:{port}/0")
    assert second.startswith(f"cannot read the store: store URL redis://:***@127.0.0.1:{port}/0")


def test_runs_on_a_machine_where_nothing_was_recorded(workdir: Path) -> None:
    listed = phoenix("runs", "list", cwd=workdir)
    assert (listed.returncode, listed.stdout) == (0, "no runs\n")
    assert listed.stderr == "no SQLite store at ./phoenix.db: nothing was recorded yet\n"
    as_json = phoenix("runs", "list", "--json", cwd=workdir)
    assert (as_json.returncode, json.loads(as_json.stdout)) == (0, [])
    shown = phoenix("runs", "show", "run-1", cwd=workdir)
    assert shown.returncode == 1
    assert shown.stderr.splitlines()[-1] == "no run run-1"
    assert not (workdir / "phoenix.db").exists()
