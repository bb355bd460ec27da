"""Benchmark: one evaluation of 2,000 http signals x 3 probes against local servers.

Starts health servers in child processes (raw asyncio, one loopback port per service, so
every service is its own origin), 5 % of them answering only after three probe timeouts;
builds the configuration, runs one evaluation (collection + scoring) and prints one JSON
line. ``ratio`` is the evaluation's wall time over the probe timeout; the target is 1.2.
``wrong_readings`` counts signals whose status is not the expected one (slow services
down, the others ok); ``false_alarms`` those of them that call a healthy service degraded
or down (the worst kind: a fast evaluation that times healthy probes out is no win), and
``unknown_readings`` the signals this process could not judge (e.g. it was starved of CPU
while timing them).

    python bench/scoring.py [--services 2000] [--timeout 5] [--slow-share 0.05] [--untuned]

The evaluation runs in a process prepared as `phoenix run` prepares its own
(``bot.process.prepare_process``: open-files limit raised, start-up objects frozen out of the
cyclic garbage collector, higher thresholds). ``--untuned`` skips that, to compare: with the
default thresholds, full collections over the thousands of probes in flight add about a
quarter to the evaluation's CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import time
from typing import Any

SERVER_PROCESSES = 2


# ----------------------------------------------------------------------------- servers


class _Health(asyncio.Protocol):
    """Answers each request with 200; a path starting /slow only after ``slow`` seconds."""

    def __init__(self, slow: float) -> None:
        self.slow = slow
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if b"\r\n\r\n" not in self.buffer:
            return
        if self.buffer.startswith(b"GET /slow") or self.buffer.startswith(b"HEAD /slow"):
            asyncio.get_running_loop().call_later(self.slow, self._answer)
        else:
            self._answer()

    def _answer(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
                b"Connection: close\r\n\r\nok\n"
            )
            self.transport.close()


def serve(ports: int, slow: float) -> None:
    """Child process: listen on ``ports`` loopback ports, print them as JSON, serve forever."""
    _raise_open_files(ports + 20_000)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        servers = [
            await loop.create_server(lambda: _Health(slow), "127.0.0.1", 0, backlog=1024)
            for _ in range(ports)
        ]
        print(json.dumps([s.sockets[0].getsockname()[1] for s in servers]), flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def start_servers(services: int, slow: float) -> tuple[list[subprocess.Popen[str]], list[int]]:
    processes: list[subprocess.Popen[str]] = []
    ports: list[int] = []
    share = -(-services // SERVER_PROCESSES)
    for index in range(SERVER_PROCESSES):
        count = min(share, services - index * share)
        process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(count), "--slow-seconds", str(slow)],
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        assert process.stdout is not None
        ports += json.loads(process.stdout.readline())
    return processes, ports


def stop_servers(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        os.kill(process.pid, signal.SIGTERM)
    for process in processes:
        process.wait(timeout=10)


def _raise_open_files(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


# ----------------------------------------------------------------------------- evaluation


def config_for(ports: list[int], targets: int, slow_every: int, timeout: float) -> Any:
    from engine.config import PhoenixConfig

    signals = []
    for index, port in enumerate(ports):
        kind = "slow" if slow_every and index % slow_every == 0 else "ok"
        base = f"http://127.0.0.1:{port}/{kind}"
        signals.append(
            {
                "name": f"svc-{index:04d}",
                "kind": "http",
                "targets": [f"{base}/{path}" for path in ("health", "ready", "live")[:targets]],
                "timeout": timeout,
            }
        )
    return PhoenixConfig.model_validate({"signals": signals})


def run(
    services: int, targets: int, slow_share: float, timeout: float, gc_tuned: bool
) -> dict[str, Any]:
    from bot.process import prepare_process
    from bot.wiring.signals import build_collector
    from engine.model import Status

    try:
        from engine.health.scoring import score
    except ImportError:  # scoring not there yet: time the collection alone
        score = None

    _raise_open_files(services * targets + 4096)
    slow_every = round(1 / slow_share) if slow_share else 0
    processes, ports = start_servers(services, slow=3 * timeout)
    try:
        config = config_for(ports, targets, slow_every, timeout)
        collector = build_collector(config)
        if gc_tuned:
            prepare_process()
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        readings = collector.collect()
        if score is not None:
            score(readings, config, collector.clock.now())
        wall = time.perf_counter() - wall_start
        cpu = time.process_time() - cpu_start
    finally:
        stop_servers(processes)
    expected = {
        f"svc-{i:04d}": Status.DOWN if slow_every and i % slow_every == 0 else Status.OK
        for i in range(services)
    }
    wrong = [r for r in readings if r.status != expected[r.signal]]
    false_alarms = [
        r for r in wrong if expected[r.signal] == Status.OK and r.status != Status.UNKNOWN
    ]
    for reading in wrong[:3]:
        print(f"wrong: {reading.signal} {reading.status}: {reading.detail}", file=sys.stderr)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "bench": "scoring",
        "services": services,
        "probes": services * targets,
        "slow_share": slow_share,
        "probe_timeout_s": timeout,
        "evaluation_wall_s": round(wall, 3),
        "ratio": round(wall / timeout, 3),
        "target_ratio": 1.2,
        "cpu_s": round(cpu, 3),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "wrong_readings": len(wrong),
        "false_alarms": len(false_alarms),
        "unknown_readings": sum(1 for r in readings if r.status == Status.UNKNOWN),
        "scored": score is not None,
        "gc_tuned": gc_tuned,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--targets", type=int, default=3, choices=(1, 2, 3))
    parser.add_argument("--slow-share", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=5.0, help="probe timeout, seconds")
    parser.add_argument(
        "--untuned",
        action="store_true",
        help="skip the start-up tuning `phoenix run` applies (bot/process.py), to compare",
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--slow-seconds", type=float, default=3.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.slow_seconds)
        return
    figures = run(args.services, args.targets, args.slow_share, args.timeout, not args.untuned)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
