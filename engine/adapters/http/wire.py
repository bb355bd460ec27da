"""HTTP/1.1 on the wire for the ``http`` signal's probes (``engine.adapters.http.probes``).

Why a transport of our own: httpx's default transport (httpcore over anyio) costs about
1 ms of CPU per request, and its pool scans every connection on each request and release,
so 6,000 concurrent probes took over 10 s of CPU on two cores and timed themselves out. A
probe needs no pool and no keep-alive: one short connection per target, then the status
line and headers. ``ProbeTransport`` does just that on an asyncio protocol (TLS included):
as an httpx transport, or through ``open`` for a request already encoded, its header lines
made by ``tail_of`` as httpx's client would merge them. ``os_reason`` says in a few words
why a connection failed.
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

USER_AGENT: Final = "cloudphoenix-probe/0.1"
MAX_HEAD: Final = 64 * 1024

_STATUS_LINE = re.compile(rb"HTTP/1\.[01] ([1-5][0-9][0-9])(?: [^\r\n]*)?\r\n")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class ProbeTransport(httpx.AsyncBaseTransport):
    """One-shot HTTP/1.1 for health probes: a fresh connection per request, closed as soon
    as the status line and headers are in. The body is not read (``content`` is empty):
    a probe judges by status and time. No proxies, no HTTP/2.

    Host names are resolved once per transport (one collection), however many targets
    share them; the ``timeout`` extension's connect and read values bound those phases.
    ``HttpProbes`` uses ``open`` directly, with requests it encoded itself.
    """

    def __init__(self, ssl_context: ssl.SSLContext | None) -> None:
        self._ssl_context = ssl_context
        self._resolved: dict[tuple[str, int], asyncio.Future[list[str]]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"cannot probe {url.scheme!r} URLs", request=request)
        tls = url.scheme == "https"
        port = url.port or (443 if tls else 80)
        timeouts = request.extensions.get("timeout", {})
        payload = _encode(request, await request.aread())
        answer = AnswerHead(asyncio.get_running_loop(), request)
        try:
            async with asyncio.timeout(timeouts.get("connect")):
                transport = await self.open(url.host, port, tls, answer, is_address(url.host))
        except TimeoutError as exc:
            raise httpx.ConnectTimeout("connect timed out", request=request) from exc
        except OSError as exc:  # ssl.SSLError and socket.gaierror included
            raise httpx.ConnectError(os_reason(exc), request=request) from exc
        try:
            transport.write(payload)
            async with asyncio.timeout(timeouts.get("read")):
                status, headers = await answer.head
        except TimeoutError as exc:
            raise httpx.ReadTimeout("no answer in time", request=request) from exc
        finally:
            answer.head.cancel()  # nobody is left to hear of what the closing brings
            transport.abort()
        return httpx.Response(
            status, headers=headers, extensions={"http_version": b"HTTP/1.1"}, request=request
        )

    async def aclose(self) -> None:
        for pending in self._resolved.values():
            pending.cancel()
        self._resolved.clear()

    async def open(
        self, host: str, port: int, tls: bool, answer: AnswerHead, literal: bool
    ) -> asyncio.Transport:
        """A connection to ``host`` (an IP address when ``literal``) whose answer goes to
        ``answer``. Raises OSError (ssl.SSLError and socket.gaierror included)."""
        loop = asyncio.get_running_loop()
        if tls and self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        context = self._ssl_context if tls else None
        server_hostname = host if tls else None
        addresses = [host] if literal else await self._resolve(host, port)
        last: OSError = OSError(f"no address for {host}")
        for address in addresses:
            try:
                transport, _ = await loop.create_connection(
                    lambda: answer, address, port, ssl=context, server_hostname=server_hostname
                )
            except OSError as exc:
                last = exc
            else:
                return transport
        raise last

    async def _resolve(self, host: str, port: int) -> list[str]:
        key = (host, port)
        pending = self._resolved.get(key)
        if pending is None:
            pending = asyncio.ensure_future(_addresses(host, port))
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
    them, or the reason the far end's answer cannot be read. ``expire`` is the probe's
    timeout firing: it cancels the task waiting for this answer and says so."""

    def __init__(self, loop: asyncio.AbstractEventLoop, request: httpx.Request | None) -> None:
        self.head: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] = loop.create_future()
        # A probe given up on (timeout, cancelled connect) leaves no one to await this.
        self.head.add_done_callback(_retrieve)
        self.expired = False
        self._request = request
        self._buffer = b""

    def expire(self, waiting: asyncio.Task[object]) -> None:
        self.expired = True
        waiting.cancel()

    def data_received(self, data: bytes) -> None:
        if self.head.done():
            return
        self._buffer += data
        try:
            parsed = parse_head(self._buffer)
        except ValueError as exc:
            self._fail(httpx.RemoteProtocolError(str(exc), request=self._request))
            return
        if parsed is not None:
            self.head.set_result(parsed)

    def eof_received(self) -> bool:
        reason = "answer cut short" if self._buffer else "connection closed without an answer"
        self._fail(httpx.RemoteProtocolError(reason, request=self._request))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is None:
            self._fail(httpx.RemoteProtocolError("connection closed", request=self._request))
        else:
            error = httpx.ReadError(
                os_reason(exc) if isinstance(exc, OSError) else str(exc), request=self._request
            )
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
"""What httpx's client sends by default (with our User-Agent): the built-in transport sends
the same request a client would have built."""


@dataclass(frozen=True, slots=True)
class Tail:
    """A signal's header lines, ``Connection: close`` and the blank line that ends them; or
    why they cannot be sent (``error``), which leaves its targets unprobed."""

    lines: bytes
    has_host: bool = False
    """The signal sets its own Host header: the target's is left out."""
    error: str = ""


def tail_of(headers: dict[str, str]) -> Tail:
    """The header lines after Host, merged as httpx's client merges them."""
    try:
        merged = httpx.Headers(REQUEST_HEADERS)
        merged["User-Agent"] = USER_AGENT
        merged.update(headers)
        raw = merged.raw
    except Exception as exc:  # noqa: BLE001 - e.g. a value httpx cannot encode
        return Tail(b"", error=_clip(f"{type(exc).__name__}: {exc}", 120))
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


def _encode(request: httpx.Request, body: bytes) -> bytes:
    lines = [b"%s %s HTTP/1.1\r\n" % (request.method.encode("ascii"), request.url.raw_path)]
    for name, value in request.headers.raw:
        if not _TOKEN.fullmatch(name) or b"\r" in value or b"\n" in value:
            raise httpx.LocalProtocolError("a request header is malformed", request=request)
        if name.lower() != b"connection":
            lines.append(b"%s: %s\r\n" % (name, value))
    lines.append(b"Connection: close\r\n\r\n")
    return b"".join(lines) + body


def os_reason(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate rejected: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, socket.gaierror):
        return "host name not resolved"
    return exc.strerror or str(exc) or type(exc).__name__


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
