"""The verdict on an http signal: one answer judged against what its signal expects, a
failure put in a few words, and a signal's targets folded into one ``Reading``.

A target fails on a connection error, a timeout, an unexpected status or an answer that is
not HTTP, and is slow past ``slow_after``. A signal folds its targets: all ok -> ok, some
failing or slow -> degraded, all failing -> down; ``value`` is the share failing. When a
target could not be probed at all (this process ran out of sockets, a bearer token could not
be resolved, this process stalled while timing it) the signal is ``unknown``: our own
trouble is never a service's outage. Details name targets as ``engine.text.shown_url`` shows
them, without credentials or query.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final

from engine.adapters.http.network import ProbeFailed
from engine.config import HttpSignal
from engine.model import Reading, Status
from engine.text import clip

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
