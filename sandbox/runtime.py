"""The whole story on one machine: the Slack emulator, the reference services, the simulated
clouds, and the real bot (``build_phoenix`` + Socket Mode + the scheduler, as ``phoenix run``
starts them) wired to all of it, with a fault panel. The bot's recovery stages are the real
ones, acting on the simulated clouds through ``sandbox.cloud``.

The reference services stand for the pods of their EKS deployments: a service taken down
from the panel is a deployment whose pods crash in the world, and a rollout restart of it
(by the bot, through the cluster port) brings the service back.

    with Sandbox(SandboxOptions(workdir=path)) as sandbox:
        sandbox.inject("regional-outage")
        ...
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import TracebackType

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.reporter.budget import ReporterSettings
from bot.scheduler import SchedulerSettings
from bot.settings import load_settings
from bot.wiring.phoenix import Phoenix, build_phoenix
from engine.adapters.clock import SystemClock
from engine.adapters.sim import SimWorld
from engine.runner.execution import RunnerSettings
from sandbox.cloud import SimCloudPorts
from sandbox.config import SECRETS, sandbox_collector, sandbox_config
from sandbox.network import ObserverNetwork
from sandbox.services import ReferenceServices
from sandbox.slack import Emulator, RateBudget

log = logging.getLogger(__name__)

FAULTS: dict[str, str] = {
    "service-a-down": "crash Service A's pods (its endpoints answer 503 until a restart)",
    "service-b-down": "crash Service B's pods",
    "service-b-slow": "slow Service B (1.5 s per answer)",
    "replication-lag": "raise the RDS replica lag to 420 s (past the 5-minute RPO)",
    "replication-lag-mild": "raise the RDS replica lag to 90 s",
    "eks-nodes-not-ready": "make every EKS node NotReady",
    "partition": "cut the observer (the bot) off from AWS; the internet still reaches it",
    "regional-outage": "AWS us-east-1's compute goes dark: services, nodes, EKS and RDS APIs",
    "dr-endpoint-disabled": "someone disables the DR endpoint in Traffic Manager",
    "dr-image-missing": "the primary runs a new release whose images never reached the DR side",
    "geo-link-broken": "the Azure SQL failover group stops replicating (SUSPENDED)",
    "blob-behind": "the DR container throttles writes while 40 objects, 10 minutes old, wait in S3",
    "restore": "restore everything (what was failed over stays failed over)",
}


@dataclass(frozen=True)
class SandboxOptions:
    workdir: Path | None = None
    """Where the store and the services' files live (a temporary directory if not given)."""
    interval: float = 3.0
    """Seconds between evaluations."""
    cooldown: float = 60.0
    step: float = 0.5
    """How often the stages poll the simulated clouds, in seconds; a change converges in
    about twice that (at most a second)."""
    fast_slack: bool = False
    """Lift the emulator's post budget and speed the reporter up (headless scenarios)."""


class Sandbox:
    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        self._own_dir = self.options.workdir is None
        self.workdir = self.options.workdir or Path(tempfile.mkdtemp(prefix="phoenix-sandbox-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.clock = SystemClock()
        self.world = SimWorld(self.clock, convergence=min(1.0, self.options.step * 2))
        self.config = sandbox_config(
            self.world,
            interval=self.options.interval,
            cooldown=self.options.cooldown,
            step=self.options.step,
        )
        self.slack = Emulator()
        self.services: ReferenceServices | None = None
        self.phoenix: Phoenix | None = None
        self.clouds: SimCloudPorts | None = None
        self._pods_down: dict[str, bool] = {}
        self._pods_lock = threading.Lock()
        self._handler: SocketModeHandler | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Sandbox:
        slack = self.slack
        slack.start()
        if self.options.fast_slack:
            slack.set_rate_budget("chat.postMessage", RateBudget(20.0, 20, scope="channel"))
        self.services = ReferenceServices(self.world, self.workdir)
        network = ObserverNetwork(self.world, self.services)
        self._pods_down = {s.name: False for s in self.services.all()}
        self.world.subscribe(self._follow_pods)
        self.clouds = SimCloudPorts(self.config, self.world, network, SECRETS)
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": slack.bot_token,
                "SLACK_APP_TOKEN": slack.app_token,
                "PHOENIX_SLACK_API_URL": slack.api_url,
                "PHOENIX_STORE_URL": f"sqlite:///{self.workdir / 'phoenix.db'}",
                "PHOENIX_LOG_FORMAT": "text",
            }
        )
        interval = self.options.interval
        phoenix = build_phoenix(
            settings,
            self.config,
            clock=self.clock,
            collect=sandbox_collector(self.config, self.world, network, self.clock),
            runner_settings=RunnerSettings(
                lease_ttl=timedelta(seconds=10), poll_interval=0.05, cancel_grace=2.0
            ),
            reporter_settings=(
                ReporterSettings(posts_per_second=10.0, post_burst=10, min_edit_interval=0.3)
                if self.options.fast_slack
                else None
            ),
            scheduler_settings=SchedulerSettings(
                drill_check=max(interval, 5.0), sweep_interval=max(interval, 2.0)
            ),
            cloud_ports=self.clouds,
        )
        self.phoenix = phoenix
        self._handler = SocketModeHandler(phoenix.app, slack.app_token)
        self._handler.connect()
        slack.wait_for_socket_connection()
        phoenix.scheduler.start()
        return self

    def stop(self) -> None:
        if self.phoenix is not None:
            self.phoenix.scheduler.stop()
        if self._handler is not None:
            self._handler.close()
            self._handler = None
        if self.phoenix is not None:
            self.phoenix.close()
            self.phoenix = None
        if self.services is not None:
            self.services.stop()
            self.services = None
        self.slack.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ faults

    def inject(self, fault: str) -> str:
        """Apply one fault of ``FAULTS``; returns what it did."""
        if fault not in FAULTS:
            raise KeyError(fault)
        services = self.services
        assert services is not None, "the sandbox is not started"
        world = self.world
        if fault == "service-a-down":
            world.set_pods_failing(services.a.name, True)
        elif fault == "service-b-down":
            world.set_pods_failing(services.b.name, True)
        elif fault == "service-b-slow":
            services.b.fault("slow")
        elif fault == "replication-lag":
            world.set_replica_lag(420)
        elif fault == "replication-lag-mild":
            world.set_replica_lag(90)
        elif fault == "eks-nodes-not-ready":
            world.set_nodes_not_ready(len(world.eks.nodes))
        elif fault == "partition":
            world.set_partition(True)
        elif fault == "regional-outage":
            world.set_aws_outage(True)
        elif fault == "dr-endpoint-disabled":
            world.set_dr_endpoint_disabled(True)
        elif fault == "dr-image-missing":
            world.set_release_not_on_dr(True)
        elif fault == "geo-link-broken":
            world.set_geo_link_broken(True)
        elif fault == "blob-behind":
            world.set_blob_throttled(True)
            world.write_to_s3(40, timedelta(minutes=10))
        else:
            for service in services.all():
                service.fault("restore")
            world.restore()
        log.info("sandbox fault: %s", fault)
        world.changed()
        return FAULTS[fault]

    def _follow_pods(self) -> None:
        """The reference services follow their deployments' pods in the world (called after
        every change of the world): crashing pods take the service down, new pods (a rollout
        restart) bring it back."""
        services = self.services
        if services is None:
            return
        with self._pods_lock:
            for service in services.all():
                failing = self.world.pods_failing(service.name)
                if failing != self._pods_down.get(service.name, False):
                    self._pods_down[service.name] = failing
                    service.fault("down" if failing else "restore")

    def snapshot(self) -> dict[str, object]:
        """The world and the services' fault switches, for the page."""
        view = self.world.snapshot()
        if self.services is not None:
            view["services"] = {s.name: s.healthy(timeout=0.5) for s in self.services.all()}
        return view
