"""``azure_sql_ready``: the DR Azure SQL database is Online at the size production needs.

Checks the database exists and is Online, brings it to the configured service objective (a
long-running change it waits on; a database being scaled stays Online, and a change to the
objective already in flight, from an earlier attempt or another runner, is followed rather
than sent again), and, where a failover group is named, makes the DR server its primary. "At
the objective" is read from the database's service objective name, not from the ``sku`` Azure
splits it into. In a drill rehearsal the failover is left out unless the plan asks for it: a
rehearsal must not move the database's primary.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Final

from pydantic import Field

from engine.cloud_ports import SqlDatabase
from engine.duration import Duration, format_duration
from engine.errors import StageFatal, StageRetryable
from engine.fields import SqlObjectiveInput
from engine.retry import RetryPolicy
from engine.runs import RunMode
from engine.stages.common import NOT_CONVERGED, Params, poll_until, wait_for_operation
from engine.stages.context import StageContext, StageInfo
from engine.stages.ports import AZURE
from engine.stages.registry import Stage, StageResult, stage_kind

SCALED_FACT: Final = "sql_scaled"
"""Whether the stage scaled the database (a forecast of a failover needs to know)."""


class AzureSqlReadyParams(Params):
    server: str = Field(min_length=1)
    database: str = Field(min_length=1)
    resource_group: str | None = None
    sku: SqlObjectiveInput | None = None
    """Scale to this service objective (``GP_Gen5_4``, ``S0`` ...); left as it is when not
    given."""
    failover_group: str | None = None
    """Make ``server`` the primary of this failover group."""
    allow_data_loss: bool = False
    failover_in_drills: bool = False
    wait: Duration = timedelta(minutes=15)
    poll_interval: Duration = timedelta(seconds=10)


@stage_kind(
    "azure_sql_ready",
    params=AzureSqlReadyParams,
    timeout=timedelta(minutes=20),
    retry=RetryPolicy(initial_interval=timedelta(seconds=10), maximum_attempts=3),
    drill=True,
)
class AzureSqlReady(Stage[AzureSqlReadyParams]):
    """The DR Azure SQL database exists, is Online, at the configured SKU (and primary)."""

    def run(self, ctx: StageContext, params: AzureSqlReadyParams) -> StageResult:
        sql = _sql(ctx, params)
        where = f"Azure SQL database {params.database} on {params.server}"
        done: list[str] = []
        scaled = False
        state = sql.database(params.server, params.database)
        if not state.online:
            # An operation started by an earlier attempt (or by a person) is still running:
            # wait for it rather than start another over it.
            ctx.progress(f"{where} is {state.status}; waiting for it to be Online")
            poll_until(
                ctx,
                lambda: (
                    sql.database(params.server, params.database).online,
                    f"{where} is not Online yet",
                    None,
                ),
                params.wait,
                params.poll_interval,
            )
            state = sql.database(params.server, params.database)
        if params.sku is not None:
            target = params.sku.objective
            ctx.check()
            operation = sql.scale(params.server, params.database, target)
            if operation is not None:
                scaled = True
                ctx.progress(f"scaling {where} from {state.objective} to {target}")
                wait_for_operation(ctx, operation, params.wait, params.poll_interval)
                done.append(f"scaled to {target}")
            state = sql.database(params.server, params.database)
        if not state.online:
            raise StageRetryable(f"{where} is {state.status}, not Online", error_type=NOT_CONVERGED)
        if params.failover_group is not None:
            if ctx.mode is RunMode.REHEARSAL and not params.failover_in_drills:
                done.append(f"failover of group {params.failover_group} left out of the drill")
            else:
                ctx.check()
                operation = sql.failover(
                    params.server, params.failover_group, allow_data_loss=params.allow_data_loss
                )
                if operation is not None:
                    ctx.progress(f"failing over group {params.failover_group} to {params.server}")
                    wait_for_operation(ctx, operation, params.wait, params.poll_interval)
                    done.append(f"failed over group {params.failover_group}")
                group = sql.failover_group(params.server, params.failover_group)
                if group.role != "Primary":
                    raise StageRetryable(
                        f"failover group {params.failover_group}: {params.server} reads back "
                        f"as {group.role}",
                        error_type=NOT_CONVERGED,
                    )
        summary = f"{where} Online at {state.objective}" + (
            f": {'; '.join(done)}" if done else " (nothing to change)"
        )
        return StageResult(
            summary,
            {"sql_sku": state.objective, "sql_status": state.status, SCALED_FACT: scaled},
        )

    def preflight(self, ctx: StageContext, params: AzureSqlReadyParams) -> str:
        sql = _sql(ctx, params)
        state = sql.database(params.server, params.database)
        text = f"Azure SQL database {params.database} is {state.status} at {state.objective}"
        if state.changing:
            text += f", changing to {state.requested_objective}"
        if params.failover_group is not None:
            group = sql.failover_group(params.server, params.failover_group)
            if not group.databases or params.database not in group.databases:
                raise StageFatal(
                    f"failover group {params.failover_group} does not hold {params.database}"
                )
            text += f"; failover group {params.failover_group}: {params.server} is {group.role}"
        return text

    def describe(self, params: AzureSqlReadyParams, info: StageInfo) -> Sequence[str]:
        where = f"Azure SQL database {params.database} on server {params.server}"
        actions = [f"read {where} (it must exist)"]
        if params.sku is not None:
            actions.append(
                f"scale it to {params.sku.objective} unless it is at that service objective "
                "(following a change to it already in flight), and wait for the change "
                f"(up to {format_duration(params.wait)})"
            )
        actions.append("check it is Online")
        if params.failover_group is not None:
            how = "forced, allowing data loss" if params.allow_data_loss else "planned"
            actions.append(
                f"fail over group {params.failover_group} to {params.server} ({how}) unless "
                "it is primary there, and wait for the operation"
                + ("" if params.failover_in_drills else " (not in drill rehearsals)")
            )
        return actions


def _sql(ctx: StageContext, params: AzureSqlReadyParams) -> SqlDatabase:
    return ctx.ports.get(AZURE).sql_databases(params.resource_group)
