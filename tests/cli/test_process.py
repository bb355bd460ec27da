"""What `phoenix` does as a process: its output piped into `head`, Ctrl-C, a terminal (colour)
or not, command groups from other installed distributions."""

from __future__ import annotations

import errno
import json
import os
import pty
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.wiring.store import open_store

from .support import EXAMPLE, PHOENIX, add_runs, environ, phoenix

READER_GONE = 141
INTERRUPTED = 130


def trace_file(path: Path, lines: int) -> Path:
    t0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    readings = {"service-a": {"status": "down"}, "service-b": {"status": "ok", "value": 0.1}}
    path.write_text(
        "".join(
            json.dumps({"t": (t0 + timedelta(seconds=30 * n)).isoformat(), "readings": readings})
            + "\n"
            for n in range(lines)
        )
    )
    return path


@pytest.fixture
def many_runs(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'many.db'}"
    store = open_store(url)
    add_runs(store, 1500)
    store.close()
    return url


def piped_into_head(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """`phoenix ARGV | head -n 1`: phoenix's status and stderr, and what head printed. The
    output is far larger than a pipe's buffer, so phoenix is still writing when head exits."""
    with subprocess.Popen(
        ["head", "-n", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as head:
        assert head.stdin is not None
        assert head.stdout is not None
        with subprocess.Popen(
            [str(PHOENIX), *argv],
            cwd=cwd,
            env=environ(),
            stdout=head.stdin,
            stderr=subprocess.PIPE,
            text=True,
        ) as writer:
            head.stdin.close()  # phoenix holds the only writing end now
            first = head.stdout.read().decode()
            head.wait(timeout=120)
            _, err = writer.communicate(timeout=120)
    return writer.returncode, err, first


@pytest.mark.parametrize("form", ["json", "table"])
def test_backtest_piped_into_head_ends_quietly(form: str, tmp_path: Path) -> None:
    trace = trace_file(tmp_path / "trace.jsonl", 3000)
    argv = ["backtest", str(trace), "--config", str(EXAMPLE)]
    status, err, first = piped_into_head([*argv, "--json"] if form == "json" else argv, tmp_path)
    assert err == ""
    assert status == READER_GONE
    if form == "json":
        assert json.loads(first)["t"] == "2026-03-01T10:00:00+00:00"
    else:
        assert first.split()[:2] == ["T", "SCORE"]


def test_runs_list_piped_into_head_ends_quietly(many_runs: str, tmp_path: Path) -> None:
    status, err, first = piped_into_head(
        ["runs", "list", "--store", many_runs, "--limit", "1500"], tmp_path
    )
    assert (status, err) == (READER_GONE, "")
    assert first.split() == ["run", "plan", "mode", "state", "created", "took", "reason"]


def test_output_that_fits_the_pipe_is_a_plain_success(tmp_path: Path) -> None:
    head = subprocess.run(
        f"'{PHOENIX}' --help | head -n 1; exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        cwd=tmp_path,
        env=environ(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (head.returncode, head.stderr) == (0, "")
    assert head.stdout.startswith("usage: phoenix")


def test_ctrl_c_while_a_command_reads_its_input_exits_130_without_a_traceback(
    tmp_path: Path,
) -> None:
    # A FIFO: phoenix opens it inside the command, and our open returns only once it has.
    fifo = tmp_path / "trace.fifo"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [str(PHOENIX), "backtest", str(fifo), "--config", str(EXAMPLE)],
        cwd=tmp_path,
        env=environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Python turns SIGINT into KeyboardInterrupt only if it starts with the default action
        # (a test runner started in the background may have it ignored).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    with open(fifo, "w"):
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == INTERRUPTED
    assert err == ""


def read_terminal(argv: list[str], cwd: Path, **settings: str) -> str:
    """What `phoenix ARGV` writes to a terminal (a pseudo-terminal here)."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [str(PHOENIX), *argv],
        cwd=cwd,
        env=environ(**settings),
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=subprocess.PIPE,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError as exc:
            if exc.errno != errno.EIO:  # EIO: the terminal's other side closed (Linux)
                raise
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert process.wait(timeout=60) == 0, process.stderr.read() if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_only_and_never_with_no_color(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    store = open_store(url)
    add_runs(store, 2)
    store.close()
    argv = ["runs", "list", "--store", url]
    on_terminal = read_terminal(argv, tmp_path)
    assert "\x1b[1mrun\x1b[0m" in on_terminal
    assert "\x1b[32msucceeded\x1b[0m" in on_terminal
    assert "\x1b[" not in read_terminal(argv, tmp_path, NO_COLOR="1")
    piped = phoenix(*argv, cwd=tmp_path)
    assert piped.returncode == 0
    assert "\x1b[" not in piped.stdout
    assert "succeeded" in piped.stdout


def test_exit_statuses_as_documented(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("signals: [{name: a, kind: nope}]\n")
    cases = {
        ("check-config", str(EXAMPLE)): 0,
        ("check-config", "bad.yaml"): 2,
        ("plan", "show", "no-such-plan"): 2,
        ("plan", "frobnicate"): 2,
        ("runs", "show", "no-such-run"): 1,
        ("runs", "list", "--store", "mysql://db/phoenix"): 1,
    }
    for argv, status in cases.items():
        done = phoenix(*argv, cwd=tmp_path)
        assert done.returncode == status, (argv, done.stderr)
        assert "Traceback" not in done.stderr


EXTENSION = """
def register(commands):
    hello = commands.add_parser("hello", help="greet")
    hello.add_argument("name", help="whom")
    hello.set_defaults(func=greet)


def greet(invocation):
    invocation.out.line(f"hello, {invocation.args.name}")
    return 0
"""


def test_a_command_group_from_another_distribution_is_found_by_its_entry_point(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    info = site / "phoenix_hello-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: phoenix-hello\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[cloudphoenix.commands]\n"
        "hello = phoenix_hello:register\n"
        "broken = phoenix_broken:register\n"
    )
    (site / "phoenix_hello.py").write_text(EXTENSION)
    (site / "phoenix_broken.py").write_text("raise RuntimeError('half installed')\n")
    env = environ(PYTHONPATH=str(site))

    greeted = phoenix("hello", "world", cwd=tmp_path, env=env)
    assert greeted.returncode == 0, greeted.stderr
    assert greeted.stdout == "hello, world\n"
    assert greeted.stderr == (
        "phoenix: the 'broken' commands (phoenix_broken:register) are left out: "
        "RuntimeError: half installed\n"
    )
    helped = phoenix("--help", cwd=tmp_path, env=env)
    assert helped.returncode == 0
    assert "    hello " in helped.stdout
    assert "    sandbox " in helped.stdout

    without = phoenix("hello", "world", cwd=tmp_path)
    assert without.returncode == 2
    assert "invalid choice: 'hello'" in without.stderr
