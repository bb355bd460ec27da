"""What continuous object sync remembers between passes, as the Store keeps it.

One ``ObjectSyncState`` per pair (``s3://bucket[/prefix] -> blob://container[/prefix]``),
replaced by every pass, plus a bounded history of ``ObjectSyncPass`` records. The state is
small on purpose: a readiness check reads the backlog from it without listing anything.

Two clocks meet here, and each field says which it is in. ``watermark`` and the modification
times of pending objects are the source store's own clock (S3 stamps ``LastModified``); the
moments a pass started or finished are the bot's clock. They agree as far as NTP makes them,
which is seconds: enough for ages counted in minutes, never used to decide what to copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


def object_pair(source: str, destination: str) -> str:
    """The name of a synchronised pair, from its two locations (``s3://bucket/prefix``,
    ``blob://container/prefix``)."""
    return f"{source} -> {destination}"


def object_sync_lease_name(pair: str) -> str:
    """The lease a pass holds on its pair: passes never overlap, on one replica or several,
    and the state is written only under it."""
    return f"object-sync:{pair}"


class SyncPassKind(StrEnum):
    FULL = "full"
    """Both sides listed and every object compared: catches what the others cannot (uploads
    longer than the margin, deletions, a destination changed behind the sync's back)."""
    SINCE = "since"
    """The source listed, and only objects modified since the watermark compared."""
    EVENTS = "events"
    """Only the objects the source's change feed (S3 Event Notifications) named."""


class SyncPassOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    """Everything the pass looked at is in the destination."""
    INCOMPLETE = "incomplete"
    """Some objects failed; they are the state's ``pending`` and the next pass tries again."""
    FAILED = "failed"
    """The pass could not run (a store unreachable, access denied): nothing is known newer."""
    STOPPED = "stopped"
    """The pass gave way (a run began to sync the pair, leadership moved) before it finished."""


@dataclass(frozen=True)
class ObjectBacklog:
    """Objects known to be in the source and not yet in the destination."""

    objects: int = 0
    bytes: int = 0
    oldest: datetime | None = None
    """The earliest modification time among them (the source's clock), where known."""


@dataclass(frozen=True)
class ObjectSyncPass:
    """One pass of continuous sync over one pair."""

    pair: str
    kind: SyncPassKind
    outcome: SyncPassOutcome
    started_at: datetime
    finished_at: datetime
    examined: int = 0
    """Objects compared with their destination copy (listed, or named by the change feed)."""
    copied: int = 0
    copied_bytes: int = 0
    deleted: int = 0
    failed: int = 0
    failed_bytes: int = 0
    watermark: datetime | None = None
    """The state's watermark after this pass."""
    detail: str = ""
    """Why the pass failed or stopped, or its first failed object and why."""

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class ObjectSyncState:
    """What continuous sync knows of one pair between passes; readiness reads it.

    The backlog a failover would have to copy is ``pending`` (counted) plus whatever was
    written to the source since ``covered_until`` (not counted: that would take a listing).
    """

    pair: str
    updated_at: datetime
    watermark: datetime | None = None
    """The source's clock: the next ``since`` pass compares every source object modified at
    or after this. Everything modified before it is in the destination (bar ``pending``)
    unless its upload took longer than the margin, which the next full pass finds."""
    listed_until: datetime | None = None
    """The source's clock, rounded down to the second: when the last full or since pass that
    finished had listed the source. A change made a second or more after it names a version
    no listing has seen, so no pass has copied it unless a change notice named it."""
    covered_until: datetime | None = None
    """The bot's clock: every object the source held when the last finished pass began is in
    the destination, bar ``pending``. None before the first pass finished."""
    pending: ObjectBacklog = ObjectBacklog()
    """What the last finished pass could not copy."""
    last_full_at: datetime | None = None
    """When the last full pass that finished began (the bot's clock)."""
    last_pass: ObjectSyncPass | None = None
    held: str = ""
    """Why continuous sync holds off now (a run syncs the pair, the DR side may be serving);
    empty while it runs."""
    held_since: datetime | None = None

    def oldest_uncopied(self) -> datetime | None:
        """How old the oldest object not yet in the destination may be, at most: the earlier
        of ``covered_until`` and the oldest pending object. None before the first pass."""
        if self.covered_until is None:
            return None
        if self.pending.oldest is None:
            return self.covered_until
        return min(self.covered_until, self.pending.oldest)

    def backlog_age(self, now: datetime) -> timedelta | None:
        """The object RPO if the DR side took over at ``now``: the age of ``oldest_uncopied``."""
        oldest = self.oldest_uncopied()
        return None if oldest is None else max(now - oldest, timedelta(0))
