"""The ``Store`` port: everything CloudPhoenix must remember across restarts and replicas.

Adapters (SQLite, Redis) implement it and pass one contract suite (tests/contract/). The
contract, in the words an adapter author needs:

Time. An adapter judges expiry (leases, dedupe keys, active silences) by the ``Clock`` it was
built with, so tests can drive time and replicas agree as far as their clocks do.

Leases. ``acquire_lease(name, owner, ttl)`` takes the lease when nobody holds it or the holder's
lease has expired, and hands out a fencing token greater than every token ever issued for that
name (a release does not reset the counter). The same owner acquiring a lease it still holds
extends it and keeps its token. ``renew_lease`` extends only a lease still held (same owner and
token, not expired): an expired lease is gone, even if nobody took it since; its owner must
acquire anew and gets a new token. All of these are atomic.

Fenced writes. ``record(lease, ...)`` writes a run's state, stage records, progress events
and audit events in one atomic unit, and only while ``lease`` is held: the lease's name must be
``run_lease_name(run_id)`` of the run written, its owner and token must be the current ones and
it must not have expired. Otherwise it raises ``LeaseLost`` and writes nothing. A runner that
lost its lease can therefore never record over the new owner.

Compare-and-set. ``create_run`` fails with ``Conflict`` if the id exists; ``update_run`` writes
only if the stored state is ``expect`` (for transitions of a run nobody executes, such as
proposed -> awaiting_approval), else ``Conflict``.

Readiness. ``save_readiness`` replaces the latest readiness sweep (only the latest is kept);
``latest_readiness`` reads it back, as written.

Sequences. Progress events get ``seq`` 1, 2, ... per run; audit events ``seq`` 1, 2, ... over
the whole log; both in append order, assigned by the store.

Object sync. ``record_object_sync(lease, state, ...)`` replaces a pair's state (and appends the
pass that produced it to the pair's bounded history) in one atomic unit, and only while
``lease`` is held: its name must be ``object_sync_lease_name(state.pair)``, fenced as
``record`` is, else ``LeaseLost`` and nothing is written.

Failures. An adapter raises ``StoreUnavailable`` when it cannot reach its backend (``from``
the driver's error); it never drops a write silently.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from engine.readiness import ReadinessSweep
from engine.records import Approval, AuditEvent, Incident, Lease, ScoreSample, Silence
from engine.runs import ProgressEvent, Run, RunState, StageRecord
from engine.sync_records import ObjectSyncPass, ObjectSyncState


class LeaseStore(Protocol):
    def acquire_lease(self, name: str, owner: str, ttl: timedelta) -> Lease | None:
        """Take (or extend one's own) lease on ``name``; None when another owner holds it."""
        ...

    def renew_lease(self, lease: Lease, ttl: timedelta) -> Lease:
        """Extend a lease still held; raise ``LeaseLost`` if it expired or changed hands."""
        ...

    def release_lease(self, lease: Lease) -> bool:
        """Give the lease up if ``lease`` is still the current one; True if it was."""
        ...

    def get_lease(self, name: str) -> Lease | None:
        """The unexpired lease on ``name``, if any."""
        ...


class RunStore(Protocol):
    def create_run(self, run: Run, audit: Sequence[AuditEvent] = ()) -> None:
        """Insert a new run (and its audit events, atomically); ``Conflict`` if the id exists."""
        ...

    def update_run(self, run: Run, *, expect: RunState, audit: Sequence[AuditEvent] = ()) -> None:
        """Replace the run if its stored state is ``expect``; ``Conflict`` otherwise."""
        ...

    def record(
        self,
        lease: Lease,
        *,
        run: Run | None = None,
        stages: Sequence[StageRecord] = (),
        events: Sequence[ProgressEvent] = (),
        audit: Sequence[AuditEvent] = (),
    ) -> list[ProgressEvent]:
        """Fenced, atomic write of one run's state; returns the events with their ``seq``."""
        ...

    def get_run(self, run_id: str) -> Run | None: ...

    def list_runs(
        self, *, states: Collection[RunState] | None = None, limit: int = 50
    ) -> list[Run]:
        """Newest first (by creation time)."""
        ...

    def get_stages(self, run_id: str) -> list[StageRecord]:
        """Every stage record of the run, in no particular order."""
        ...

    def list_events(self, run_id: str, *, after: int = 0) -> list[ProgressEvent]:
        """The run's events with ``seq`` > ``after``, in order."""
        ...


class AuditStore(Protocol):
    def append_audit(self, event: AuditEvent) -> AuditEvent:
        """Append; returns the event with its ``seq``."""
        ...

    def list_audit(self, *, subject: str | None = None, limit: int = 100) -> list[AuditEvent]:
        """The latest ``limit`` events (of ``subject``, if given), oldest first."""
        ...

    def add_approval(self, approval: Approval) -> bool:
        """Keep an approval; False if this user already gave this decision on this subject."""
        ...

    def list_approvals(self, subject: str) -> list[Approval]:
        """Oldest first."""
        ...


class DedupeStore(Protocol):
    def claim(self, key: str, ttl: timedelta) -> bool:
        """True for the first claim of ``key`` within ``ttl``: a Slack retry or double click
        claiming the same key again gets False and must have no effect."""
        ...


class IncidentStore(Protocol):
    def save_incident(self, incident: Incident) -> None:
        """Insert or replace."""
        ...

    def get_incident(self, incident_id: str) -> Incident | None: ...

    def list_incidents(self, *, open_only: bool = False, limit: int = 50) -> list[Incident]:
        """Newest first (by opening time)."""
        ...

    def add_silence(self, silence: Silence) -> None: ...

    def remove_silence(self, silence_id: str) -> bool: ...

    def list_silences(self, *, active_at: datetime | None = None) -> list[Silence]:
        """All silences, or those active at ``active_at``; soonest to end first."""
        ...

    def append_score(self, sample: ScoreSample, *, keep: int) -> None:
        """Append, then drop the oldest samples beyond the newest ``keep``."""
        ...

    def score_history(self, *, limit: int | None = None) -> list[ScoreSample]:
        """The newest ``limit`` samples (all if None), oldest first."""
        ...


class ObjectSyncStore(Protocol):
    def record_object_sync(
        self,
        lease: Lease,
        state: ObjectSyncState,
        *,
        passed: ObjectSyncPass | None = None,
        keep: int = 288,
    ) -> None:
        """Fenced, atomic: replace the pair's state; append ``passed`` (if given) to the
        pair's history, then drop its oldest passes beyond the newest ``keep``."""
        ...

    def get_object_sync(self, pair: str) -> ObjectSyncState | None: ...

    def list_object_sync_passes(
        self, pair: str, *, limit: int | None = None
    ) -> list[ObjectSyncPass]:
        """The pair's newest ``limit`` passes (all if None), oldest first."""
        ...


class ReadinessStore(Protocol):
    def save_readiness(self, sweep: ReadinessSweep) -> None:
        """Keep ``sweep`` as the latest readiness sweep, in place of the one before."""
        ...

    def latest_readiness(self) -> ReadinessSweep | None:
        """The latest readiness sweep; None before the first."""
        ...


class Store(
    LeaseStore,
    RunStore,
    AuditStore,
    DedupeStore,
    IncidentStore,
    ObjectSyncStore,
    ReadinessStore,
    Protocol,
):
    """The whole port. Safe to share between threads."""

    def ping(self) -> None:
        """Return if the store answers; raise ``StoreUnavailable`` otherwise."""
        ...

    def close(self) -> None: ...
