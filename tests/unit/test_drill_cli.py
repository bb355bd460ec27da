"""`phoenix drill report [NAME] [--json]` and `phoenix runs show RUN --chart FILE.png`, read from
a store where a drill ran twice and was reported as the bot reports it."""

from __future__ import annotations

import io
import json
from functools import partial
from pathlib import Path

import pytest
from PIL import Image

from bot.cli.main import main
from engine.config import load_config
from engine.drills.desk import DrillDesk
from engine.incidents.authority import Authority
from engine.plans.model import plan_book
from engine.records import Surface
from engine.store import Store
from handlers.blocks.kit import duration_text
from tests.support.waiting import wait_until

from .runner_support import Kit, kit_fixture

kit = pytest.fixture(kit_fixture)

CONFIG = """
objectives: {rto: 15m, rpo: 5m}
slack: {channel: "#dr-drills", approvers: {users: [UALICE]}}
plans:
  rehearse:
    stages:
      - name: catch-up
        kind: record
        role: catch-up
        params: {ledger: LEDGER, key: "replication lag 12s"}
      - {name: cut-over, kind: noop, role: cut-over, drill: false}
      - {name: verify, kind: noop, role: verification}
drills:
  - {name: weekly, schedule: "0 10 * * mon", plan: rehearse, mode: rehearsal}
  - {name: monthly, schedule: "0 10 1 * *", plan: rehearse, mode: rehearsal}
"""


class NoGroups:
    def members(self, group_id: str) -> frozenset[str]:
        return frozenset()


def drilled(kit: Kit) -> tuple[Path, str, list[str]]:
    """The configuration, the store's URL, and two runs of drill ``weekly``, oldest first."""
    path = kit.tmp_path / "phoenix.yaml"
    path.write_text(CONFIG.replace("LEDGER", str(kit.ledger)))
    config = load_config(path)
    runner = kit.runner(plan_book(config), owner="A")
    desk = DrillDesk(runner, config, clock=kit.clock, authority=Authority(config.slack, NoGroups()))
    runs = []
    for _ in range(2):
        outcome = desk.run_now("weekly", "UALICE", Surface.CLI)
        assert outcome.run is not None
        run_id = outcome.run.run_id
        wait_until(partial(_over, runner.store, run_id), what="the drill to end")
        assert desk.report(run_id) is not None
        runs.append(run_id)
        kit.clock.advance(7 * 86400)
    return path, f"sqlite:///{kit.db}", runs


def test_drill_report_prints_the_trend_oldest_first(
    kit: Kit, capsys: pytest.CaptureFixture[str]
) -> None:
    config, store, (first, second) = drilled(kit)
    assert main(["drill", "report", "--config", str(config), "--store", store]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "objectives: RTO 15m, RPO 5m"
    assert lines[1].split() == ["drill", "finished", "run", "result", "RTO", "RPO", "why"]
    assert lines[2].split()[:4] == ["weekly", *lines[2].split()[1:3], first][:4]
    assert first in lines[2]
    assert "passed" in lines[2]
    assert second in lines[3]
    assert "monthly: no report yet" in lines
    assert any(line.startswith("weekly: RTO ") for line in lines)


def test_drill_report_as_json_has_each_drills_reports(
    kit: Kit, capsys: pytest.CaptureFixture[str]
) -> None:
    config, store, runs = drilled(kit)
    assert (
        main(["drill", "report", "weekly", "--json", "--config", str(config), "--store", store])
        == 0
    )
    found = json.loads(capsys.readouterr().out)
    assert found["objectives"] == {"rto_seconds": 900.0, "rpo_seconds": 300.0}
    [weekly] = found["drills"]
    assert weekly["name"] == "weekly"
    assert [r["run_id"] for r in weekly["reports"]] == runs
    assert weekly["reports"][0]["rpo_seconds"] == 12.0


def test_drill_report_names_the_drills_it_knows(
    kit: Kit, capsys: pytest.CaptureFixture[str]
) -> None:
    config, store, _ = drilled(kit)
    assert main(["drill", "report", "nope", "--config", str(config), "--store", store]) == 2
    assert "no drill named 'nope' (drills: weekly, monthly)" in capsys.readouterr().err


def test_runs_show_chart_writes_the_picture_the_bot_posts(
    kit: Kit, capsys: pytest.CaptureFixture[str]
) -> None:
    config, store, (_, second) = drilled(kit)
    chart = kit.tmp_path / "drill.png"
    argv = ["runs", "show", second, "--chart", str(chart), "--config", str(config)]
    assert main([*argv, "--store", store]) == 0
    said = capsys.readouterr()
    assert f"run {second}: plan rehearse" in said.out
    assert str(chart) in said.err
    picture = Image.open(io.BytesIO(chart.read_bytes()))
    assert picture.format == "PNG"
    description = picture.text["Description"]
    reports = json.loads(_report_json(config, store))["drills"][0]["reports"]
    rto = duration_text(reports[-1]["rto_seconds"])
    assert f"RTO {rto}" in description
    assert "catch-up" in description
    assert "verify" in description


def test_runs_show_chart_refuses_a_run_that_is_not_over_and_a_place_it_cannot_write(
    kit: Kit, capsys: pytest.CaptureFixture[str]
) -> None:
    config, store, (first, _) = drilled(kit)
    runner = kit.runner(plan_book(load_config(config)), owner="B")
    waiting = kit.propose(runner, "rehearse")
    argv = ["runs", "show", waiting.run_id, "--chart", str(kit.tmp_path / "x.png")]
    assert main([*argv, "--config", str(config), "--store", store]) == 1
    assert "a picture is drawn once it ends" in capsys.readouterr().err
    nowhere = str(kit.tmp_path / "no-such-folder" / "x.png")
    argv = ["runs", "show", first, "--chart", nowhere, "--config", str(config), "--store", store]
    assert main(argv) == 2
    assert f"cannot write {nowhere}" in capsys.readouterr().err


def _over(store: Store, run_id: str) -> bool:
    run = store.get_run(run_id)
    return run is not None and run.state.terminal


def _report_json(config: Path, store: str) -> str:
    out = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(out):
        assert main(["drill", "report", "--json", "--config", str(config), "--store", store]) == 0
    return out.getvalue()
