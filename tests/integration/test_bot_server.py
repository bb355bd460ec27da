"""The bot's HTTP server on loopback: requests answered concurrently, connections kept alive,
header and time limits, and a graceful stop that finishes the requests in flight."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from bot.server import BotServer, HttpLimits
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

StartResponse = Callable[..., Any]


class Stage:
    """A WSGI app whose /slow requests wait until released; the rest answer their port."""

    def __init__(self, parties: int = 1) -> None:
        self.barrier = threading.Barrier(parties, timeout=10)
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if path == "/together":
            self.barrier.wait()
        if path == "/slow":
            self.started.set()
            assert self.release.wait(10)
        body = f"{path} from port {environ['REMOTE_PORT']}".encode()
        headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
        start_response("200 OK", headers)
        return [body]


def serve(app: Stage, **limits: Any) -> BotServer:
    return BotServer("127.0.0.1", 0, routes=app, limits=HttpLimits(**limits)).start()


@pytest.fixture
def stage() -> Stage:
    return Stage(parties=8)


@pytest.fixture
def server(stage: Stage) -> Iterator[BotServer]:
    server = serve(stage, timeout=0.5, shutdown_grace=5)
    yield server
    stage.release.set()
    server.stop()


def get(server: BotServer, path: str, timeout: float = 10) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, answer.read().decode()
    finally:
        conn.close()


def test_it_binds_where_it_is_told_and_nowhere_else(server: BotServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    with pytest.raises(OSError, match="in use"):
        BotServer("127.0.0.1", server.port, routes=Stage())


def test_requests_are_answered_at_once_not_one_after_another(
    server: BotServer, stage: Stage
) -> None:
    # Eight requests that each wait for all eight inside the app: served one at a time, the
    # first would wait forever (the barrier breaks after 10 s and the request fails).
    answers: list[tuple[int, str]] = []
    threads = [
        threading.Thread(target=lambda: answers.append(get(server, "/together"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert [status for status, _ in answers] == [200] * 8


def test_a_connection_is_kept_alive_between_requests(server: BotServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        bodies = []
        for path in ("/first", "/second", "/third"):
            conn.request("GET", path)
            answer = conn.getresponse()
            assert answer.status == 200
            assert answer.getheader("Connection") != "close"
            bodies.append(answer.read().decode())
    finally:
        conn.close()
    ports = {body.rsplit(" ", 1)[1] for body in bodies}
    assert len(ports) == 1, f"each request came on a new connection: {bodies}"


def test_oversized_headers_are_refused_and_normal_ones_served(server: BotServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        filler = b"X-Filler: " + b"a" * (20 << 10)
        sock.sendall(b"GET /live HTTP/1.1\r\nHost: x\r\n" + filler + b"\r\n\r\n")
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert get(server, "/live")[0] == 200


def test_a_silent_connection_is_closed_after_the_timeout(server: BotServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /live HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        started = time.monotonic()
        answer = _read_all(sock)
        waited = time.monotonic() - started
    assert b" 200 " not in answer
    assert 0.3 < waited < 4, f"the connection stayed open {waited:.1f}s"


def test_an_idle_kept_alive_connection_is_closed_after_the_timeout(server: BotServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /live HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(65536)
        while not first.endswith(b"/live from port " + str(sock.getsockname()[1]).encode()):
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        rest = _read_all(sock)
        waited = time.monotonic() - started
    assert rest == b""
    assert waited < 4, f"the idle connection stayed open {waited:.1f}s"


def test_stop_refuses_new_connections_and_finishes_the_request_in_flight() -> None:
    stage = Stage()
    server = serve(stage, shutdown_grace=10)
    in_flight: list[tuple[int, str]] = []
    client = threading.Thread(target=lambda: in_flight.append(get(server, "/slow")))
    client.start()
    assert stage.started.wait(5)
    stopping = threading.Thread(target=server.stop)
    stopping.start()

    def refused() -> bool:
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        return False

    wait_until(refused, what="the server to stop accepting")
    assert stopping.is_alive(), "stop() returned with a request still in flight"
    stage.release.set()
    client.join(10)
    stopping.join(10)
    assert not stopping.is_alive()
    assert [status for status, _ in in_flight] == [200]
    assert in_flight[0][1].startswith("/slow from port")


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)
