"""HTTP/1.1 on the wire for the ``http`` signal's probes: requests encoded once as httpx's
client would build them, answers read up to their headers, over sockets of their own.

Why not httpx's client and transport: httpcore over anyio costs about 1 ms of CPU per
request, its pool scans every connection on each request and release, and building an httpx
request and response per probe, under three nested timeouts, cost as much CPU as the rest of
the probe, sockets included: 6,000 concurrent probes took over 10 s of CPU on two cores and
timed themselves out. A probe needs no pool and no keep-alive: one short connection per
target, then the status line and headers. So each target's request line is encoded once per
process (``RequestStart``), each signal's header lines once, again only when they change, as
a rotated bearer token does (``Tail``), and ``SocketNetwork`` sends the bytes on an asyncio
protocol (TLS included) and reads the head (``AnswerHead``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from typing import Any, Final

import httpx

from engine.adapters.http.network import Origin, ProbeFailed
from engine.text import clip

USER_AGENT: Final = "cloudphoenix-probe/0.1"
MAX_HEAD: Final = 64 * 1024

_STATUS_LINE = re.compile(rb"HTTP/1\.[01] ([1-5][0-9][0-9])(?: [^\r\n]*)?\r\n")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class SocketNetwork:
    """The ``ProbeNetwork`` of the bot: a fresh connection per probe, closed as soon as the
    status line and headers are in. No proxies, no HTTP/2.

    Host names are resolved once per network (one collection), however many targets share
    them. TLS uses ``ssl_context``, made on first use when none is given.
    """

    def __init__(self, ssl_context: ssl.SSLContext | None) -> None:
        self._ssl_context = ssl_context
        self._resolved: dict[tuple[str, int], asyncio.Future[list[str]]] = {}

    async def exchange(self, origin: Origin, request: bytes) -> int:
        answer = AnswerHead(asyncio.get_running_loop())
        transport: asyncio.Transport | None = None
        try:
            transport = await self._open(origin, answer)
            transport.write(request)
            status, _headers = await answer.head
        finally:
            answer.head.cancel()  # nobody is left to hear of what the closing brings
            if transport is not None:
                transport.abort()
        return status

    async def aclose(self) -> None:
        for pending in self._resolved.values():
            pending.cancel()
        self._resolved.clear()

    async def _open(self, origin: Origin, answer: AnswerHead) -> asyncio.Transport:
        """A connection to ``origin`` whose answer goes to ``answer``. Raises OSError
        (ssl.SSLError and socket.gaierror included)."""
        loop = asyncio.get_running_loop()
        if origin.tls and self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        context = self._ssl_context if origin.tls else None
        server_hostname = origin.host if origin.tls else None
        addresses = [origin.host] if origin.literal else await self._resolve(origin)
        last: OSError = OSError(f"no address for {origin.host}")
        for address in addresses:
            try:
                transport, _ = await loop.create_connection(
                    lambda: answer,
                    address,
                    origin.port,
                    ssl=context,
                    server_hostname=server_hostname,
                )
            except OSError as exc:
                last = exc
            else:
                return transport
        raise last

    async def _resolve(self, origin: Origin) -> list[str]:
        key = (origin.host, origin.port)
        pending = self._resolved.get(key)
        if pending is None:
            pending = asyncio.ensure_future(_addresses(*key))
            # Every waiter may be cancelled: never leave an exception unretrieved.
            pending.add_done_callback(_retrieve)
            self._resolved[key] = pending
        return await asyncio.shield(pending)


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Marks an outcome as heard, for a future that may outlive everyone awaiting it."""
    if not future.cancelled():
        future.exception()


class AnswerHead(asyncio.Protocol):
    """Collects an answer until its status line and headers are in: ``head`` then holds
    them, or why the far end's answer cannot be read (``ProbeFailed``, or the OSError that
    broke the connection)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.head: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] = loop.create_future()
        # A probe given up on (timeout, cancelled connect) leaves no one to await this.
        self.head.add_done_callback(_retrieve)
        self._buffer = b""

    def data_received(self, data: bytes) -> None:
        if self.head.done():
            return
        self._buffer += data
        try:
            parsed = parse_head(self._buffer)
        except ValueError as exc:
            self._fail(ProbeFailed(str(exc)))
            return
        if parsed is not None:
            self.head.set_result(parsed)

    def eof_received(self) -> bool:
        reason = "answer cut short" if self._buffer else "connection closed without an answer"
        self._fail(ProbeFailed(reason))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is None:
            self._fail(ProbeFailed("connection closed"))
        elif isinstance(exc, OSError):
            self._fail(exc)
        else:
            error = ProbeFailed(str(exc))
            error.__cause__ = exc
            self._fail(error)

    def _fail(self, error: Exception) -> None:
        if not self.head.done():
            self.head.set_exception(error)


def parse_head(buffer: bytes) -> tuple[int, list[tuple[bytes, bytes]]] | None:
    """An answer's status and headers once ``buffer`` holds them all, else None.

    Interim answers (100 Continue) are skipped. Raises ValueError, with the reason, for
    anything that is not an HTTP/1.x answer.
    """
    while True:
        if not buffer.startswith(b"HTTP/"[: len(buffer)]):
            raise ValueError("not an HTTP answer")
        end = buffer.find(b"\r\n\r\n")
        if end > MAX_HEAD or (end < 0 and len(buffer) > MAX_HEAD):
            raise ValueError("answer headers too large")
        if end < 0:
            return None
        match = _STATUS_LINE.match(buffer)
        if match is None:
            raise ValueError("invalid HTTP status line")
        status = int(match.group(1))
        if 100 <= status < 200 and status != 101:
            buffer = buffer[end + 4 :]
            continue
        headers: list[tuple[bytes, bytes]] = []
        for line in buffer[match.end() : end].split(b"\r\n"):
            name, colon, value = line.partition(b":")
            if not colon or not _TOKEN.fullmatch(name):
                raise ValueError("invalid HTTP header line")
            headers.append((name, value.strip()))
        return status, headers


async def _addresses(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


REQUEST_HEADERS: Final = (("Accept", "*/*"), ("Accept-Encoding", "gzip, deflate"))
"""What httpx's client sends by default (with our User-Agent): a probe sends the request a
client would have built."""


@dataclass(frozen=True, slots=True)
class RequestStart:
    """A target's request line, alone and followed by the Host header httpx would add."""

    line: bytes
    with_host: bytes


def request_start(method: str, url: httpx.URL) -> RequestStart:
    line = b"%s %s HTTP/1.1\r\n" % (method.encode("ascii"), url.raw_path)
    return RequestStart(line, line + b"Host: %s\r\n" % url.netloc)


@dataclass(frozen=True, slots=True)
class Tail:
    """A signal's header lines, ``Connection: close`` and the blank line that ends them; or
    why they cannot be sent (``error``), which leaves its targets unprobed."""

    lines: bytes
    has_host: bool = False
    """The signal sets its own Host header: the target's is left out."""
    error: str = ""

    def after(self, start: RequestStart) -> bytes:
        """The whole request to a target that starts with ``start``."""
        return (start.line if self.has_host else start.with_host) + self.lines


def tail_of(headers: dict[str, str]) -> Tail:
    """The header lines after Host, merged as httpx's client merges them."""
    try:
        merged = httpx.Headers(REQUEST_HEADERS)
        merged["User-Agent"] = USER_AGENT
        merged.update(headers)
        raw = merged.raw
    except Exception as exc:  # noqa: BLE001 - e.g. a value httpx cannot encode
        return Tail(b"", error=clip(f"{type(exc).__name__}: {exc}", 120))
    lines: list[bytes] = []
    for name, value in raw:
        if not _TOKEN.fullmatch(name) or b"\r" in value or b"\n" in value:
            return Tail(b"", error="LocalProtocolError: a request header is malformed")
        if name.lower() != b"connection":
            lines.append(b"%s: %s\r\n" % (name, value))
    lines.append(b"Connection: close\r\n\r\n")
    return Tail(b"".join(lines), has_host="host" in merged)


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
