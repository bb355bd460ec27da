"""If we failed over now: the RPO as the worst of the lag and the oldest uncopied object, the
RTO as the plan's steps measured in its last drills and failovers with the work to do now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.config import parse_config
from engine.health.readiness.check import (
    BACKLOG_BYTES,
    LAG_SECONDS,
    OLDEST_SECONDS,
    PODS_TO_START,
    SCALE_NEEDED,
)
from engine.health.readiness.forecast import MeasuredRun, predicted_rpo, predicted_rto
from engine.plans.model import Plan, builtin_plans
from engine.readiness import Area, CheckResult, Verdict
from engine.runs import Run, RunMode, RunState, StageRecord, StageState

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
CONFIG = """
recovery:
  database: {replica: app-db-replica}
  objects: {bucket: assets, container: assets}
  azure_sql: {server: dr-sql, database: app, sku: P2, standby_sku: S0}
  aks: {cluster: aks-dr, namespace: shop, deployments: {service-a: 2}}
  traffic: {profile: phoenix, dr_endpoint: azure, aws_endpoint: aws}
  verify: {urls: ["https://app.example.com/health"]}
  notify: {url: "https://n8n.example.com/webhook/x", secret: "env:KEY"}
clouds:
  clusters: {aks-dr: {in_cluster: true}}
"""


@pytest.fixture(scope="module")
def plan() -> Plan:
    return builtin_plans(config=parse_config(CONFIG))["dr-azure"]


def result(kind: str, verdict: Verdict = Verdict.READY, **measured: float) -> CheckResult:
    return CheckResult(kind, kind, Area.DATABASE, verdict, "reason", kind, measured)


def measured_run(
    run_id: str, mode: RunMode, days_ago: int, stages: dict[str, tuple[float, dict[str, Any]]]
) -> MeasuredRun:
    start = T0 - timedelta(days=days_ago)
    run = Run(
        run_id, "dr-azure", "v1", tuple(stages), mode, RunState.SUCCEEDED, start, "U1",
        started_at=start, finished_at=start + timedelta(minutes=30),
    )  # fmt: skip
    records = {
        name: StageRecord(
            run_id,
            name,
            StageState.SUCCEEDED,
            started_at=start,
            finished_at=start + timedelta(seconds=seconds),
            facts=facts,
        )
        for name, (seconds, facts) in stages.items()
    }
    return MeasuredRun(run, records)


def test_the_rpo_is_the_worst_of_the_lag_and_the_oldest_uncopied_object() -> None:
    rpo = predicted_rpo(
        [
            result("replication-lag", **{LAG_SECONDS: 12.0}),
            result("blob-backlog", **{OLDEST_SECONDS: 95.0, BACKLOG_BYTES: 4096.0}),
        ]
    )
    assert (rpo.seconds, rpo.complete) == (95.0, True)
    assert rpo.basis[0].startswith("database: replication lag 12s")
    assert rpo.basis[1].startswith("objects: the oldest uncopied object is at most 1m35s old")
    assert rpo.basis[-1] == "the worst of these: 1m35s"


def test_an_rpo_part_that_could_not_be_read_makes_it_a_lower_bound() -> None:
    rpo = predicted_rpo(
        [result("replication-lag", **{LAG_SECONDS: 12.0}), result("blob-backlog", Verdict.UNKNOWN)]
    )
    assert (rpo.seconds, rpo.complete) == (12.0, False)
    assert rpo.basis[-1] == "the worst of these: 12s, at least"
    assert predicted_rpo([]).seconds is None


def test_the_rto_adds_the_steps_up_to_the_verification_and_counts_the_longest_in_parallel(
    plan: Plan,
) -> None:
    live = measured_run(
        "live-1",
        RunMode.LIVE,
        3,
        {
            "check-replication-lag": (20, {}),
            "sync-objects": (50, {"bytes_copied": 0}),
            "scale-azure-sql": (300, {"sql_scaled": True}),
            "deploy-services": (90, {"deployments_scaled": 1}),
            "switch-traffic": (60, {}),
            "verify-services": (5, {}),
            "notify": (1, {}),
        },
    )
    rto = predicted_rto(plan, [], [live])
    # catch-up: max(20, 50); azure-ready: max(300, 90); switch 60; verify 5 — not the notify.
    assert rto.seconds == 50 + 300 + 60 + 5
    assert rto.complete
    assert rto.basis[0].startswith("in parallel, the longest counts (50s)")
    assert rto.basis[-1] == "total 6m55s"
    assert not any("notify" in line for line in rto.basis)


def test_the_measurement_that_did_the_work_needed_now_is_taken(plan: Plan) -> None:
    scaled = measured_run(
        "drill-old", RunMode.REHEARSAL, 20,
        {"scale-azure-sql": (400, {"sql_scaled": True}),
         "deploy-services": (120, {"deployments_scaled": 2})},
    )  # fmt: skip
    idle = measured_run(
        "drill-new", RunMode.REHEARSAL, 2,
        {"scale-azure-sql": (4, {"sql_scaled": False}),
         "deploy-services": (3, {"deployments_scaled": 0})},
    )  # fmt: skip
    runs = [idle, scaled]  # newest first
    needs_work = [
        result("azure-sql", **{SCALE_NEEDED: 1.0}),
        result("aks-deployments", **{PODS_TO_START: 4.0}),
    ]
    no_work = [
        result("azure-sql", **{SCALE_NEEDED: 0.0}),
        result("aks-deployments", **{PODS_TO_START: 0.0}),
    ]
    assert "with a database scale" in _line(predicted_rto(plan, needs_work, runs), "scale-azure")
    assert "400" not in _line(predicted_rto(plan, no_work, runs), "scale-azure")
    step = next(s for s in predicted_rto(plan, needs_work, runs).basis if "scale-azure" in s)
    assert "(6m40s)" in step  # the scale the older drill measured, not the newer no-op
    step = next(s for s in predicted_rto(plan, no_work, runs).basis if "scale-azure" in s)
    assert "(4s)" in step


def test_a_scale_needed_but_never_measured_makes_the_rto_a_lower_bound(plan: Plan) -> None:
    idle = measured_run(
        "drill-new", RunMode.REHEARSAL, 2, {"scale-azure-sql": (4, {"sql_scaled": False})}
    )
    rto = predicted_rto(plan, [result("azure-sql", **{SCALE_NEEDED: 1.0})], [idle])
    assert not rto.complete
    assert "a database scale now, never measured" in _line(rto, "scale-azure")


def test_an_object_sync_is_the_backlog_at_the_last_throughput_plus_an_idle_pass(
    plan: Plan,
) -> None:
    copy = measured_run(
        "drill-1", RunMode.REHEARSAL, 5, {"sync-objects": (100, {"bytes_copied": 100 * 2**20})}
    )
    idle = measured_run("drill-2", RunMode.REHEARSAL, 1, {"sync-objects": (8, {"bytes_copied": 0})})
    backlog = [result("blob-backlog", **{BACKLOG_BYTES: 30 * 2**20, OLDEST_SECONDS: 60.0})]
    rto = predicted_rto(plan, backlog, [idle, copy])
    line = _line(rto, "sync-objects")
    assert "30.0 MiB behind at 1.0 MiB/s" in line
    assert "+ 8s for a pass with nothing to copy" in line
    step = next(s for s in rto.basis if "sync-objects" in s)
    assert "(38s)" in step


def test_stages_a_drill_never_runs_leave_the_rto_a_lower_bound_that_says_so(plan: Plan) -> None:
    drill = measured_run(
        "drill-1", RunMode.REHEARSAL, 1,
        {"check-replication-lag": (20, {}), "verify-services": (5, {})},
    )  # fmt: skip
    rto = predicted_rto(plan, [], [drill])
    assert not rto.complete
    assert rto.seconds == 25
    assert "switch-traffic: never measured in a drill or failover of the plan" in rto.basis
    assert rto.basis[-1] == "total 25s, at least"


def test_dry_runs_and_other_plans_measure_nothing(plan: Plan) -> None:
    dry = measured_run("dry", RunMode.DRY_RUN, 1, {"check-replication-lag": (1, {})})
    assert predicted_rto(plan, [], [dry]).seconds == 0
    assert not predicted_rto(plan, [], [dry]).complete


def _line(rto: Any, stage: str) -> str:
    return next(part for line in rto.basis for part in line.split("; ") if stage in part)
