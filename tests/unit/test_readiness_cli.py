"""`phoenix readiness [--json]`: the latest sweep the bot stored, each check and why, the RTO and
RPO a failover would have, and an exit status a script can gate on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from engine.adapters.stores.sqlite_store import SqliteStore
from engine.readiness import Area, CheckResult, Estimate, ReadinessSweep, Verdict
from tests.support.clock import T0, ManualClock


def sweep(traffic: Verdict) -> ReadinessSweep:
    return ReadinessSweep(
        at=T0,
        plan="dr-azure",
        checks=(
            CheckResult(
                "replication-lag",
                "replication-lag",
                Area.DATABASE,
                Verdict.READY,
                "lag 12s, within the RPO of 300s",
                subject="replica app-db-replica (cloudwatch)",
                since=T0,
            ),
            CheckResult(
                "traffic-manager",
                "traffic-manager",
                Area.TRAFFIC,
                traffic,
                "azure-dr is disabled",
                subject="Traffic Manager profile phoenix",
                since=T0,
            ),
        ),
        rto=Estimate(570.0, ("scale-azure-sql: 5m in the drill d1 of 2026-01-01", "total 9m30s")),
        rpo=Estimate(12.0, ("database: replication lag 12s",), complete=False),
        seconds=1.25,
    )


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'phoenix.db'}"


def stored(url: str, value: ReadinessSweep) -> None:
    store = SqliteStore(url.removeprefix("sqlite:///"), clock=ManualClock())
    store.save_readiness(value)
    store.close()


def test_it_shows_each_check_and_the_forecast_and_exits_1_when_one_is_not_ready(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stored(store_url, sweep(Verdict.NOT_READY))
    assert main(["readiness", "--store", store_url]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "DR readiness of plan dr-azure: 1 of 2 ready (swept 2026-01-01 00:00:00Z, in 1.2s)"
    )
    assert lines[1].split() == ["check", "verdict", "since", "reason"]
    assert lines[2].split()[:3] == ["replication-lag", "ready", "2026-01-01"]
    assert lines[3].split()[:4] == ["traffic-manager", "not", "ready", "2026-01-01"]
    assert lines[3].endswith("Traffic Manager profile phoenix: azure-dr is disabled")
    assert lines[4:] == [
        "if we failed over now:",
        "  RTO ≈ 9m30s",
        "    - scale-azure-sql: 5m in the drill d1 of 2026-01-01",
        "    - total 9m30s",
        "  RPO at least 12s",
        "    - database: replication lag 12s",
    ]


def test_json_is_the_sweep_and_every_check_ready_exits_0(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stored(store_url, sweep(Verdict.READY))
    assert main(["readiness", "--store", store_url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["plan"] == "dr-azure"
    assert [c["verdict"] for c in data["checks"]] == ["ready", "ready"]
    assert data["rto"] == {
        "seconds": 570.0,
        "basis": ["scale-azure-sql: 5m in the drill d1 of 2026-01-01", "total 9m30s"],
        "complete": True,
    }


def test_no_sweep_yet_or_no_store_says_so(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["readiness", "--store", store_url]) == 1
    assert "no readiness sweep yet" in capsys.readouterr().err
    SqliteStore(tmp_path / "phoenix.db", clock=ManualClock()).close()
    assert main(["readiness", "--store", store_url]) == 1
    assert "no readiness sweep yet: the bot's leader sweeps" in capsys.readouterr().err
