"""Two small health endpoints standing in for Service A and Service B in `make demo`.

Each answers /health, /ready and /live. ``POST /fault/down``, ``/fault/slow`` and
``/fault/restore`` change how it answers, so the demo can show a score move.
"""

from __future__ import annotations

import argparse
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Service:
    def __init__(self) -> None:
        self.mode = "ok"


def handler_for(service: Service) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            if self.path not in ("/health", "/ready", "/live"):
                self._answer(404, b"not found\n")
            elif service.mode == "down":
                self._answer(503, b"unavailable\n")
            else:
                if service.mode == "slow":
                    time.sleep(1.5)
                self._answer(200, b"ok\n")

        def do_POST(self) -> None:
            mode = self.path.removeprefix("/fault/")
            if mode not in ("down", "slow", "restore"):
                self._answer(404, b"unknown fault\n")
                return
            service.mode = "ok" if mode == "restore" else mode
            self._answer(200, f"{service.mode}\n".encode())

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("ports", nargs="+", type=int)
    args = parser.parse_args()
    servers = [
        ThreadingHTTPServer(("127.0.0.1", port), handler_for(Service())) for port in args.ports
    ]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("health endpoints on " + ", ".join(f"127.0.0.1:{p}" for p in args.ports), flush=True)
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
