"""The database side of a failover: the replica that feeds the DR side lags within the RPO, the
DR database answers Online at the objective the plan scales from, and its failover group
replicates.

Azure Resource Manager reports a failover group's replication state but not its lag: the lag
is the replication check's, read where the plan's own ``replication_check`` reads it.
"""

from __future__ import annotations

from engine.cloud_ports import SqlDatabase
from engine.duration import format_duration
from engine.health.readiness.check import (
    LAG_SECONDS,
    SCALE_NEEDED,
    Finding,
    Look,
    not_ready,
    ready,
    unknown,
)
from engine.sql_objectives import ServiceObjective, same_objective
from engine.stages import Ports
from engine.stages.azure_sql import AzureSqlReadyParams
from engine.stages.ports import AZURE, DATABASES
from engine.stages.replication import ReplicationCheckParams

IN_STEP = "CATCH_UP"
"""The replication state of a secondary that is transactionally consistent and kept in step
(``FailoverGroupReplicationState``); ``SEEDING`` and ``SUSPENDED`` cannot fail over safely."""
_WHY_NOT_IN_STEP = {
    "SEEDING": "the secondary is still being seeded and cannot take over yet",
    "PENDING": "replication has not started",
    "SUSPENDED": "replication is suspended: the secondary no longer follows the primary",
}


def replication_lag(params: ReplicationCheckParams) -> Look:
    def look(ports: Ports) -> Finding:
        source = ports.get(DATABASES).replication_lag(params.source, params.region, params.query)
        lag = source.replica_lag(params.instance, params.lookback)
        budget = params.budget.total_seconds()
        if lag is None:
            return unknown(
                f"no replication lag reading of {params.instance} in the last "
                f"{format_duration(params.lookback)}"
            )
        said = f"lag {lag.seconds:g}s (read {lag.at:%H:%M:%S} UTC)"
        if lag.seconds <= budget:
            return ready(f"{said}, within the RPO of {budget:g}s", **{LAG_SECONDS: lag.seconds})
        return not_ready(
            f"{said}, over the RPO of {budget:g}s: a failover now would lose that much",
            **{LAG_SECONDS: lag.seconds},
        )

    return look


def azure_sql(params: AzureSqlReadyParams, standby: ServiceObjective | None) -> Look:
    """``standby``: the objective the DR database waits at between incidents (where the
    failback leaves it), which the failover scales from."""

    def look(ports: Ports) -> Finding:
        state = _sql(ports, params).database(params.server, params.database)
        target = params.sku.objective if params.sku is not None else None
        scale = target is not None and not state.at(target)
        figures = {SCALE_NEEDED: 1.0 if scale else 0.0}
        if not state.online:
            return not_ready(f"{state.status}, not Online", **figures)
        at = f"Online at {state.objective}"
        if state.changing:
            at += f", changing to {state.requested_objective}"
        if target is None:
            return ready(f"{at} (the plan keeps its size)", **figures)
        if not scale:
            return ready(f"{at}: already at {target.name}, nothing to scale", **figures)
        if standby is not None and not same_objective(state.objective, standby.name):
            return not_ready(
                f"{at}, not at its standby objective {standby.name} that the plan scales "
                f"from to {target.name}",
                **figures,
            )
        return ready(f"{at}: a failover scales it to {target.name}", **figures)

    return look


def failover_group(params: AzureSqlReadyParams) -> Look:
    group_name = params.failover_group or ""

    def look(ports: Ports) -> Finding:
        group = _sql(ports, params).failover_group(params.server, group_name)
        if params.database not in group.databases:
            held = ", ".join(group.databases) or "no database"
            return not_ready(f"does not hold {params.database} (it holds {held})")
        if not group.partners:
            return not_ready(f"{params.server} has no partner server in the group")
        partners = ", ".join(group.partners)
        state = (group.replication_state or "").upper().replace("CATCHUP", IN_STEP)
        where = f"{params.server} is {group.role}, partner {partners}"
        if not state:
            return unknown(f"{where}; Azure reports no replication state")
        if state != IN_STEP:
            why = _WHY_NOT_IN_STEP.get(state, "replication is not in step")
            return not_ready(f"{where}; replication {state}: {why}")
        return ready(f"{where}; replication {IN_STEP} (in step)")

    return look


def _sql(ports: Ports, params: AzureSqlReadyParams) -> SqlDatabase:
    return ports.get(AZURE).sql_databases(params.resource_group)
