"""Run the emulator on its own: ``python -m sandbox.slack [--http-port N] ...``.

Prints one JSON line (URLs and the sandbox's fake credentials) once it is listening, then
serves until SIGINT or SIGTERM. A bot in another process points its WebClient at
``api_url``; tests and pages drive it through ``control_url``.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from types import FrameType

from sandbox.slack.emulator import Emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.slack", description=__doc__)
    parser.add_argument("--http-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--socket-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--request-url", help="deliver in HTTP mode to this /slack/events URL")
    parser.add_argument("--ack-deadline", type=float, default=3.0)
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emulator = Emulator(
        http_port=args.http_port, socket_port=args.socket_port, ack_deadline=args.ack_deadline
    )
    with emulator:
        if args.request_url:
            emulator.use_http_mode(args.request_url)
        ready = {
            "api_url": emulator.api_url,
            "control_url": emulator.control_url,
            "socket_port": emulator.socket_port,
            "mode": emulator.mode,
            "bot_token": emulator.bot_token,
            "app_token": emulator.app_token,
            "signing_secret": emulator.signing_secret,
        }
        print(json.dumps(ready), flush=True)
        while not stop.wait(0.2):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
