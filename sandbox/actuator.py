"""What each finished stage of the sandbox's plans does to the simulated world.

The sandbox's plans are made of the runner's test stage kinds (see ``sandbox.config``): they
pass through the real runner, approvals, leases and Slack thread, but touch no cloud. This
subscriber of the runner's progress events applies what a stage of that name stands for,
through the same sim ports a real stage would call (scale AKS, switch Traffic Manager, restart
a deployment ...), so the world, and hence the signals, follow what the bot did. Dry-run drills
change nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from engine.adapters.sim import (
    SimAzureSql,
    SimKubernetes,
    SimTrafficManager,
    SimWorld,
)
from engine.cloud_ports import SqlSku
from engine.errors import PhoenixError
from engine.runs import EventKind, ProgressEvent, RunMode
from engine.store import Store
from sandbox.services import ReferenceServices

log = logging.getLogger("sandbox.actuator")

PRODUCTION_SKU = SqlSku("P2", "Premium", 250)
STANDBY_SKU = SqlSku("S0", "Standard", 10)


class Actuator:
    def __init__(self, world: SimWorld, services: ReferenceServices, store: Store) -> None:
        self.world = world
        self.services = services
        self.store = store
        top = world.topology
        self._eks = SimKubernetes(world, top.eks)
        self._aks = SimKubernetes(world, top.aks)
        self._traffic = SimTrafficManager(world)
        self._sql = SimAzureSql(world)
        self.applied: list[str] = []
        self._effects: dict[tuple[str, str], Callable[[], None]] = {
            ("self-heal", "restart-unhealthy"): self._restart_unhealthy,
            ("dr-azure", "catch-up-database"): self._sql_failover,
            ("dr-azure", "scale-azure-sql"): lambda: self._scale_sql(PRODUCTION_SKU),
            ("dr-azure", "scale-aks"): lambda: self._aks_nodes(3),
            ("dr-azure", "deploy-services"): lambda: self._aks_services(2),
            ("dr-azure", "fence-primary"): lambda: self._endpoint("aws-primary", enabled=False),
            ("dr-azure", "switch-traffic"): lambda: self._endpoint("azure-dr", priority=1),
            ("failback", "switch-traffic-back"): self._traffic_back,
            ("failback", "scale-down-azure"): self._scale_down_azure,
        }

    def on_event(self, event: ProgressEvent) -> None:
        if event.kind is not EventKind.STAGE_SUCCEEDED or event.stage is None:
            return
        run = self.store.get_run(event.run_id)
        if run is None or run.mode is RunMode.DRY_RUN:
            return
        effect = self._effects.get((run.plan, event.stage))
        if effect is None:
            return
        try:
            effect()
        except PhoenixError as exc:
            log.warning("sandbox: %s/%s changed nothing: %s", run.plan, event.stage, exc)
            return
        self.applied.append(f"{run.plan}/{event.stage}")

    # ------------------------------------------------------------------ effects

    def _restart_unhealthy(self) -> None:
        namespace = self.world.topology.namespace
        now = datetime.now(UTC)
        for service in self.services.all():
            if not service.healthy():
                service.fault("restore")
                self._eks.restart(namespace, service.name, now)
        if self.world.faults.nodes_not_ready:
            self.world.set_nodes_not_ready(0)

    def _sql_failover(self) -> None:
        top = self.world.topology
        operation = self._sql.failover(top.sql_server, self.world.sql.failover_group)
        if operation is not None:
            operation.wait(0)

    def _scale_sql(self, sku: SqlSku) -> None:
        top = self.world.topology
        self._sql.scale(top.sql_server, top.sql_database, sku)

    def _aks_nodes(self, count: int) -> None:
        from engine.adapters.sim.world import SimNode

        with self.world.lock:
            nodes = self.world.aks.nodes
            while len(nodes) < count:
                nodes.append(SimNode(f"aks-dr-{len(nodes)}", labels={"role": "app"}))
            del nodes[count:]
        self.world.changed()

    def _aks_services(self, replicas: int) -> None:
        namespace = self.world.topology.namespace
        for name in self.world.topology.services:
            self._aks.scale(namespace, name, replicas)

    def _endpoint(self, name: str, *, priority: int | None = None, enabled: bool | None = None):
        self._traffic.set_endpoint(
            self.world.topology.traffic_profile, name, priority=priority, enabled=enabled
        )

    def _traffic_back(self) -> None:
        self._endpoint("aws-primary", priority=1, enabled=True)
        self._endpoint("azure-dr", priority=2)

    def _scale_down_azure(self) -> None:
        self._aks_services(0)
        self._scale_sql(STANDBY_SKU)
        with self.world.lock:
            self.world.sql.role = "Secondary"
        self.world.changed()
