"""The ``http`` signal kind: health endpoints probed over HTTP, thousands at a time.

One ``HttpProbes`` source serves every http signal of a configuration. Each ``collect()``
probes every target of all of them concurrently, over one transport (and one
``httpx.AsyncClient`` when the transport is httpx's or a test's). A
target fails on a connection error, a timeout, an unexpected status or an answer that is
not HTTP, and is slow past ``slow_after``. A signal folds its targets: all ok -> ok, some
failing or slow -> degraded, all failing -> down; ``value`` is the share failing. When a
target could not be probed at all (this process ran out of sockets, a bearer token could
not be resolved) the signal is ``unknown``: our own trouble is never a service's outage.

How probes reach their targets: by default over ``ProbeTransport`` (``wire``), used
directly: each target's request line and each signal's header lines are encoded once (as
httpx's client would build them) and reused by every evaluation (the lines of a signal
with a bearer token again only when the token changes), and one loop timer bounds each
probe. Building an httpx request and response per probe, under three nested timeouts, cost
as much CPU as the rest of the probe, sockets included.
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
import math
import resource
import socket
import ssl
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final

import httpx

from engine.adapters.http.wire import (
    USER_AGENT,
    AnswerHead,
    ProbeTransport,
    Tail,
    is_address,
    os_reason,
    tail_of,
)
from engine.adapters.single_signal import DEADLINE_SLACK
from engine.config import HttpSignal
from engine.errors import SecretError
from engine.model import Reading, Status
from engine.ports import Clock

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
        self._tails: dict[int, tuple[tuple[tuple[str, str], ...], Tail]] = {
            index: (tuple(signal.headers.items()), tail_of(dict(signal.headers)))
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

    def _tail(self, index: int, headers: dict[str, str]) -> Tail:
        key = tuple(headers.items())
        cached = self._tails.get(index)
        if cached is None or cached[0] != key:
            cached = (key, tail_of(headers))
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
    answer = AnswerHead(loop, None)
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
        error = httpx.ConnectError(os_reason(exc))
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
        literal=is_address(url.host),
        line=line,
        head=line + b"Host: %s\r\n" % url.netloc,
    )
