"""Continuous object sync: passes between incidents that keep the DR side warm.

A pass brings one pair (an S3 bucket or prefix -> a Blob container or prefix) up to date and
costs little when little changed. It is one of three kinds (``SyncPassKind``):

- ``events``, where the bucket's change feed is configured: only the keys S3's notifications
  named are looked at. A notice is a hint, never the truth: a key is copied as it is now, and a
  removal is applied (under ``mirror``) only if the bucket no longer has the key. A write that
  no listing can have seen (made after the last full or since pass had listed the bucket:
  ``listed_until``) is copied without reading the container first (``engine.sync.notices``).
  Notices are acknowledged once their keys are handled; those of failed keys come back later.
  The feed is known to be dry only after a wait of its own, which runs beside the copies.
- ``since``: the bucket is listed, but only objects modified at or after the watermark are
  compared with their copies (by ``head``), and nothing else is read; one modified after the
  last listing (``listed_until``) is copied without that ``head``.
- ``full``: both sides listed and compared, as a failover's own sync does. The first pass is
  one, and so is a pass once ``full_every`` has passed since the last: it catches what the
  others cannot (uploads longer than the margin, deletions without a feed, a container changed
  behind the sync's back, a notice lost).

The watermark is kept in the bucket's clock, never ours. S3 stamps ``LastModified`` with the
time an upload *started* (for a multipart upload, its initiation: Amazon S3 User Guide,
"Working with object metadata"), so an object can appear after a pass with a modification
time before that pass began; and listings are in key order, not time order. So a pass reads
S3's clock (``StoreClock``) before it lists, and the next pass looks at everything modified
since that reading less ``margin``: the margin must cover the longest upload and the skew
between S3's own hosts; what exceeds it waits for the next full pass. An object that failed
holds the watermark back to its own modification time, so the next pass tries it again.

Passes never overlap: each holds the pair's lease in the Store (renewed as it goes) and
writes its state under it, so two replicas, or a replica that lost leadership mid-pass, never
run two at once. A pass starts only when ``hold`` has nothing to say, and stops (``stopped``)
as soon as it has: ``hold`` is how the caller keeps passes away from a run that syncs the
same pair, and off the DR side once it may be serving.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from engine.cloud_ports import ChangeFeed, ChangeNotice, ObjectInfo, ObjectStore, StoreClock
from engine.errors import LeaseLost, StageError, StoreError
from engine.ports import Clock
from engine.records import Lease
from engine.store import Store
from engine.sync.incremental import SyncOptions, SyncProgress, SyncReport, attempt_sync
from engine.sync.notices import notice_work
from engine.sync.plan import KeyMap, SyncPlan
from engine.sync_records import (
    ObjectBacklog,
    ObjectSyncPass,
    ObjectSyncState,
    SyncPassKind,
    SyncPassOutcome,
    object_sync_lease_name,
)

log = logging.getLogger(__name__)

_DATE_RESOLUTION = timedelta(seconds=1)
"""S3's clock is read to the second, rounded down (``StoreClock``): a reading may be this much
early."""

_NOTICES_AT_ONCE = 100
"""Change notices an events pass handles together (ten receives of SQS's ten at most)."""

Hold = Callable[[], str]
"""Why a pass must not run (or go on) now; empty when it may."""


@dataclass(frozen=True)
class ContinuousOptions:
    sync: SyncOptions = field(default_factory=SyncOptions)
    """Prefixes, deletion policy and concurrency, as the failover's own sync has them."""
    margin: timedelta = timedelta(minutes=15)
    full_every: timedelta = timedelta(hours=24)
    lease_ttl: timedelta = timedelta(seconds=60)
    look_every: float = 1.0
    """Seconds between looks at ``hold`` while a pass runs."""
    feed_limit: int = 10_000
    """Notices one pass takes from the change feed; the rest wait for the next."""
    keep: int = 288
    """Passes kept in the Store's history (a day of passes every five minutes)."""


class _Stop(Exception):
    """A pass gives way: ``hold`` spoke, or the pair's lease was lost."""


@dataclass
class _Outcome:
    """What a pass did, whatever its kind, for the record."""

    kind: SyncPassKind
    report: SyncReport | None = None
    examined: int = 0
    watermark: datetime | None = None
    covered: bool = True
    """Whether everything the source held when the pass began was looked at."""
    listed_until: datetime | None = None
    """The source's clock once its listing was done, for a pass that listed it."""


class ContinuousSync:
    """Passes over one pair; ``run`` makes one if it may."""

    def __init__(
        self,
        pair: str,
        source: ObjectStore,
        source_clock: StoreClock,
        destination: ObjectStore,
        store: Store,
        *,
        clock: Clock,
        owner: str,
        options: ContinuousOptions | None = None,
        feed: ChangeFeed | None = None,
    ) -> None:
        self.pair = pair
        self._source = source
        self._source_clock = source_clock
        self._destination = destination
        self._store = store
        self._clock = clock
        self._owner = owner
        self.options = options or ContinuousOptions()
        self._feed = feed
        self._lease_name = object_sync_lease_name(pair)
        self._keys = KeyMap(self.options.sync.prefix, self.options.sync.destination_prefix)

    def state(self) -> ObjectSyncState | None:
        return self._store.get_object_sync(self.pair)

    def run(self, hold: Hold = lambda: "") -> ObjectSyncPass | None:
        """One pass, recorded in the Store; None if none ran: another pass holds the pair,
        or ``hold`` says why not (recorded as the state's ``held``)."""
        lease = self._store.acquire_lease(self._lease_name, self._owner, self.options.lease_ttl)
        if lease is None:
            log.info("object sync pass skipped: another is running", extra={"pair": self.pair})
            return None
        try:
            return self._run(lease, hold)
        finally:
            try:
                self._store.release_lease(lease)
            except StoreError as exc:
                log.warning("object sync lease not released (%s): it expires by itself", exc)

    def _run(self, lease: Lease, hold: Hold) -> ObjectSyncPass | None:
        now = self._clock.now()
        state = self.state() or ObjectSyncState(self.pair, now)
        reason = hold()
        if reason:
            if state.held != reason:
                log.info("object sync holds off: %s", reason, extra={"pair": self.pair})
                held = replace(state, updated_at=now, held=reason, held_since=now)
                self._store.record_object_sync(lease, held)
            return None
        guard = _Guard(self._store, lease, hold, self.options)
        kind = self._kind(state, now)
        progress: list[SyncProgress] = []
        try:
            outcome = self._pass(kind, state, guard, progress.append)
        except _Stop as stop:
            last = progress[-1] if progress else None
            done = f" after {last.objects_done} of {last.objects_total} objects" if last else ""
            stopped = _Outcome(kind, examined=last.objects_done if last else 0, covered=False)
            gave_up = (SyncPassOutcome.STOPPED, f"stopped{done}: {stop}")
            return self._record(guard.lease, state, now, stopped, gave_up)
        except StageError as exc:
            failed = (SyncPassOutcome.FAILED, f"failed: {exc}")
            return self._record(guard.lease, state, now, _Outcome(kind, covered=False), failed)
        return self._record(guard.lease, state, now, outcome, None)

    def _kind(self, state: ObjectSyncState, now: datetime) -> SyncPassKind:
        full_due = state.last_full_at is None or now - state.last_full_at >= self.options.full_every
        if full_due:
            return SyncPassKind.FULL
        if self._feed is not None:
            return SyncPassKind.EVENTS
        return SyncPassKind.FULL if state.watermark is None else SyncPassKind.SINCE

    # -- the three kinds

    def _pass(
        self,
        kind: SyncPassKind,
        state: ObjectSyncState,
        guard: _Guard,
        progress: Callable[[SyncProgress], None],
    ) -> _Outcome:
        if kind is SyncPassKind.EVENTS:
            return self._events_pass(state, guard, progress)
        store_now = self._source_clock.store_time()
        work = None
        examined = 0
        if kind is SyncPassKind.SINCE:
            assert state.watermark is not None
            work = SyncPlan()
            unseen_after = _unseen_after(state)
            for item in self._modified_since(state.watermark, guard):
                modified = item.last_modified
                if unseen_after is not None and modified is not None and modified >= unseen_after:
                    work.copy.append((item, None))  # no listing saw it: no pass copied it
                else:
                    work.probe.append(item)
            examined = work.size
        report = self._sync(work, guard, progress)
        if work is None:
            examined = report.listed
        watermark = _earliest(store_now - self.options.margin, report.oldest_failed)
        listed = self._source_clock.store_time()
        return _Outcome(kind, report, examined, watermark, listed_until=listed)

    def _modified_since(self, watermark: datetime, guard: _Guard) -> Iterator[ObjectInfo]:
        for seen, item in enumerate(self._source.list(self.options.sync.prefix)):
            if seen % 1000 == 0:
                guard.check()
            if item.last_modified is None or item.last_modified >= watermark:
                yield item

    def _events_pass(
        self, state: ObjectSyncState, guard: _Guard, progress: Callable[[SyncProgress], None]
    ) -> _Outcome:
        """Handle the feed's notices a hundred at a time, each hundred while the next is
        received in the background: the copies need not wait for the queue's answers, nor for
        the wait that shows it dry (a receive that brings fewer than it asked for has waited
        and found nothing more). Stops there, or at ``feed_limit``."""
        feed = self._feed
        assert feed is not None
        unseen_after = _unseen_after(state)
        limit = self.options.feed_limit
        notices = feed.receive(min(_NOTICES_AT_ONCE, limit), confirm=False)
        taken = len(notices)
        dry = False
        report: SyncReport | None = None
        examined = 0
        with ThreadPoolExecutor(1, "change-feed") as background:
            while True:
                ask = 0 if dry else min(_NOTICES_AT_ONCE, limit - taken)
                receiving = background.submit(feed.receive, ask) if ask > 0 else None
                if notices or report is None:
                    handled, keys = self._handle_notices(notices, unseen_after, guard, progress)
                    report = handled if report is None else report.plus(handled)
                    examined += keys
                if receiving is None:
                    break
                notices = receiving.result()
                taken += len(notices)
                dry = len(notices) < ask
        return _Outcome(SyncPassKind.EVENTS, report, examined, state.watermark, covered=dry)

    def _handle_notices(
        self,
        notices: list[ChangeNotice],
        unseen_after: datetime | None,
        guard: _Guard,
        progress: Callable[[SyncProgress], None],
    ) -> tuple[SyncReport, int]:
        """Bring the keys ``notices`` name up to date and acknowledge the notices whose keys
        all made it; the report, and how many keys were named."""
        assert self._feed is not None
        for notice in notices:
            if notice.problem:
                log.warning("change feed notice skipped: %s", notice.problem)
        work = notice_work(notices, self.options.sync.prefix, unseen_after)
        for key in work.look_up:
            guard.check()
            found = self._source.head(key)
            if found is None:
                work.plan.extra.append(self._keys.target(key))
            else:
                work.plan.copy.append((found, None))
        # A notice names a key, not a version: what the key holds now is streamed (a
        # server-side copy would need the size before reading).
        report = self._sync(work.plan, guard, progress, server_side_copy=False)
        failed = {f.key for f in report.failed}
        done = [
            notice
            for notice in notices
            if not any(
                self._keys.target(c.key) in failed or c.key in failed for c in notice.changes
            )
        ]
        missed = self._feed.acknowledge(done)
        if missed:
            log.warning("%d change feed notices not acknowledged: they come back", missed)
        return report, work.keys

    def _sync(
        self,
        work: SyncPlan | None,
        guard: _Guard,
        progress: Callable[[SyncProgress], None],
        *,
        server_side_copy: bool = True,
    ) -> SyncReport:
        options = self.options.sync
        if not server_side_copy:
            options = replace(options, server_side_copy=False)
        return attempt_sync(
            self._source,
            self._destination,
            options,
            work=work,
            progress=progress,
            check=guard.check,
        )

    # -- the record

    def _record(
        self,
        lease: Lease,
        state: ObjectSyncState,
        started: datetime,
        outcome: _Outcome,
        gave_up: tuple[SyncPassOutcome, str] | None,
    ) -> ObjectSyncPass:
        """Record the pass and the state it leaves. A pass that gave up (``gave_up``: stopped
        or failed, and why) changes nothing the next pass relies on: not the watermark, not
        what is covered or pending."""
        finished = self._clock.now()
        report = outcome.report
        if gave_up is not None:
            result, detail = gave_up
        else:
            failed = report is not None and bool(report.failed)
            result = SyncPassOutcome.INCOMPLETE if failed else SyncPassOutcome.SUCCEEDED
            detail = _first_failure(report)
        new = replace(state, updated_at=finished, held="", held_since=None)
        if report is not None and gave_up is None:
            pending = ObjectBacklog(len(report.failed), report.failed_bytes, report.oldest_failed)
            new = replace(new, watermark=outcome.watermark, pending=pending)
            if outcome.covered:
                new = replace(new, covered_until=started)
            if outcome.listed_until is not None:
                new = replace(new, listed_until=outcome.listed_until)
            if outcome.kind is SyncPassKind.FULL:
                new = replace(new, last_full_at=started)
        done = ObjectSyncPass(
            self.pair,
            outcome.kind,
            result,
            started,
            finished,
            examined=outcome.examined,
            copied=report.copied if report else 0,
            copied_bytes=report.copied_bytes if report else 0,
            deleted=report.deleted if report else 0,
            failed=len(report.failed) if report else 0,
            failed_bytes=report.failed_bytes if report else 0,
            watermark=new.watermark,
            detail=detail,
        )
        new = replace(new, last_pass=done)
        log.info(
            "object sync pass %s: %s",
            result.value,
            report.summary() if report and gave_up is None else detail,
            extra={"pair": self.pair, "kind": outcome.kind.value, "seconds": done.seconds},
        )
        try:
            self._store.record_object_sync(lease, new, passed=done, keep=self.options.keep)
        except LeaseLost:
            log.warning("object sync pass not recorded: its lease was lost")
        return done


class _Guard:
    """The check a pass calls between objects: keeps the pair's lease and asks ``hold``,
    each at most every so often, and stops the pass when either says so."""

    def __init__(self, store: Store, lease: Lease, hold: Hold, options: ContinuousOptions):
        self._store = store
        self.lease = lease
        self._hold = hold
        self._renew_every = options.lease_ttl.total_seconds() / 3
        self._ttl = options.lease_ttl
        self._look_every = options.look_every
        self._renewed = self._looked = time.monotonic()

    def check(self) -> None:
        now = time.monotonic()
        if now - self._renewed >= self._renew_every:
            try:
                self.lease = self._store.renew_lease(self.lease, self._ttl)
            except LeaseLost as exc:
                raise _Stop(f"the pass lost its lease ({exc})") from exc
            self._renewed = now
        if now - self._looked >= self._look_every:
            self._looked = now
            reason = self._hold()
            if reason:
                raise _Stop(reason)


def _unseen_after(state: ObjectSyncState) -> datetime | None:
    """The source's time from which no listing pass has seen a write (so none copied it);
    None when no listing pass has finished."""
    listed = state.listed_until
    return None if listed is None else listed + _DATE_RESOLUTION


def _earliest(first: datetime, second: datetime | None) -> datetime:
    return first if second is None else min(first, second)


def _first_failure(report: SyncReport | None) -> str:
    if report is None or not report.failed:
        return ""
    first = report.failed[0]
    return f"{first.key}: {first.reason}"
