"""`phoenix sandbox`: the whole story on one machine, in a browser (or headless).

Registered through the ``cloudphoenix.commands`` entry-point group (pyproject.toml), which
``bot.cli.extensions`` reads: ``bot`` never imports ``sandbox``, and the layers stay one-way. It
imports the sandbox itself only when the command runs: every other ``phoenix`` command starts
without it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.cli.invocation import Invocation


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="the whole story on one machine: emulated Slack in a browser, simulated clouds",
        description=(
            "Runs the Slack emulator, the reference services, a simulated AWS and Azure and the "
            "real bot, and serves a page that looks like the #incidents channel."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="where the page listens")
    parser.add_argument("--port", type=int, default=8787, help="the page's port (8787)")
    parser.add_argument(
        "--interval", type=float, default=None, help="seconds between evaluations (3; 1 headless)"
    )
    parser.add_argument(
        "--scenario", metavar="NAME", help="play a scripted story (see --list-scenarios)"
    )
    parser.add_argument(
        "--headless", action="store_true", help="no page: play --scenario and print the channel"
    )
    parser.add_argument("--list-scenarios", action="store_true", help="list the scenarios")
    parser.add_argument("--workdir", type=Path, help="keep the store and files here")
    parser.set_defaults(func=run_sandbox)


def run_sandbox(invocation: Invocation) -> int:
    args = invocation.args
    from sandbox.runtime import Sandbox, SandboxOptions
    from sandbox.scenarios import SCENARIOS, play

    if args.list_scenarios:
        for name, scenario in SCENARIOS.items():
            print(f"{name:20} {scenario.summary}")
        return 0
    if args.scenario and args.scenario not in SCENARIOS:
        known = ", ".join(SCENARIOS)
        print(f"phoenix sandbox: no scenario {args.scenario!r} (known: {known})", file=sys.stderr)
        return 2
    if args.headless and not args.scenario:
        print("phoenix sandbox: --headless needs --scenario NAME", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.WARNING if args.headless else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    if args.headless:
        options = SandboxOptions(
            workdir=args.workdir,
            interval=args.interval or 1.0,
            cooldown=10.0,
            step=0.2,
            fast_slack=True,
        )
        with Sandbox(options) as sandbox:
            outcome = play(SCENARIOS[args.scenario], sandbox)
        print(outcome.report())
        return 0 if outcome.passed else 1
    return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    from sandbox.runtime import FAULTS, Sandbox, SandboxOptions
    from sandbox.scenarios import SCENARIOS, play
    from sandbox.web.server import SandboxPage

    for noisy in ("apscheduler", "websockets", "slack_bolt", "slack_sdk", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    options = SandboxOptions(workdir=args.workdir, interval=args.interval or 3.0)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with Sandbox(options) as sandbox:
        try:
            page = SandboxPage(sandbox, args.host, args.port)
        except OSError as exc:
            print(
                f"phoenix sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
            )
            return 2
        with page:
            print(f"CloudPhoenix sandbox: open {page.url}  (Ctrl-C stops it)", flush=True)
            print(f"faults: {', '.join(FAULTS)}", flush=True)
            if args.scenario:
                scenario = SCENARIOS[args.scenario]
                threading.Thread(
                    target=lambda: print(play(scenario, sandbox).report(), flush=True),
                    name="sandbox-scenario",
                    daemon=True,
                ).start()
            stop.wait()
    return 0
