"""How thousands of probes share one evaluation: when each starts, how long it may take, and
whether this process was fit to time it.

All probes run at once, up to what the open-files limit allows (past it a probe waits for a
free slot), started in batches with the event loop turning between them so that answers are
read while later probes start; a probe that could no longer finish before the evaluation's
deadline is not started at all. One loop timer bounds each probe from its own start, whatever
network carries it. The loop's lateness is sampled meanwhile: a probe that timed out (or
answered slowly) while this process stalled for more than half of its budget was timed by a
starved process (CPU throttling, a busy host, a long garbage collection), so its target
counts as unprobed and its signal as unknown, never as down.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import resource
import time
from collections.abc import Sequence
from typing import Final

from engine.adapters.http.network import ProbeNetwork
from engine.adapters.http.target import ProbeTarget
from engine.adapters.http.verdict import (
    Outcome,
    TargetResult,
    failed,
    judge,
    timed_out,
    unprobed,
)

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
