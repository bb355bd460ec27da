"""``replication_check``: the replica that feeds the DR side lags within the RPO budget.

The lag is read from CloudWatch (``AWS/RDS ReplicaLag``) or a PromQL query. While it is over
the budget the stage waits for the replica to catch up, polling and reporting each reading,
up to ``catch_up_within``; then it fails retryably and the runner's policy decides. The lag
it accepted is recorded as the run's RPO evidence (the ``replication_lag_seconds`` fact).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pydantic import Field, model_validator

from engine.cloud_ports import ReplicaLag, ReplicationLagSource
from engine.duration import Duration, format_duration
from engine.errors import StageRetryable
from engine.retry import RetryPolicy
from engine.runs import LAG_FACT, StageRole
from engine.stages.common import NOT_CONVERGED, Params, poll_until
from engine.stages.context import StageContext, StageInfo
from engine.stages.ports import DATABASES, LagSource
from engine.stages.registry import Stage, StageResult, stage_kind


class ReplicationCheckParams(Params):
    instance: str = Field(min_length=1)
    """The RDS read replica whose lag is measured."""
    region: str | None = None
    source: LagSource = "cloudwatch"
    query: str | None = None
    """PromQL (``source: promql``); ``{instance}`` stands for the instance."""
    budget: Duration = timedelta(minutes=5)
    """The RPO: the largest lag accepted."""
    lookback: Duration = timedelta(minutes=5)
    """Readings older than this do not count."""
    catch_up_within: Duration = timedelta(minutes=5)
    poll_interval: Duration = timedelta(seconds=15)

    @model_validator(mode="after")
    def _query_for_promql(self) -> ReplicationCheckParams:
        if self.source == "promql" and not self.query:
            raise ValueError("query: is required when source is promql")
        return self


@stage_kind(
    "replication_check",
    params=ReplicationCheckParams,
    timeout=timedelta(minutes=10),
    retry=RetryPolicy(initial_interval=timedelta(seconds=15), maximum_attempts=3),
    drill=True,
    role=StageRole.CATCH_UP,
)
class ReplicationCheck(Stage[ReplicationCheckParams]):
    """Replication lag within the RPO budget, waiting for the replica to catch up."""

    def run(self, ctx: StageContext, params: ReplicationCheckParams) -> StageResult:
        source = _source(ctx, params)
        budget = params.budget.total_seconds()
        readings: list[ReplicaLag] = []

        def caught_up() -> tuple[bool, str, float | None]:
            lag = _read(source, params)
            readings.append(lag)
            if lag.seconds <= budget:
                return True, "", None
            return (
                False,
                f"lag {lag.seconds:g}s over the RPO budget of {budget:g}s: waiting to catch up",
                None,
            )

        try:
            poll_until(ctx, caught_up, params.catch_up_within, params.poll_interval)
        except StageRetryable as exc:
            if exc.error_type != NOT_CONVERGED or not readings:
                raise
            last = readings[-1].seconds
            raise StageRetryable(
                f"{params.instance}: replication lag {last:g}s still over the RPO budget of "
                f"{budget:g}s after {format_duration(params.catch_up_within)}",
                error_type=NOT_CONVERGED,
            ) from exc
        lag = readings[-1]
        return StageResult(
            f"replication lag {lag.seconds:g}s of {params.instance} within the RPO budget "
            f"of {budget:g}s",
            {
                LAG_FACT: lag.seconds,
                "rpo_budget_seconds": budget,
                "lag_measured_at": lag.at.isoformat(),
            },
        )

    def preflight(self, ctx: StageContext, params: ReplicationCheckParams) -> str:
        lag = _read(_source(ctx, params), params)
        verdict = "within" if lag.seconds <= params.budget.total_seconds() else "OVER"
        return (
            f"read the replication lag of {params.instance}: {lag.seconds:g}s, {verdict} the "
            f"budget of {params.budget.total_seconds():g}s"
        )

    def describe(self, params: ReplicationCheckParams, info: StageInfo) -> Sequence[str]:
        where = (
            f"CloudWatch AWS/RDS ReplicaLag of RDS instance {params.instance}"
            + (f" in {params.region}" if params.region else "")
            if params.source == "cloudwatch"
            else f"PromQL {params.query!r} for {params.instance}"
        )
        return [
            f"read {where} (readings of the last {format_duration(params.lookback)})",
            f"wait up to {format_duration(params.catch_up_within)} for it to be at most "
            f"{format_duration(params.budget)}, reading every "
            f"{format_duration(params.poll_interval)}",
            f"record the lag as the run's RPO evidence ({LAG_FACT})",
        ]


def _source(ctx: StageContext, params: ReplicationCheckParams) -> ReplicationLagSource:
    return ctx.ports.get(DATABASES).replication_lag(params.source, params.region, params.query)


def _read(source: ReplicationLagSource, params: ReplicationCheckParams) -> ReplicaLag:
    lag = source.replica_lag(params.instance, params.lookback)
    if lag is None:
        raise StageRetryable(
            f"no replication lag reading of {params.instance} in the last "
            f"{format_duration(params.lookback)} ({params.source})",
            error_type="NoLagReading",
        )
    return lag
