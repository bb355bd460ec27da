"""Benchmark: how fast the bot acks Slack under a burst, and its memory, in Socket Mode and
in HTTP mode.

The bot runs as its own process, exactly as deployed (``phoenix run``, a SQLite store, the
real runner and reporter), against the Slack emulator in this process: first in Socket Mode,
then (a fresh process and store) in HTTP mode, where the emulator posts signed requests to
the bot's /slack/events as Slack does. For each, the bench has the bot post ``--proposals``
manual proposals (``/phoenix failover quick``), then fires ``--requests`` deliveries at once
from as many threads: button clicks (approvals that start runs, refused approvals, snoozes)
and slash commands (status, history, help, malformed text). It reports, per mode, the ack
latency the emulator measured (p50, p99, max; target p99 < 100 ms, Slack's limit is 3,000
ms), how many were late or failed, and the bot process's peak RSS (VmHWM), as one JSON line.

    python bench/slack_ack.py [--requests 200] [--proposals 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from handlers.ids import ActionId  # noqa: E402 - after the path insert
from sandbox.slack import Delivery, Emulator  # noqa: E402
from tests.e2e.bot_process import bot_process  # noqa: E402

TARGET_P99_MS = 100.0
MODES = ("socket", "http")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--proposals", type=int, default=10)
    args = parser.parse_args()
    result: dict[str, Any] = {
        "bench": "slack_ack",
        "requests": args.requests,
        "target_p99_ms": TARGET_P99_MS,
    }
    for mode in MODES:
        result[f"{mode}_mode"] = measure(mode, args.requests, args.proposals)
    result["met"] = all(result[f"{mode}_mode"]["met"] for mode in MODES)
    print(json.dumps(result))
    return 0


def measure(mode: str, requests: int, proposals: int) -> dict[str, Any]:
    """One bot process in ``mode``, on a store and a workspace of its own."""
    with Emulator() as slack, tempfile.TemporaryDirectory() as tmp:
        slack.add_user("dave", id="UDAVE", approver=True)
        with bot_process(slack, Path(tmp), mode=mode) as bot:
            if mode == "http":
                slack.use_http_mode(f"http://127.0.0.1:{bot.port}/slack/events")
            figures = burst(slack, requests, proposals, bot.process.pid)
            code, err = bot.terminate()
        if code != 0:
            print(err[-2000:], file=sys.stderr)
    return figures


def burst(slack: Emulator, requests: int, proposals: int, pid: int) -> dict[str, Any]:
    for _ in range(proposals):
        assert slack.run_slash_command("/phoenix", "failover quick", user="UCAROL").on_time
    messages = slack.wait_for_messages("#incidents", proposals, timeout=60)
    jobs = _jobs(requests, [m.ts for m in messages])
    started = time.monotonic()
    with ThreadPoolExecutor(len(jobs)) as pool:
        deliveries = list(pool.map(lambda job: job(slack), jobs))
    seconds = time.monotonic() - started
    latencies = [d.ack_latency * 1000 for d in deliveries if d.ack_latency is not None]
    late = sum(1 for d in deliveries if not d.on_time)
    p99 = percentile(latencies, 0.99)
    return {
        "requests": len(deliveries),
        "clicks": sum(1 for d in deliveries if d.type == "interactive"),
        "slash_commands": sum(1 for d in deliveries if d.type == "slash_commands"),
        "acked": len(latencies),
        "late_or_failed": late,
        "ack_p50_ms": round(statistics.median(latencies), 1),
        "ack_p99_ms": round(p99, 1),
        "ack_max_ms": round(max(latencies), 1),
        "met": p99 < TARGET_P99_MS and late == 0,
        "burst_seconds": round(seconds, 2),
        "bot_peak_rss_mib": peak_rss_mib(pid),
    }


def _jobs(count: int, stamps: list[str]) -> list[Any]:
    """Half slash commands, half clicks. The first half of the proposals get one approval
    each (runs start); the other half get clicks that are refused and leave them as they are
    (an approval by a non-approver, a snooze by a non-approver, a decline by a non-approver),
    so every button clicked is still there."""
    commands = ["status", "history 10", "help", "stauts", "status service-a", "silence"]
    approvable, kept = stamps[: len(stamps) // 2], stamps[len(stamps) // 2 :]
    refused = [ActionId.APPROVE, ActionId.SNOOZE, ActionId.DECLINE]
    jobs: list[Any] = []
    clicks = 0
    for i in range(count):
        if i % 2:
            text = commands[i % len(commands)]

            def command(slack: Emulator, text: str = text) -> Delivery:
                return slack.run_slash_command("/phoenix", text, user="UCAROL")

            jobs.append(command)
            continue
        if clicks < len(approvable):
            action, user, ts = ActionId.APPROVE, "UALICE", approvable[clicks]
        else:
            action, user, ts = refused[clicks % 3], "UCAROL", kept[clicks % len(kept)]
        clicks += 1

        def click(
            slack: Emulator, action: str = action, user: str = user, ts: str = ts
        ) -> Delivery:
            return slack.click(action, user=user, message_ts=ts)

        jobs.append(click)
    return jobs


if __name__ == "__main__":
    raise SystemExit(main())
