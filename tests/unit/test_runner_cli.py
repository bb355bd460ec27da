"""`phoenix runs list/show` and opening the store a URL names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.settings import load_command_settings
from bot.wiring.store import open_store
from engine.adapters.stores.sqlite_store import SqliteStore
from engine.errors import StoreNotCreated, StoreUnavailable
from engine.records import Surface

from .runner_support import Kit, kit_fixture, plan_of

kit = pytest.fixture(kit_fixture)


def two_runs(kit: Kit) -> tuple[str, str]:
    plan = plan_of(
        "p",
        """
stages:
  - {name: flaky, kind: fail_n_times, params: {failures: 1}, retry: {initial_interval: 2s}}
  - {name: hand, kind: manual, params: {instruction: press the red button}}
""",
    )
    runner = kit.runner(plan, owner="A")
    done = kit.propose(runner, "p")
    runner.run_now(done.run_id, actor="U1", surface=Surface.SLACK)
    runner.skip(done.run_id, actor="U2", surface=Surface.CLI).result(timeout=10)
    kit.clock.advance(60)
    waiting = kit.propose(runner, "p")
    return done.run_id, waiting.run_id


def test_runs_list_shows_the_newest_first(kit: Kit, capsys: pytest.CaptureFixture[str]) -> None:
    done, waiting = two_runs(kit)
    url = f"sqlite:///{kit.db}"
    assert main(["runs", "list", "--store", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["run", "plan", "mode", "state", "created", "took", "reason"]
    assert lines[1].split()[:4] == [waiting, "p", "live", "proposed"]
    assert lines[2].split()[:4] == [done, "p", "live", "succeeded"]
    assert lines[2].split()[6] == "2s"  # the measured duration: one backoff

    assert main(["runs", "list", "--store", url, "--state", "succeeded", "--json"]) == 0
    (only,) = json.loads(capsys.readouterr().out)
    assert (only["run_id"], only["state"]) == (done, "succeeded")


def test_runs_show_tells_the_story_of_a_run(kit: Kit, capsys: pytest.CaptureFixture[str]) -> None:
    done, _ = two_runs(kit)
    url = f"sqlite:///{kit.db}"
    assert main(["runs", "show", done, "--store", url]) == 0
    out = capsys.readouterr().out
    assert f"run {done}: plan p (version " in out
    assert "  flaky: succeeded, 2 attempt(s), took 2s — succeeded on attempt 2" in out
    assert "    attempt 1 (round 1): failed, 0s: planned failure 1 of 1" in out
    assert "  hand: skipped, 1 attempt(s), took 0s — skipped by U2" in out
    assert "stage_failed flaky (attempt 1): planned failure 1 of 1" in out
    assert "U2 via cli: run.skip (stage hand)" in out

    assert main(["runs", "show", done, "--store", url, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert set(shown) == {"run", "stages", "approvals", "events", "audit"}
    assert [s["stage"] for s in shown["stages"]] == ["flaky", "hand"]
    assert [len(s["attempts"]) for s in shown["stages"]] == [2, 1]
    assert shown["events"][-1]["durations"] == {"flaky": 2.0, "hand": 0.0, "total": 2.0}
    assert [a["action"] for a in shown["audit"]] == [
        "run.propose",
        "run.start",
        "run.skip",
    ]


def test_runs_commands_report_a_missing_run_or_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A store never created holds no runs; stderr says where the command looked, and the
    # reader creates nothing there.
    missing = f"sqlite:///{tmp_path}/none.db"
    assert main(["runs", "list", "--store", missing]) == 0
    captured = capsys.readouterr()
    assert captured.out == "no runs\n"
    assert f"no SQLite store at {tmp_path}/none.db: nothing was recorded yet" in captured.err
    assert main(["runs", "show", "nope", "--store", missing]) == 1
    assert capsys.readouterr().err.endswith("no run nope\n")
    assert not (tmp_path / "none.db").exists()
    SqliteStore(tmp_path / "empty.db", clock=Kit(tmp_path / "k").clock).close()
    assert main(["runs", "show", "nope", "--store", f"sqlite:///{tmp_path}/empty.db"]) == 1
    assert capsys.readouterr().err == "no run nope\n"
    assert main(["runs", "list", "--store", f"sqlite:///{tmp_path}/empty.db"]) == 0
    assert capsys.readouterr().out == "no runs\n"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://db/phoenix", "unknown kind of store"),
        ("sqlite://", "write an SQLite store as sqlite:///relative/path.db"),
        ("redis://:hunter2@cache:6379/0", "redis://:***@cache:6379/0: the Redis store is not"),
    ],
)
def test_a_bad_or_unsupported_store_url_is_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(StoreUnavailable, match="store URL") as info:
        open_store(url)
    assert message in str(info.value)
    assert "hunter2" not in str(info.value)


def test_an_unreachable_sqlite_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="cannot open the SQLite store at"):
        open_store(f"sqlite:///{tmp_path}/no/such/dir/phoenix.db")


def test_the_default_store_is_a_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store(load_command_settings({}).store_url)
    store.ping()
    store.close()
    assert (tmp_path / "phoenix.db").exists()


def test_a_reader_finds_a_store_never_created_and_creates_none(tmp_path: Path) -> None:
    with pytest.raises(StoreNotCreated, match="nothing was recorded yet"):
        open_store(f"sqlite:///{tmp_path}/none.db", create=False)
    assert not (tmp_path / "none.db").exists()
