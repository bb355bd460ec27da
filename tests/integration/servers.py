"""Real servers on loopback for the signal adapters' tests: start, reset, stop.

Every server binds 127.0.0.1 on a free port. Thread-based ones stop with ``stop()``;
Prometheus is a child process, stopped by the PID it was started with.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.http_fake import FakeServer, JsonHandler
from tests.support.ports import LOOPBACK, free_port
from tests.support.waiting import wait_until

TEXT = "text/plain"


class _LoopbackServer(FakeServer):
    """A fake the signal tests probe; ``stopping`` is set first on ``stop()``, so a handler
    that is made to hang lets go at once."""

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], *, tls: ssl.SSLContext | None = None
    ) -> None:
        self.stopping = threading.Event()
        super().__init__(handler, tls=tls)

    @property
    def base(self) -> str:
        return self.url

    def stop(self) -> None:
        self.stopping.set()
        super().stop()


# ----------------------------------------------------------------------------- health endpoints


class HealthServer(_LoopbackServer):
    """Health endpoints with a behaviour per path.

    ``/ok`` 200; ``/fail`` 503; ``/status/N`` N; ``/slow?s=SECONDS`` 200 after a delay;
    ``/auth`` 200 only with ``Authorization: Bearer <expected_token>``, else 401;
    ``/redirect`` 302. ``seen_headers`` keeps the headers of the last request per path.
    """

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.expected_token = "s3cret-token"
        self.seen_headers: dict[str, dict[str, str]] = {}
        super().__init__(_HealthHandler, tls=tls)


class _HealthHandler(JsonHandler):
    def do_GET(self) -> None:
        owner: HealthServer = self.owner
        url = urlsplit(self.path)
        with owner.lock:
            owner.seen_headers[url.path] = dict(self.headers.items())
        if url.path == "/ok":
            self.send(200, b"ok\n", content_type=TEXT)
        elif url.path == "/fail":
            self.send(503, b"unavailable\n", content_type=TEXT)
        elif url.path.startswith("/status/"):
            self.send(int(url.path.removeprefix("/status/")), b"as asked\n", content_type=TEXT)
        elif url.path == "/slow":
            seconds = float(parse_qs(url.query).get("s", ["1"])[0])
            if not owner.stopping.wait(seconds):
                self.send(200, b"ok, eventually\n", content_type=TEXT)
        elif url.path == "/auth":
            good = self.headers.get("Authorization") == f"Bearer {owner.expected_token}"
            self.send(
                200 if good else 401, b"ok\n" if good else b"who are you?\n", content_type=TEXT
            )
        elif url.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/login")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send(404, b"not found\n", content_type=TEXT)

    do_HEAD = do_GET


_CANNED = {
    "interim": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nServer: raw\r\n\r\n",
    "huge": b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"x" * 100_000 + b"\r\n\r\n",
    "badheader": b"HTTP/1.1 200 OK\r\nthis line has no colon\r\n\r\n",
    "badstatus": b"HTTP/1.1 OK 200\r\n\r\n",
}


class RawTcpServer:
    """A TCP server that answers below HTTP's level, or not with HTTP at all.

    ``garbage``: writes a line of non-HTTP and closes. ``reset``: closes with RST at once.
    ``close``: closes without a word. ``silent``: reads and never answers. ``interim``,
    ``huge``, ``badheader``, ``badstatus``: canned answers (see ``_CANNED``), then close.
    """

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.stopping = threading.Event()
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                if owner.behaviour == "garbage":
                    sock.recv(4096)
                    sock.sendall(b"SSH-2.0-OpenSSH_9.2 this is not http\r\n\r\n")
                elif owner.behaviour == "reset":
                    sock.recv(4096)
                    sock.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    sock.close()  # at once: the server's own shutdown would send a FIN first
                elif owner.behaviour in _CANNED:
                    sock.recv(4096)
                    sock.sendall(_CANNED[owner.behaviour])
                elif owner.behaviour == "silent":
                    sock.recv(4096)
                    owner.stopping.wait(60)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 128

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self._server = Server((LOOPBACK, 0), Handler)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# ----------------------------------------------------------------------------- prometheus


class Exporter(_LoopbackServer):
    """Serves ``/metrics`` in the text exposition format; tests set the values."""

    def __init__(self) -> None:
        self.samples: dict[str, float] = {}
        super().__init__(_ExporterHandler)

    def set(self, samples: dict[str, float]) -> None:
        """Replace the exposed samples; keys are series such as ``'lag{db="a"}'``."""
        with self.lock:
            self.samples = dict(samples)


class _ExporterHandler(JsonHandler):
    def do_GET(self) -> None:
        owner: Exporter = self.owner
        with owner.lock:
            samples = dict(owner.samples)
        names = sorted({series.split("{", 1)[0] for series in samples})
        lines = [f"# TYPE {name} gauge" for name in names]
        lines += [f"{series} {value!r}" for series, value in sorted(samples.items())]
        body = ("\n".join(lines) + "\n").encode()
        self.send(200, body, content_type="text/plain; version=0.0.4")


def prometheus_binary() -> str | None:
    return shutil.which("prometheus") or (
        "/usr/bin/prometheus" if os.access("/usr/bin/prometheus", os.X_OK) else None
    )


class PrometheusServer:
    """A real Prometheus scraping ``targets`` every second, in its own temporary directory."""

    def __init__(self, binary: str, targets: list[str]) -> None:
        self.binary = binary
        self.port = free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="phoenix-prometheus-"))
        config = self._dir / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: exporter\n    static_configs:\n"
            f"      - targets: {json.dumps(targets)}\n",
            encoding="utf-8",
        )
        self._config = config
        self._log = self._dir / "prometheus.log"
        self.pid: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, ready_within: float = 30.0) -> None:
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    self.binary,
                    f"--config.file={self._config}",
                    f"--storage.tsdb.path={self._dir / 'data'}",
                    f"--web.listen-address={LOOPBACK}:{self.port}",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.pid = self._process.pid
        try:
            wait_until(self._ready, ready_within, "Prometheus to be ready", every=0.1)
        except AssertionError:
            self.stop()
            raise AssertionError(f"Prometheus did not start:\n{self.log_tail()}") from None

    def _ready(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise AssertionError(f"Prometheus exited:\n{self.log_tail()}")
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def query(self, promql: str) -> list[Any]:
        from urllib.parse import quote

        with urllib.request.urlopen(
            f"{self.url}/api/v1/query?query={quote(promql)}", timeout=5
        ) as answer:
            result: list[Any] = json.load(answer)["data"]["result"]
            return result

    def log_tail(self) -> str:
        try:
            return self._log.read_text(encoding="utf-8", errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None and self.pid is not None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self._process.wait(timeout=5)
        shutil.rmtree(self._dir, ignore_errors=True)
