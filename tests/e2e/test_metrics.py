"""/metrics of the whole bot: what was measured (the latest evaluation's signals, each drill's
RTO, RPO and last success, the last failover's RTO and RPO) shows the same on every replica,
and on a replica that restarts; the first run of a plan shows as an increase; the build."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics
from bot.wiring.phoenix import Phoenix
from engine.model import Reading, Status, Vantage
from engine.records import Surface
from engine.runs import RunMode, RunState
from sandbox.slack import Emulator
from tests.e2e.scheduler_support import Bot, running_bot
from tests.e2e.support import CONFIG
from tests.support.waiting import wait_until

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]
ENV = "sandbox-prod"
MONDAY_10 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
START = MONDAY_10 - timedelta(hours=2)
PLANS = """
  drill-plan:
    stages:
      - name: check-replication-lag
        kind: record
        role: catch-up
        params: {ledger: LEDGER, key: "replication lag 12s"}
      - {name: switch-traffic, kind: noop, drill: false, role: cut-over}
      - {name: verify-services, kind: noop, role: verification}
  dr-measured:
    stages:
      - name: check-replication-lag
        kind: record
        role: catch-up
        params: {ledger: LEDGER-live, key: "replication lag 40s"}
      - {name: switch-traffic, kind: noop, role: cut-over}
      - {name: verify-services, kind: sleep, role: verification, params: {seconds: 0.3}}
"""
DRILLS = """
drills:
  - name: weekly-dr
    schedule: "0 10 * * mon"
    timezone: Europe/Berlin
    plan: drill-plan
    mode: rehearsal
"""


def config(tmp: Path) -> str:
    text = CONFIG.replace("plans:\n", "plans:" + PLANS.replace("LEDGER", str(tmp / "l")), 1)
    text = text.replace("plan: dr-quick}", "plan: dr-measured}")
    return text + DRILLS


def series(phoenix: Phoenix) -> Series:
    found: Series = {}
    for family in text_string_to_metric_families(phoenix.metrics.text().decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: Series, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def recorded(found: Series) -> Series:
    """The series read from the store (what every replica must show alike)."""
    prefixes = (
        "phoenix_score", "phoenix_level", "phoenix_signal_", "phoenix_drill_",
        "phoenix_failover_", "phoenix_last_evaluation", "phoenix_rto_", "phoenix_rpo_",
    )  # fmt: skip
    return {key: v for key, v in found.items() if key[0].startswith(prefixes)}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as slack:
        yield slack


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shared.db'}"


@pytest.fixture
def bot(emulator: Emulator, tmp_path: Path, store_url: str) -> Iterator[Bot]:
    emulator.reset()
    with running_bot(
        emulator, tmp_path, config_text=config(tmp_path), start=START, store_url=store_url
    ) as bot:
        assert bot.phoenix.leadership.keep()
        yield bot


def replica(emulator: Emulator, tmp_path: Path, store_url: str):  # type: ignore[no-untyped-def]
    """Another replica on the same store: it leads nothing and has run nothing."""
    return running_bot(
        emulator,
        tmp_path,
        config_text=config(tmp_path),
        start=START,
        store_url=store_url,
        connect=False,
    )


def test_the_latest_signals_show_on_every_replica_and_after_a_restart(
    bot: Bot, emulator: Emulator, tmp_path: Path, store_url: str
) -> None:
    now = datetime.now(UTC)
    readings = [
        Reading("service-a", Status.DOWN, 1.0, "3 of 3 failing", Vantage.INTERNAL, now),
        Reading("service-b", Status.DEGRADED, 0.5, "1 of 2 failing", Vantage.INTERNAL, now),
        Reading("external-uptime", Status.OK, 0.0, "ok", Vantage.EXTERNAL, now),
        Reading("cross-cloud", Status.UNKNOWN, None, "timed out", Vantage.CROSS_CLOUD, now),
    ]
    outcome = bot.phoenix.evaluator.evaluate(readings)
    assert outcome is not None
    found = series(bot.phoenix)
    assert value(found, "phoenix_score", environment=ENV) == outcome.sample.total
    assert value(found, "phoenix_signal_value", environment=ENV, signal="service-b") == 0.5
    measured = {dict(k)["signal"] for name, k in found if name == "phoenix_signal_value"}
    assert measured == {"service-a", "service-b", "external-uptime"}, "unknown measures nothing"
    statuses = [
        dict(labels) | {"is": v}
        for (name, labels), v in found.items()
        if name == "phoenix_signal_status"
    ]
    assert len(statuses) == len(readings) * len(Status)
    for reading in readings:
        read = {s["status"] for s in statuses if s["signal"] == reading.signal and s["is"] == 1}
        assert read == {reading.status.value}, reading.signal
    assert value(found, "phoenix_rto_objective_seconds", environment=ENV) == 900
    assert value(found, "phoenix_rpo_objective_seconds", environment=ENV) == 300

    with replica(emulator, tmp_path, store_url) as other:
        assert not other.phoenix.leadership.keep(), "it follows"
        assert recorded(series(other.phoenix)) == recorded(found)
    bot.phoenix.close()
    with replica(emulator, tmp_path, store_url) as restarted:
        assert recorded(series(restarted.phoenix)) == recorded(found), "read back, not zeros"


def test_a_drill_shows_its_rto_rpo_and_last_success_on_every_replica(
    bot: Bot, emulator: Emulator, tmp_path: Path, store_url: str
) -> None:
    before = series(bot.phoenix)
    due = value(before, "phoenix_drill_next_timestamp_seconds", environment=ENV, drill="weekly-dr")
    assert due == MONDAY_10.timestamp()
    assert not [k for k in before if k[0] == "phoenix_drill_last_success_timestamp_seconds"]
    bot.clock.advance((MONDAY_10 + timedelta(seconds=5) - bot.clock.now()).total_seconds())
    bot.phoenix.duties.run()
    [run] = bot.phoenix.store.list_runs()
    assert run.mode is RunMode.REHEARSAL
    wait_until(lambda: bot.phoenix.drills.report(run.run_id) is not None, what="the report")
    report = bot.phoenix.drills.report(run.run_id)
    assert report is not None
    assert report.passed
    assert report.rto_seconds is not None
    assert report.finished_at is not None

    found = series(bot.phoenix)
    labels = {"environment": ENV, "drill": "weekly-dr", "plan": "drill-plan"}
    assert value(found, "phoenix_drill_rto_seconds", **labels) == report.rto_seconds
    assert value(found, "phoenix_drill_rpo_seconds", **labels) == 12
    assert value(found, "phoenix_drill_passed", **labels) == 1
    assert (
        value(
            found,
            "phoenix_drill_last_success_timestamp_seconds",
            environment=ENV,
            drill="weekly-dr",
        )
        == report.finished_at.timestamp()
    )
    with replica(emulator, tmp_path, store_url) as other:
        assert recorded(series(other.phoenix)) == recorded(found)


def test_a_failover_shows_its_rto_and_rpo_and_its_first_run_counts(
    bot: Bot, emulator: Emulator, tmp_path: Path, store_url: str
) -> None:
    phoenix = bot.phoenix
    zero = series(phoenix)
    runs = {"plan": "dr-measured", "outcome": "succeeded"}
    assert value(zero, "phoenix_runs_total", **runs) == 0, "every plan's counter starts at 0"
    stage = {"plan": "dr-measured", "stage": "verify-services", "le": "+Inf"}
    assert value(zero, "phoenix_stage_seconds_bucket", **stage) == 0
    assert not [k for k in zero if k[0] == "phoenix_failover_rto_seconds"]

    run = phoenix.runner.propose("dr-measured", actor="UALICE", surface=Surface.CLI)
    phoenix.runner.start(run.run_id, actor="UALICE", surface=Surface.CLI).result(timeout=10)
    done = phoenix.store.get_run(run.run_id)
    assert done is not None
    assert done.state is RunState.SUCCEEDED
    assert phoenix.runner.hub.drain(10)
    verify = next(r for r in phoenix.store.get_stages(run.run_id) if r.stage == "verify-services")
    assert done.started_at is not None
    assert verify.finished_at is not None
    found = series(phoenix)
    plan = {"environment": ENV, "plan": "dr-measured"}
    rto = value(found, "phoenix_failover_rto_seconds", **plan)
    # A failover's RTO clock starts at its proposal (engine.recovery).
    assert math.isclose(rto, (verify.finished_at - done.created_at).total_seconds())
    assert value(found, "phoenix_failover_rpo_seconds", **plan) == 40
    assert value(found, "phoenix_failover_finished_timestamp_seconds", **plan) == (
        done.finished_at.timestamp() if done.finished_at else math.nan
    )
    assert value(found, "phoenix_runs_total", **runs) == 1
    assert value(found, "phoenix_stage_seconds_bucket", **stage) == 1
    with replica(emulator, tmp_path, store_url) as other:
        assert recorded(series(other.phoenix)) == recorded(found)


def test_the_build_is_named(bot: Bot) -> None:
    [build] = [labels for name, labels in series(bot.phoenix) if name == "phoenix_build_info"]
    labels = dict(build)
    assert labels["version"] == "0.1.0"
    assert labels["commit"] == "unknown", "no PHOENIX_BUILD_COMMIT in these settings"
    built = Metrics(ENV, commit="0a1b2c3").text().decode()
    assert 'phoenix_build_info{commit="0a1b2c3",version="0.1.0"} 1.0' in built
