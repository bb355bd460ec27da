"""Three real ``phoenix run`` processes on one real Redis and the Slack emulator.

The signals are http probes of a local health server whose answers the test sets, so a level
is reached when the test says; the failover plan records its side effects in a ledger file
and follows a Jenkins job (a local fake) that the test finishes when it wants, so a run can be
caught mid-stage. Replicas are started and killed by PID; their JSON logs are read back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sandbox.slack import Emulator
from tests.support.http_fake import FakeServer, JsonHandler
from tests.support.ports import LOOPBACK, free_port
from tests.support.waiting import wait_until

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]

ENVIRONMENT = "replicas-prod"
INTERVAL = 1.0
"""Seconds between evaluations (``evaluation.interval``)."""
LEADER_TTL = 0.3
"""The leader lease: under 0.37 x the interval, so a new leader evaluates the current slot."""
RUN_LEASE_TTL = 1.5
SWEEP_INTERVAL = 0.25
JENKINS_USER = "phoenix"
JENKINS_TOKEN = "jenkins-test-token"
JENKINS_TOKEN_VAR = "PHOENIX_TEST_JENKINS_TOKEN"
SMOKE_JOB = "failover-smoke"

CONFIG = """
environment: {environment}
signals:
  - {{name: service-a, kind: http, targets: ["{health}/a"], points: {{down: 4}}, timeout: 0.5}}
  - {{name: service-b, kind: http, targets: ["{health}/b"], points: {{down: 4}}, timeout: 0.5}}
  - name: external-uptime
    kind: http
    vantage: external
    targets: ["{health}/e"]
    timeout: 0.5
  - name: cross-cloud
    kind: http
    vantage: cross-cloud
    targets: ["{health}/c"]
    timeout: 0.5
evaluation: {{interval: {interval}, confirm: 2, clear: 2}}
levels:
  self_heal: {{min_score: 4, policy: auto, plan: heal}}
  region_failover: {{min_score: 8, policy: approve, plan: failover}}
  dr_failover: {{min_score: 11, policy: two-person, plan: dr}}
slack:
  channel: "#incidents"
  approvers: {{users: [UALICE, UBOB]}}
  approval_ttl: 30m
objectives: {{rto: 15m, rpo: 5m}}
clouds:
  jenkins: {{url: "{jenkins}", user: {jenkins_user}, api_token: "env:{token_var}"}}
plans:
  heal:
    stages:
      - {{name: restart, kind: noop}}
  failover:
    stages:
      - {{name: fence, kind: record, params: {{ledger: "{ledger}"}}}}
      - name: smoke
        kind: jenkins_job
        params: {{job: {job}, poll_interval: 0.1, wait: 120}}
      - {{name: switch, kind: record, params: {{ledger: "{ledger}"}}}}
  dr:
    stages:
      - {{name: promote, kind: noop}}
"""


def slot_of(timestamp: float) -> int:
    """The evaluation slot of a moment, as the scheduler numbers them."""
    return round(timestamp / INTERVAL)


def wait_mid_slot() -> None:
    """Until the middle of an interval: evaluations run just after a slot's start, so from
    here to the next slot nothing is being evaluated."""
    while not 0.35 <= (time.time() / INTERVAL) % 1 <= 0.65:
        time.sleep(0.01)


class Health(FakeServer):
    """The endpoints the signals probe: ``/a``, ``/b`` (internal), ``/e`` (external),
    ``/c`` (cross-cloud); each answers the status code the test set."""

    def __init__(self) -> None:
        self.codes = {"a": 200, "b": 200, "e": 200, "c": 200}
        self.held: str | None = None
        """An endpoint whose probes wait (until ``release``) before they are answered."""
        self.arrived = threading.Event()
        self.released = threading.Event()
        super().__init__(_HealthHandler)

    def set(self, **codes: int) -> None:
        with self.lock:
            self.codes.update(codes)

    def hold(self, endpoint: str) -> None:
        """Keep the next probes of ``endpoint`` waiting: an evaluation caught mid-collect."""
        self.arrived.clear()
        self.released.clear()
        with self.lock:
            self.held = endpoint

    def release(self) -> None:
        with self.lock:
            self.held = None
        self.released.set()


class _HealthHandler(JsonHandler):
    def do_GET(self) -> None:
        fake: Health = self.owner
        endpoint = self.path.strip("/")
        with fake.lock:
            code = fake.codes.get(endpoint, 404)
            held = fake.held == endpoint
        if held:
            fake.arrived.set()
            fake.released.wait(5)
        self.send(code, b"ok\n" if code < 400 else b"down\n", content_type="text/plain")


@dataclass
class Replica:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    killed: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def alive(self) -> bool:
        return not self.killed and self.process.poll() is None

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=2) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.read().decode()
        except OSError:
            return 0, ""

    def metrics(self) -> dict[str, float]:
        status, text = self.get("/metrics")
        assert status == 200, f"{self.name}: /metrics answered {status}"
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#") and " " in line:
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values

    def events(self) -> list[dict[str, Any]]:
        """The replica's JSON log lines."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a line cut short by a kill
        return found

    def evaluated_slots(self) -> list[int]:
        return [int(e["slot"]) for e in self.events() if e.get("event", "").startswith("evaluated")]


@dataclass
class Cluster:
    workdir: Path
    environ: dict[str, str]
    replicas: list[Replica] = field(default_factory=list)

    def start(self, count: int) -> list[Replica]:
        started = []
        for _ in range(count):
            name = f"replica-{len(self.replicas) + 1}"
            port = free_port()
            log = self.workdir / f"{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "bot.cli.main", "run"],
                    cwd=ROOT,
                    env={**self.environ, "PHOENIX_HTTP_PORT": str(port)},
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            replica = Replica(name, port, process, log)
            self.replicas.append(replica)
            started.append(replica)
        for replica in started:
            wait_until(partial(self._ready, replica), 60, f"{replica.name} ready ({self})", 0.1)
        return started

    def _ready(self, replica: Replica) -> bool:
        if replica.process.poll() is not None:
            raise AssertionError(f"{replica.name} exited with {replica.process.returncode}{self}")
        return replica.get("/ready")[0] == 200

    @property
    def alive(self) -> list[Replica]:
        return [r for r in self.replicas if r.alive]

    def by_owner(self, owner: str) -> Replica:
        """The replica a lease owner (``host:pid:nonce``) names."""
        pid = int(owner.split(":")[-2])
        return next(r for r in self.replicas if r.pid == pid)

    def kill(self, replica: Replica) -> None:
        """kill -9, and reap it."""
        os.kill(replica.pid, signal.SIGKILL)
        replica.process.wait(10)
        replica.killed = True

    def ensure(self, count: int, slack: Emulator) -> None:
        """Start replicas until ``count`` run (each connected to Slack)."""
        missing = count - len(self.alive)
        if missing > 0:
            self.start(missing)
        slack.wait_for_socket_connection(count, timeout=30)

    def leaders(self) -> list[Replica]:
        """The replicas whose /metrics say they lead."""
        return [r for r in self.alive if r.metrics().get("phoenix_leader") == 1]

    def evaluations(self, replicas: Iterable[Replica] | None = None) -> int:
        return sum(
            int(r.metrics().get("phoenix_evaluations_total", 0))
            for r in (self.alive if replicas is None else replicas)
        )

    def stop(self) -> None:
        """SIGTERM every replica still running, then SIGKILL any that has not gone in 15 s."""
        running = [r for r in self.replicas if r.process.poll() is None]
        for replica in running:
            os.kill(replica.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for replica in running:
            try:
                replica.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.kill(replica.pid, signal.SIGKILL)
                replica.process.wait()

    def __str__(self) -> str:
        tails = []
        for replica in self.replicas:
            lines = replica.log.read_text(errors="replace").splitlines()[-12:]
            tails.append(f"--- {replica.name} (pid {replica.pid})\n" + "\n".join(lines))
        return "\nreplica logs:\n" + "\n".join(tails)


def replica_environment(
    *, slack_api_url: str, bot_token: str, app_token: str, store_url: str, config: Path
) -> dict[str, str]:
    """The process environment of a replica: the machine's, without any Slack or Phoenix
    setting of its own, plus the cluster's."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("PHOENIX_", "SLACK_"))}
    return {
        **inherited,
        "SLACK_BOT_TOKEN": bot_token,
        "SLACK_APP_TOKEN": app_token,
        "PHOENIX_SLACK_API_URL": slack_api_url,
        "PHOENIX_STORE_URL": store_url,
        "PHOENIX_CONFIG": str(config),
        "PHOENIX_LEADER_TTL": str(LEADER_TTL),
        "PHOENIX_RUN_LEASE_TTL": str(RUN_LEASE_TTL),
        "PHOENIX_SWEEP_INTERVAL": str(SWEEP_INTERVAL),
        "PHOENIX_LOG_FORMAT": "json",
        JENKINS_TOKEN_VAR: JENKINS_TOKEN,
    }
