"""The ``http`` signal kind: health endpoints probed over HTTP, thousands at a time.

One ``HttpProbes`` source serves every http signal of a configuration. Each ``collect()``
probes every target of all of them concurrently, over one transport (and one
``httpx.AsyncClient`` when the transport is httpx's or a test's). A
target fails on a connection error, a timeout, an unexpected status or an answer that is
not HTTP, and is slow past ``slow_after``. A signal folds its targets: all ok -> ok, some
failing or slow -> degraded, all failing -> down; ``value`` is the share failing. When a
target could not be probed at all (this process ran out of sockets, a bearer token could
not be resolved) the signal is ``unknown``: our own trouble is never a service's outage.

Why a transport of our own: httpx's default transport (httpcore over anyio) costs about
1 ms of CPU per request, and its pool scans every connection on each request and release,
so 6,000 concurrent probes took over 10 s of CPU on two cores and timed themselves out. A
probe needs no pool and no keep-alive: one short connection per target, then the status
line and headers. ``ProbeTransport`` does just that on an asyncio protocol (TLS included).
By default the probes use it directly: each target's request line and each signal's header
lines are encoded once (as httpx's client would build them) and reused by every evaluation
(the lines of a signal with a bearer token again only when the token changes), and one loop
timer bounds each probe. Building an httpx request and response per probe, under three
nested timeouts, cost as much CPU as the rest of the probe, sockets included.
``transport_factory`` puts any httpx transport in its place (``httpx.MockTransport`` in
tests, ``httpx.AsyncHTTPTransport`` to go through a proxy, the sandbox's network): the client
then builds each request (default headers, URL) and the transport sends it, without the
client's per-request machinery (redirects, auth flows, a cookie jar), of no use to a probe.

How probes run: all at once, up to what the open-files limit allows, started in batches
with the event loop turning between them so that answers are read while later probes
start; a probe's timeout starts when it is sent. The loop's lateness is sampled meanwhile:
a probe that timed out (or answered slowly) while this process stalled for more than half
of its budget was timed by a starved process (CPU throttling, a busy host, a long garbage
collection), so its target counts as unprobed and the signal as unknown, never as down.
"""

from __future__ import annotations

import asyncio
import bisect
import errno
import ipaddress
import math
import re
import resource
import socket
import ssl
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Final

import httpx

from engine.adapters.single_signal import DEADLINE_SLACK
from engine.config import HttpSignal
from engine.errors import SecretError
from engine.model import Reading, Status
from engine.ports import Clock

USER_AGENT: Final = "cloudphoenix-probe/0.1"
DETAIL_LIMIT: Final = 300

PROBE_CPU: Final = 0.0005
"""Seconds of event-loop CPU one probe costs, pessimistically (0.3-0.6 ms measured on a slow
two-core machine through httpx's request objects, garbage collection included; about 0.1 ms
with the requests encoded once): the source's deadline allows twice that."""
BATCH: Final = 64
"""Probes started per turn of the event loop; answers are read between batches."""
STALL_SHARE: Final = 0.5
"""A probe timed while this process stalled for more than this share of its timeout (or of
``slow_after``) cannot be judged: its target is unprobed, not failing."""
TICK: Final = 0.05
LATE: Final = "not started: this evaluation ran out of time (too many probes for one process?)"
FD_RESERVE: Final = 256
"""Open files left to the rest of the process when sizing the number of probes in flight."""
MAX_HEAD: Final = 64 * 1024

# Errors that say this process could not open a connection, not that the far end failed.
_LOCAL_ERRNOS: Final = frozenset(
    {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.EADDRNOTAVAIL}
)


class Outcome(Enum):
    OK = "ok"
    SLOW = "slow"
    FAILED = "failed"
    UNPROBED = "unprobed"
    """The probe could not run here; says nothing about the target."""


@dataclass(frozen=True)
class TargetResult:
    target: str
    """``GET http://host/path``: what was probed, without credentials or query."""
    outcome: Outcome
    reason: str = ""
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class _Probe:
    signal: int
    method: str
    url: httpx.URL
    label: str
    timeout: float
    slow_after: float | None
    expect: frozenset[int]
    # The target as the built-in transport reaches it, worked out once per process: where
    # to connect, and the request line with and without the Host header httpx would add.
    host: str
    port: int
    tls: bool
    literal: bool
    """``host`` is an IP address: nothing to resolve."""
    line: bytes
    head: bytes


class HttpProbes:
    """The ``SignalSource`` of every ``http`` signal.

    ``secrets`` resolves a signal's ``bearer_token`` reference (``env:VAR``, a Secrets Manager
    ARN, a Key Vault URI) at each collection; the bot's resolver keeps a cloud secret's value
    for a few minutes, so that is not a cloud call per evaluation. The token goes into the
    Authorization header and nowhere else.
    ``max_in_flight`` caps concurrent probes (default: what the open-files limit allows);
    past it a probe waits, and its timeout starts only when it is sent.
    """

    def __init__(
        self,
        signals: Sequence[HttpSignal],
        clock: Clock,
        *,
        secrets: Callable[[str], str] | None = None,
        transport_factory: Callable[[], httpx.AsyncBaseTransport] | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        if not signals:
            raise ValueError("HttpProbes needs at least one http signal")
        self._signals = tuple(signals)
        self._clock = clock
        self._secrets = secrets
        self._transport_factory = transport_factory
        self._max_in_flight = max_in_flight
        self._probes = [
            _probe_of(index, signal, url)
            for index, signal in enumerate(self._signals)
            for url in signal.targets
        ]
        self._tls = any(p.tls for p in self._probes)
        self._ssl_context: ssl.SSLContext | None = None
        # Header lines per signal, keyed by the headers they encode; those that need no
        # bearer token are known now, and every evaluation reuses them.
        self._tails: dict[int, tuple[tuple[tuple[str, str], ...], _Tail]] = {
            index: (tuple(signal.headers.items()), _tail_of(dict(signal.headers)))
            for index, signal in enumerate(self._signals)
            if signal.bearer_token is None
        }

    @property
    def signals(self) -> Sequence[str]:
        return [signal.name for signal in self._signals]

    @property
    def deadline(self) -> float:
        waves = math.ceil(len(self._probes) / self._in_flight())
        cpu = 2 * len(self._probes) * PROBE_CPU
        return max(p.timeout for p in self._probes) * waves + cpu + DEADLINE_SLACK

    async def collect(self) -> list[Reading]:
        finish_by = time.monotonic() + self.deadline - DEADLINE_SLACK / 2
        headers, problems = await self._headers()
        probes = [p for p in self._probes if p.signal not in problems]
        results: list[TargetResult | None] = [None] * len(probes)
        slots = _Slots(self._in_flight())
        lag = LoopLag()
        watcher = asyncio.create_task(lag.watch())
        try:
            if self._transport_factory is None:
                await self._probe_directly(probes, headers, results, slots, lag, finish_by)
            else:
                transport = self._transport_factory()
                await self._probe_through(
                    transport, probes, headers, results, slots, lag, finish_by
                )
        finally:
            watcher.cancel()
        per_signal: dict[int, list[TargetResult]] = {}
        for probe, result in zip(probes, results, strict=True):
            assert result is not None
            per_signal.setdefault(probe.signal, []).append(result)
        now = self._clock.now()
        return [
            Reading.unknown(signal.name, signal.vantage, problems[index], now)
            if index in problems
            else fold(signal, per_signal[index], now)
            for index, signal in enumerate(self._signals)
        ]

    async def _probe_directly(
        self,
        probes: Sequence[_Probe],
        headers: dict[int, dict[str, str]],
        results: list[TargetResult | None],
        slots: _Slots,
        lag: LoopLag,
        finish_by: float,
    ) -> None:
        """The built-in transport, without httpx's request and response objects: each
        target's request is bytes made once (its signal's headers once per signal, again
        only when they change, as a rotated bearer token does)."""
        loop = asyncio.get_running_loop()
        if self._tls and self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        connector = ProbeTransport(self._ssl_context)
        tails = {index: self._tail(index, wanted) for index, wanted in headers.items()}

        async def run(index: int, probe: _Probe) -> None:
            try:
                tail = tails[probe.signal]
                if tail.error:
                    results[index] = TargetResult(probe.label, Outcome.UNPROBED, tail.error)
                    return
                payload = (probe.line if tail.has_host else probe.head) + tail.lines
                results[index] = await _exchange(connector, probe, payload, lag, loop)
            finally:
                slots.release()

        try:
            await _start_all(probes, results, run, slots, finish_by)
        finally:
            await connector.aclose()

    async def _probe_through(
        self,
        transport: httpx.AsyncBaseTransport,
        probes: Sequence[_Probe],
        headers: dict[int, dict[str, str]],
        results: list[TargetResult | None],
        slots: _Slots,
        lag: LoopLag,
        finish_by: float,
    ) -> None:
        """A transport given by ``transport_factory``: the client builds each request (default
        headers, URL) and the transport sends it as is."""

        async def run(index: int, probe: _Probe) -> None:
            try:
                request = client.build_request(
                    probe.method, probe.url, headers=headers[probe.signal], timeout=probe.timeout
                )
                results[index] = await _probe(transport, request, probe, lag)
            finally:
                slots.release()

        async with httpx.AsyncClient(
            transport=transport, headers={"User-Agent": USER_AGENT}, trust_env=False
        ) as client:
            await _start_all(probes, results, run, slots, finish_by)

    def _tail(self, index: int, headers: dict[str, str]) -> _Tail:
        key = tuple(headers.items())
        cached = self._tails.get(index)
        if cached is None or cached[0] != key:
            cached = (key, _tail_of(headers))
            self._tails[index] = cached
        return cached[1]

    async def _headers(self) -> tuple[dict[int, dict[str, str]], dict[int, str]]:
        """Each signal's request headers, and why a signal cannot be probed at all."""
        refs = sorted({s.bearer_token for s in self._signals if s.bearer_token})
        tokens: dict[str, str] = {}
        failures: dict[str, str] = {}
        if refs and self._secrets is None:
            failures = dict.fromkeys(refs, "no secret resolver is configured")
        elif refs and self._secrets is not None:
            resolve = self._secrets
            answers = await asyncio.gather(
                *(asyncio.to_thread(resolve, ref) for ref in refs), return_exceptions=True
            )
            for ref, answer in zip(refs, answers, strict=True):
                if isinstance(answer, str) and answer:
                    tokens[ref] = answer
                elif isinstance(answer, SecretError):
                    failures[ref] = str(answer)
                else:
                    # Any other error text might quote the secret: name only its type.
                    failures[ref] = f"the resolver failed ({type(answer).__name__})"
        headers: dict[int, dict[str, str]] = {}
        problems: dict[int, str] = {}
        for index, signal in enumerate(self._signals):
            wanted = signal.bearer_token
            if wanted is not None and wanted not in tokens:
                reason = f"bearer token {wanted} could not be resolved: {failures[wanted]}"
                problems[index] = clip(reason)
                continue
            headers[index] = dict(signal.headers)
            if wanted is not None:
                headers[index]["Authorization"] = f"Bearer {tokens[wanted]}"
        return headers, problems

    def _in_flight(self) -> int:
        if self._max_in_flight is not None:
            return max(1, self._max_in_flight)
        return max(1, min(len(self._probes), _open_file_room()))


async def _start_all(
    probes: Sequence[_Probe],
    results: list[TargetResult | None],
    run: Callable[[int, _Probe], Coroutine[None, None, None]],
    slots: _Slots,
    finish_by: float,
) -> None:
    """Every probe, in batches, not all at once: answers are read between batches, so no
    probe waits on a backlog of thousands of starts to be judged. A probe that could no
    longer finish before the deadline is not started at all."""
    async with asyncio.TaskGroup() as group:
        for index, probe in enumerate(probes):
            await slots.acquire()
            if time.monotonic() + probe.timeout > finish_by:  # too late to judge
                slots.release()
                results[index] = TargetResult(probe.label, Outcome.UNPROBED, LATE)
                continue
            group.create_task(run(index, probe))
            if index % BATCH == BATCH - 1:
                await asyncio.sleep(0)


class _Slots:
    """A count of probes in flight, and a wait for a free slot (cheap with thousands
    waiting, unlike a semaphore's queue of waiters)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._taken = 0
        self._freed = asyncio.Event()

    async def acquire(self) -> None:
        while self._taken >= self._limit:
            self._freed.clear()
            await self._freed.wait()
        self._taken += 1

    def release(self) -> None:
        self._taken -= 1
        self._freed.set()


class LoopLag:
    """How late the event loop ran while probes were in flight, sampled every ``TICK``.

    A late loop is this process's trouble (CPU starved, throttled, paused by garbage
    collection): probes timed during a stall say nothing about their targets.
    """

    def __init__(self) -> None:
        self._at: list[float] = []
        self._late: list[float] = []

    async def watch(self) -> None:
        while True:
            due = time.monotonic() + TICK
            await asyncio.sleep(TICK)
            now = time.monotonic()
            self.record(now, max(0.0, now - due))

    def record(self, at: float, late: float) -> None:
        """The loop woke at ``at``, ``late`` seconds after it should have."""
        self._at.append(at)
        self._late.append(late)

    def stalled(self, start: float, end: float) -> float:
        """Seconds within ``[start, end]`` during which the loop ran late."""
        total = 0.0
        first = bisect.bisect_left(self._at, start)
        for at, late in zip(self._at[first:], self._late[first:], strict=True):
            if at - late > end:
                break
            total += max(0.0, min(at, end) - max(at - late, start))
        return total


async def _probe(
    transport: httpx.AsyncBaseTransport, request: httpx.Request, probe: _Probe, lag: LoopLag
) -> TargetResult:
    """One target, once, through an httpx transport. The client built the request; the
    transport sends it as is: a probe wants none of the client's per-request machinery
    (redirects, auth flows, a cookie jar carried from one service to the next), which costs
    as much CPU as the probe."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(probe.timeout):
            response = await transport.handle_async_request(request)
            await response.aclose()
    except (TimeoutError, httpx.TimeoutException):
        return _timed_out(probe, started, lag)
    except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
        return _network_failure(probe, exc)
    except Exception as exc:  # noqa: BLE001 - our own fault: the target is not judged
        return _own_fault(probe, exc)
    return _judge(probe, response.status_code, started, time.monotonic(), lag)


async def _exchange(
    connector: ProbeTransport,
    probe: _Probe,
    payload: bytes,
    lag: LoopLag,
    loop: asyncio.AbstractEventLoop,
) -> TargetResult:
    """One target, once, on the built-in transport: connect, send ``payload``, read the
    status line and headers. One loop timer bounds the whole exchange, from this probe's
    own start; the failures are those ``_probe`` reports for the same far end."""
    started = time.monotonic()
    answer = _AnswerHead(loop, None)
    task = asyncio.current_task(loop)
    assert task is not None
    timer = loop.call_later(probe.timeout, answer.expire, task)
    transport: asyncio.Transport | None = None
    try:
        transport = await connector.open(probe.host, probe.port, probe.tls, answer, probe.literal)
        transport.write(payload)
        status, _headers = await answer.head
    except asyncio.CancelledError:
        if not answer.expired:
            raise
        task.uncancel()
        return _timed_out(probe, started, lag)
    except TimeoutError:  # the kernel gave up connecting: a timeout, as httpx reports it
        return _timed_out(probe, started, lag)
    except OSError as exc:  # could not connect; ssl.SSLError and socket.gaierror included
        error = httpx.ConnectError(_os_reason(exc))
        error.__cause__ = exc
        return _network_failure(probe, error)
    except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        return _network_failure(probe, exc)
    except Exception as exc:  # noqa: BLE001 - our own fault: the target is not judged
        return _own_fault(probe, exc)
    finally:
        timer.cancel()
        answer.head.cancel()  # nobody is left to hear of what the closing brings
        if transport is not None:
            transport.abort()
    return _judge(probe, status, started, time.monotonic(), lag)


def _timed_out(probe: _Probe, started: float, lag: LoopLag) -> TargetResult:
    ended = time.monotonic()
    # The timer itself firing late is a stall too, and the latest one.
    stall = lag.stalled(started, ended) + max(0.0, ended - started - probe.timeout)
    if stall > STALL_SHARE * probe.timeout:
        return TargetResult(probe.label, Outcome.UNPROBED, _stall_reason(stall))
    return TargetResult(probe.label, Outcome.FAILED, f"timed out after {probe.timeout:g}s")


def _network_failure(probe: _Probe, exc: Exception) -> TargetResult:
    local = local_error(exc)
    if local:
        return TargetResult(probe.label, Outcome.UNPROBED, local)
    return TargetResult(probe.label, Outcome.FAILED, failure_reason(exc))


def _own_fault(probe: _Probe, exc: Exception) -> TargetResult:
    reason = clip(f"{type(exc).__name__}: {exc}", 120)
    return TargetResult(probe.label, Outcome.UNPROBED, reason)


def _judge(probe: _Probe, status: int, started: float, ended: float, lag: LoopLag) -> TargetResult:
    """An answer's status and timing against what the signal expects."""
    elapsed = ended - started
    if status not in probe.expect:
        return TargetResult(probe.label, Outcome.FAILED, f"HTTP {status}", elapsed)
    if probe.slow_after is not None and elapsed > probe.slow_after:
        stall = lag.stalled(started, ended)
        if stall > STALL_SHARE * probe.slow_after:
            return TargetResult(probe.label, Outcome.UNPROBED, _stall_reason(stall))
        reason = f"slow: {elapsed:.2f}s, over {probe.slow_after:g}s"
        return TargetResult(probe.label, Outcome.SLOW, reason, elapsed)
    return TargetResult(probe.label, Outcome.OK, "", elapsed)


def _stall_reason(stall: float) -> str:
    return f"this process stalled for {stall:.1f}s while probing: its timing cannot be trusted"


def fold(signal: HttpSignal, results: Sequence[TargetResult], now: datetime) -> Reading:
    """One signal's reading from its targets' results."""
    total = len(results)
    unprobed = [r for r in results if r.outcome is Outcome.UNPROBED]
    if unprobed:
        reason = f"could not probe {len(unprobed)} of {total} targets: {unprobed[0].reason}"
        return Reading.unknown(signal.name, signal.vantage, clip(reason), now)
    failed = [r for r in results if r.outcome is Outcome.FAILED]
    slow = [r for r in results if r.outcome is Outcome.SLOW]
    if not failed and not slow:
        slowest = max(r.elapsed for r in results)
        detail = f"{total} of {total} targets ok, slowest {slowest:.2f}s"
        return Reading(signal.name, Status.OK, 0.0, detail, signal.vantage, now)
    status = Status.DOWN if len(failed) == total else Status.DEGRADED
    summary = f"{len(failed)} of {total} failing" + (f", {len(slow)} slow" if slow else "")
    listed = "; ".join(f"{r.target}: {r.reason}" for r in (*failed, *slow))
    return Reading(
        signal.name,
        status,
        len(failed) / total,
        clip(f"{summary}: {listed}"),
        signal.vantage,
        now,
    )


def clip(text: str, limit: int = DETAIL_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def display_url(url: str) -> str:
    """A URL fit for a detail line: no user or password, and the query elided."""
    parsed = httpx.URL(url)
    bare = parsed.copy_with(username=None, password=None, query=None, fragment=None)
    return str(bare) + ("?…" if parsed.query else "")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def local_error(exc: BaseException) -> str | None:
    """Why this process could not open a connection, if that is what went wrong."""
    for cause in _causes(exc):
        if isinstance(cause, OSError) and cause.errno in _LOCAL_ERRNOS:
            return f"no socket available here ({cause.strerror or errno.errorcode[cause.errno]})"
    return None


def failure_reason(exc: BaseException) -> str:
    """A short reason for a failed probe, the same whichever transport raised it."""
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ConnectionResetError):
            return "connection reset"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return clip(f"TLS certificate rejected: {cause.verify_message}", 120)
        if isinstance(cause, socket.gaierror):
            return "host name not resolved"
    return clip(str(exc) or type(exc).__name__, 120)


def _open_file_room() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 20
    return max(1, soft - FD_RESERVE)


# ----------------------------------------------------------------------------- transport

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
        answer = _AnswerHead(asyncio.get_running_loop(), request)
        try:
            async with asyncio.timeout(timeouts.get("connect")):
                transport = await self.open(url.host, port, tls, answer, _is_address(url.host))
        except TimeoutError as exc:
            raise httpx.ConnectTimeout("connect timed out", request=request) from exc
        except OSError as exc:  # ssl.SSLError and socket.gaierror included
            raise httpx.ConnectError(_os_reason(exc), request=request) from exc
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
        self, host: str, port: int, tls: bool, answer: _AnswerHead, literal: bool
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


class _AnswerHead(asyncio.Protocol):
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
                _os_reason(exc) if isinstance(exc, OSError) else str(exc), request=self._request
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
class _Tail:
    """A signal's header lines, ``Connection: close`` and the blank line that ends them; or
    why they cannot be sent (``error``), which leaves its targets unprobed."""

    lines: bytes
    has_host: bool = False
    """The signal sets its own Host header: the target's is left out."""
    error: str = ""


def _probe_of(signal_index: int, signal: HttpSignal, target: str) -> _Probe:
    url = httpx.URL(target)
    tls = url.scheme == "https"
    line = b"%s %s HTTP/1.1\r\n" % (signal.method.encode("ascii"), url.raw_path)
    return _Probe(
        signal=signal_index,
        method=signal.method,
        url=url,
        label=f"{signal.method} {display_url(target)}",
        timeout=signal.timeout.total_seconds(),
        slow_after=signal.slow_after.total_seconds() if signal.slow_after else None,
        expect=frozenset(signal.expect_status),
        host=url.host,
        port=url.port or (443 if tls else 80),
        tls=tls,
        literal=_is_address(url.host),
        line=line,
        head=line + b"Host: %s\r\n" % url.netloc,
    )


def _tail_of(headers: dict[str, str]) -> _Tail:
    """The header lines after Host, merged as httpx's client merges them."""
    try:
        merged = httpx.Headers(REQUEST_HEADERS)
        merged["User-Agent"] = USER_AGENT
        merged.update(headers)
        raw = merged.raw
    except Exception as exc:  # noqa: BLE001 - e.g. a value httpx cannot encode
        return _Tail(b"", error=clip(f"{type(exc).__name__}: {exc}", 120))
    lines: list[bytes] = []
    for name, value in raw:
        if not _TOKEN.fullmatch(name) or b"\r" in value or b"\n" in value:
            return _Tail(b"", error="LocalProtocolError: a request header is malformed")
        if name.lower() != b"connection":
            lines.append(b"%s: %s\r\n" % (name, value))
    lines.append(b"Connection: close\r\n\r\n")
    return _Tail(b"".join(lines), has_host="host" in merged)


def _is_address(host: str) -> bool:
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


def _os_reason(exc: OSError) -> str:
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
