"""The ``http`` signal kind: health endpoints probed over HTTP, thousands at a time.

One ``HttpProbes`` source serves every http signal of a configuration. Each ``collect()``
probes every target of all of them concurrently over one network (``network``: sockets in the
bot, the sandbox's simulated network there). Requests are bytes made once (``wire``): each
target's request line when the source is built, each signal's header lines once, again only
when they change, as a rotated bearer token does. A signal whose bearer token cannot be
resolved is not probed at all: it reads ``unknown``, and its targets are never sent a request
without their token.

A target fails on a connection error, a timeout, an unexpected status or an answer that is
not HTTP, and is slow past ``slow_after``. A signal folds its targets: all ok -> ok, some
failing or slow -> degraded, all failing -> down; ``value`` is the share failing. When a
target could not be probed at all (this process ran out of sockets, a bearer token could not
be resolved) the signal is ``unknown``: our own trouble is never a service's outage.

How probes run: all at once, up to what the open-files limit allows, started in batches
with the event loop turning between them so that answers are read while later probes
start; one loop timer bounds each probe from its own start, whatever network carries it.
The loop's lateness is sampled meanwhile: a probe that timed out (or answered slowly) while
this process stalled for more than half of its budget was timed by a starved process (CPU
throttling, a busy host, a long garbage collection), so its target counts as unprobed and
the signal as unknown, never as down.
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final

import httpx

from engine.adapters.http.network import Origin, ProbeFailed, ProbeNetwork
from engine.adapters.http.wire import (
    RequestStart,
    SocketNetwork,
    Tail,
    is_address,
    request_start,
    tail_of,
)
from engine.adapters.single_signal import DEADLINE_SLACK
from engine.config import HttpSignal
from engine.errors import SecretError
from engine.model import Reading, Status
from engine.ports import Clock

DETAIL_LIMIT: Final = 300

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
class Expectation:
    """What a signal counts as a good answer from each of its targets."""

    status: frozenset[int]
    timeout: float
    slow_after: float | None

    @classmethod
    def of(cls, signal: HttpSignal) -> Expectation:
        return cls(
            status=frozenset(signal.expect_status),
            timeout=signal.timeout.total_seconds(),
            slow_after=signal.slow_after.total_seconds() if signal.slow_after else None,
        )


def judge(target: str, expect: Expectation, status: int, elapsed: float) -> TargetResult:
    """An answer's status and time against what the signal expects."""
    if status not in expect.status:
        return TargetResult(target, Outcome.FAILED, f"HTTP {status}", elapsed)
    if expect.slow_after is not None and elapsed > expect.slow_after:
        reason = f"slow: {elapsed:.2f}s, over {expect.slow_after:g}s"
        return TargetResult(target, Outcome.SLOW, reason, elapsed)
    return TargetResult(target, Outcome.OK, "", elapsed)


def timed_out(target: str, expect: Expectation) -> TargetResult:
    return TargetResult(target, Outcome.FAILED, f"timed out after {expect.timeout:g}s")


def unprobed(target: str, reason: str) -> TargetResult:
    return TargetResult(target, Outcome.UNPROBED, reason)


def failed(target: str, exc: Exception) -> TargetResult:
    """The result of a probe that raised ``exc`` (other than a timeout): the target's
    failure, unless the network says this process could not probe it, or the error is not
    one a network raises for a far end (a fault of ours)."""
    if isinstance(exc, OSError | ProbeFailed):
        local = local_error(exc)
        if local:
            return unprobed(target, local)
        return TargetResult(target, Outcome.FAILED, failure_reason(exc))
    return unprobed(target, clip(f"{type(exc).__name__}: {exc}", 120))


def fold(signal: HttpSignal, results: Sequence[TargetResult], now: datetime) -> Reading:
    """One signal's reading from its targets' results."""
    total = len(results)
    unjudged = [r for r in results if r.outcome is Outcome.UNPROBED]
    if unjudged:
        reason = f"could not probe {len(unjudged)} of {total} targets: {unjudged[0].reason}"
        return Reading.unknown(signal.name, signal.vantage, clip(reason), now)
    failing = [r for r in results if r.outcome is Outcome.FAILED]
    slow = [r for r in results if r.outcome is Outcome.SLOW]
    if not failing and not slow:
        slowest = max(r.elapsed for r in results)
        detail = f"{total} of {total} targets ok, slowest {slowest:.2f}s"
        return Reading(signal.name, Status.OK, 0.0, detail, signal.vantage, now)
    status = Status.DOWN if len(failing) == total else Status.DEGRADED
    summary = f"{len(failing)} of {total} failing" + (f", {len(slow)} slow" if slow else "")
    listed = "; ".join(f"{r.target}: {r.reason}" for r in (*failing, *slow))
    return Reading(
        signal.name,
        status,
        len(failing) / total,
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
    """A short reason for a failed probe: the OS error's, in a few words, when one is behind
    it, else the error's own text."""
    for cause in _causes(exc):
        if isinstance(cause, OSError):
            return clip(os_reason(cause), 120)
    return clip(str(exc) or type(exc).__name__, 120)


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


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    signal: int
    """Where its signal stands among the source's signals."""
    label: str
    """``GET http://host/path``: what is probed, without credentials or query."""
    origin: Origin
    start: RequestStart
    expect: Expectation


def plan_targets(signals: Sequence[HttpSignal]) -> list[ProbeTarget]:
    """Every target of every signal, in the signals' order."""
    planned: list[ProbeTarget] = []
    for index, signal in enumerate(signals):
        expect = Expectation.of(signal)
        for target in signal.targets:
            url = httpx.URL(target)
            tls = url.scheme == "https"
            origin = Origin(url.host, url.port or (443 if tls else 80), tls, is_address(url.host))
            label = f"{signal.method} {display_url(target)}"
            start = request_start(signal.method, url)
            planned.append(ProbeTarget(index, label, origin, start, expect))
    return planned


PROBE_CPU: Final = 0.0005
"""Seconds of event-loop CPU one probe costs, pessimistically (0.3-0.6 ms measured on a slow
two-core machine through httpx's request objects, garbage collection included; about 0.1 ms
with the requests encoded once): an evaluation's time allows twice that."""
BATCH: Final = 64
"""Probes started per turn of the event loop; answers are read between batches."""
STALL_SHARE: Final = 0.5
"""A probe timed while this process stalled for more than this share of its timeout (or of
``slow_after``) cannot be judged: its target is unprobed, not failing."""
TICK: Final = 0.05
LATE: Final = "not started: this evaluation ran out of time (too many probes for one process?)"
FD_RESERVE: Final = 256
"""Open files left to the rest of the process when sizing the number of probes in flight."""


def in_flight_limit(probes: int, cap: int | None) -> int:
    """How many probes may be in flight at once: ``cap`` when given, else as many as the
    open-files limit leaves room for."""
    if cap is not None:
        return max(1, cap)
    return max(1, min(probes, _open_file_room()))


def evaluation_time(probes: int, in_flight: int, longest_timeout: float) -> float:
    """Seconds ``probes`` may take, ``in_flight`` at a time: a wave per slot's worth, each as
    long as the longest timeout, and the loop's CPU for all of them."""
    waves = math.ceil(probes / in_flight)
    return longest_timeout * waves + 2 * probes * PROBE_CPU


async def probe_all(
    network: ProbeNetwork,
    requests: Sequence[tuple[ProbeTarget, bytes]],
    in_flight: int,
    finish_by: float,
) -> list[TargetResult]:
    """Each target's result, in the order of ``requests``: every request sent over
    ``network``, at most ``in_flight`` at a time, none started that could not finish by
    ``finish_by`` (a ``time.monotonic()`` reading)."""
    results: list[TargetResult | None] = [None] * len(requests)
    slots = _Slots(in_flight)
    lag = LoopLag()
    loop = asyncio.get_running_loop()

    async def run(index: int, target: ProbeTarget, request: bytes) -> None:
        try:
            results[index] = await _send(network, target, request, lag, loop)
        finally:
            slots.release()

    watcher = asyncio.create_task(lag.watch())
    try:
        async with asyncio.TaskGroup() as group:
            for index, (target, request) in enumerate(requests):
                await slots.acquire()
                if time.monotonic() + target.expect.timeout > finish_by:  # too late to judge
                    slots.release()
                    results[index] = unprobed(target.label, LATE)
                    continue
                group.create_task(run(index, target, request))
                if index % BATCH == BATCH - 1:
                    await asyncio.sleep(0)
    finally:
        watcher.cancel()
    done = [result for result in results if result is not None]
    assert len(done) == len(requests)
    return done


async def _send(
    network: ProbeNetwork,
    target: ProbeTarget,
    request: bytes,
    lag: LoopLag,
    loop: asyncio.AbstractEventLoop,
) -> TargetResult:
    """One target, once: the request sent and the answer's head read under one loop timer,
    which runs from this probe's own start."""
    started = time.monotonic()
    task = asyncio.current_task(loop)
    assert task is not None
    expiry = _Expiry(task)
    timer = loop.call_later(target.expect.timeout, expiry)
    try:
        status = await network.exchange(target.origin, request)
    except asyncio.CancelledError:
        if not expiry.fired:
            raise
        task.uncancel()
        return _timed_out(target, started, lag)
    except TimeoutError:
        return _timed_out(target, started, lag)
    except Exception as exc:  # noqa: BLE001 - the verdict tells a far end's failure from ours
        return failed(target.label, exc)
    finally:
        timer.cancel()
    return _answered(target, status, started, time.monotonic(), lag)


class _Expiry:
    """A probe's timeout: when it fires, the task waiting for the answer is cancelled."""

    __slots__ = ("fired", "task")

    def __init__(self, task: asyncio.Task[object]) -> None:
        self.task = task
        self.fired = False

    def __call__(self) -> None:
        self.fired = True
        self.task.cancel()


def _timed_out(target: ProbeTarget, started: float, lag: LoopLag) -> TargetResult:
    ended = time.monotonic()
    timeout = target.expect.timeout
    # The timer itself firing late is a stall too, and the latest one.
    stall = lag.stalled(started, ended) + max(0.0, ended - started - timeout)
    if stall > STALL_SHARE * timeout:
        return unprobed(target.label, _stall_reason(stall))
    return timed_out(target.label, target.expect)


def _answered(
    target: ProbeTarget, status: int, started: float, ended: float, lag: LoopLag
) -> TargetResult:
    result = judge(target.label, target.expect, status, ended - started)
    slow_after = target.expect.slow_after
    if result.outcome is Outcome.SLOW and slow_after is not None:
        stall = lag.stalled(started, ended)
        if stall > STALL_SHARE * slow_after:
            return unprobed(target.label, _stall_reason(stall))
    return result


def _stall_reason(stall: float) -> str:
    return f"this process stalled for {stall:.1f}s while probing: its timing cannot be trusted"


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


def _open_file_room() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 20
    return max(1, soft - FD_RESERVE)


class HttpProbes:
    """The ``SignalSource`` of every ``http`` signal.

    ``secrets`` resolves a signal's ``bearer_token`` reference (``env:VAR``, a Secrets Manager
    ARN, a Key Vault URI) at each collection; the bot's resolver keeps a cloud secret's value
    for a few minutes, so that is not a cloud call per evaluation. The token goes into the
    Authorization header and nowhere else.
    ``network_factory`` makes the network of one collection (default: sockets, ``wire``).
    ``max_in_flight`` caps concurrent probes (default: what the open-files limit allows);
    past it a probe waits, and its timeout starts only when it is sent.
    """

    def __init__(
        self,
        signals: Sequence[HttpSignal],
        clock: Clock,
        *,
        secrets: Callable[[str], str] | None = None,
        network_factory: Callable[[], ProbeNetwork] | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        if not signals:
            raise ValueError("HttpProbes needs at least one http signal")
        self._signals = tuple(signals)
        self._clock = clock
        self._secrets = secrets
        self._network_factory = network_factory or self._sockets
        self._max_in_flight = max_in_flight
        self._targets = plan_targets(self._signals)
        self._tls = any(t.origin.tls for t in self._targets)
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
        longest = max(t.expect.timeout for t in self._targets)
        return evaluation_time(len(self._targets), self._in_flight(), longest) + DEADLINE_SLACK

    async def collect(self) -> list[Reading]:
        finish_by = time.monotonic() + self.deadline - DEADLINE_SLACK / 2
        headers, problems = await self._headers()
        tails = {index: self._tail(index, wanted) for index, wanted in headers.items()}
        per_signal: dict[int, list[TargetResult]] = {index: [] for index in tails}
        requests: list[tuple[ProbeTarget, bytes]] = []
        for target in self._targets:
            tail = tails.get(target.signal)
            if tail is None:
                continue
            if tail.error:
                per_signal[target.signal].append(unprobed(target.label, tail.error))
            else:
                requests.append((target, tail.after(target.start)))
        network = self._network_factory()
        try:
            results = await probe_all(network, requests, self._in_flight(), finish_by)
        finally:
            await network.aclose()
        for (target, _request), result in zip(requests, results, strict=True):
            per_signal[target.signal].append(result)
        now = self._clock.now()
        return [
            Reading.unknown(signal.name, signal.vantage, problems[index], now)
            if index in problems
            else fold(signal, per_signal[index], now)
            for index, signal in enumerate(self._signals)
        ]

    def _in_flight(self) -> int:
        # The open-files limit is read at each evaluation: the process may raise it after
        # this source is built.
        return in_flight_limit(len(self._targets), self._max_in_flight)

    def _sockets(self) -> ProbeNetwork:
        if self._tls and self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        return SocketNetwork(self._ssl_context)

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
