"""Socket Mode: a websockets server on loopback that apps reach through the URL
``apps.connections.open`` hands out, greets with ``hello``, and sends envelopes to.

The server runs on its own asyncio loop in one background thread. ``send`` is called from
other threads and blocks until the ack (or the deadline); acks are matched by envelope_id
and timed on the real monotonic clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from sandbox.slack.payloads import Envelope
from sandbox.slack.transport import AckOutcome, LateAck

Json = dict[str, Any]


@dataclass
class _Pending:
    on_late_ack: LateAck
    sent: float
    event: threading.Event = field(default_factory=threading.Event)
    latency: float | None = None
    payload: Json | None = None
    expired: bool = False


class SocketModeServer:
    """The emulator's Socket Mode endpoint."""

    name: Literal["socket_mode"] = "socket_mode"

    def __init__(self, host: str, port: int, app_id: str) -> None:
        self._host = host
        self._requested_port = port
        self._app_id = app_id
        self._lock = threading.Lock()
        self._tickets: set[str] = set()
        self._connections: list[ServerConnection] = []
        self._draining: set[ServerConnection] = set()
        self._pending: dict[str, _Pending] = {}
        self._unmatched: list[Json] = []
        self._turn = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self.port = 0

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=loop.run_forever, name="slack-emulator-socket-mode", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), loop).result(timeout=10)

    async def _start(self) -> None:
        self._server = await serve(
            self._handle,
            self._host,
            self._requested_port,
            process_request=self._check_ticket,
            close_timeout=1,
            max_size=2**22,
        )
        self.port = int(next(iter(self._server.sockets)).getsockname()[1])

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(TimeoutError):
            asyncio.run_coroutine_threadsafe(self._stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop, self._thread = None, None

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()
        current = asyncio.current_task()
        rest = [t for t in asyncio.all_tasks() if t is not current]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)
        await asyncio.get_running_loop().shutdown_asyncgens()

    # -- connections ---------------------------------------------------------------------------

    def issue_url(self) -> str:
        """A fresh ``ws://`` URL (what apps.connections.open answers)."""
        ticket = secrets.token_urlsafe(16)
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://{self._host}:{self.port}/link/?ticket={ticket}&app_id={self._app_id}"

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        ticket = parse_qs(parts.query).get("ticket", [""])[0]
        with self._lock:
            known = ticket in self._tickets
        if parts.path.rstrip("/") != "/link" or not known:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or missing ticket\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        with self._lock:
            self._connections.append(connection)
            count = len(self._connections)
        try:
            await connection.send(json.dumps(self._hello(count)))
            async for raw in connection:
                self._on_frame(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._connections.remove(connection)
                self._draining.discard(connection)

    def _hello(self, count: int) -> Json:
        return {
            "type": "hello",
            "num_connections": count,
            "debug_info": {
                "host": "applink-sandbox",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self._app_id},
        }

    def connection_count(self) -> int:
        """Open connections that receive envelopes (not those asked to reconnect)."""
        with self._lock:
            return len([c for c in self._connections if c not in self._draining])

    def request_reconnect(self, reason: str = "refresh_requested", grace: float = 10.0) -> int:
        """Send Slack's ``disconnect`` message to every connection, as Slack does every few
        hours. From then on no envelope goes to those connections, and they are closed after
        ``grace`` seconds if the app has not closed them by itself."""
        loop = self._loop
        if loop is None:
            return 0
        with self._lock:
            connections = [c for c in self._connections if c not in self._draining]
            self._draining.update(connections)
        message = json.dumps(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-sandbox"}}
        )
        for connection in connections:
            asyncio.run_coroutine_threadsafe(self._drain(connection, message, grace), loop)
        return len(connections)

    async def _drain(self, connection: ServerConnection, message: str, grace: float) -> None:
        with contextlib.suppress(ConnectionClosed):
            await connection.send(message)
            await asyncio.sleep(grace)
            await connection.close(1001, "refreshed")

    # -- envelopes and acks --------------------------------------------------------------------

    def _on_frame(self, raw: str | bytes) -> None:
        received = time.monotonic()
        try:
            message = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            message = {"unparsed": raw if isinstance(raw, str) else raw.decode("latin-1")}
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        with self._lock:
            pending = self._pending.pop(str(envelope_id), None) if envelope_id else None
            if pending is None:
                self._unmatched.append(message if isinstance(message, dict) else {"raw": message})
                return
            pending.latency = received - pending.sent
            payload = message.get("payload")
            pending.payload = payload if isinstance(payload, dict) else None
            late = pending.expired
            if not late:
                pending.event.set()
        if late:
            pending.on_late_ack(pending.latency, pending.payload)

    def unmatched_messages(self) -> list[Json]:
        """Frames from apps that acked no envelope we were waiting for."""
        with self._lock:
            return list(self._unmatched)

    def send(self, envelope: Envelope, deadline: float, on_late_ack: LateAck) -> AckOutcome:
        if envelope.tamper is not None:
            raise ValueError("signatures are an HTTP mode concept; Socket Mode has none to tamper")
        loop = self._loop
        with self._lock:
            connections = [c for c in self._connections if c not in self._draining]
        if loop is None or not connections:
            return AckOutcome(False, None, None, error="dispatch_failed")
        connection = connections[next(self._turn) % len(connections)]
        pending = _Pending(on_late_ack, time.monotonic())
        with self._lock:
            self._pending[envelope.envelope_id] = pending
        text = json.dumps(envelope.to_socket_message())
        try:
            asyncio.run_coroutine_threadsafe(connection.send(text), loop).result(timeout=deadline)
        except (ConnectionClosed, TimeoutError):
            with self._lock:
                self._pending.pop(envelope.envelope_id, None)
            return AckOutcome(False, None, None, error="dispatch_failed")
        pending.event.wait(max(0.0, deadline - (time.monotonic() - pending.sent)))
        with self._lock:
            if not pending.event.is_set():
                pending.expired = True
                return AckOutcome(False, None, None, error="operation_timeout")
        latency = pending.latency or 0.0
        error = None if latency <= deadline else "operation_timeout"
        return AckOutcome(True, latency, pending.payload, error=error)
