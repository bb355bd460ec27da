"""What a batch of change notices asks of an events pass, key by key.

A notice is a hint, never the truth, and notices come late, more than once and out of order
(S3 Event Notifications: "Amazon S3 event notifications are designed to be delivered at least
once", "typically delivered in seconds"; their ``sequencer`` orders the events of one key).
So for each key named, the pass either

- copies what the key holds now, without reading the destination first: when the key's last
  change is a write that no pass can have copied yet (made after the last listing, in a notice
  delivered for the first time), or when it was written more than once in no known order;
- probes: reads the destination's copy and copies only if it is not that version (the notice
  may be a duplicate, or name a write that a full pass copied already);
- looks the key up in the source, which decides: the key's last known change is a removal,
  or a removal is among changes in no known order. Nothing is deleted from the destination
  on a notice's word alone.

Copying without a look is never wrong, only wasteful when the copy was there already; the
look is skipped only where the notices prove it would not find the copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from engine.cloud_ports import ChangeNotice, ObjectChange, ObjectInfo
from engine.sync.plan import SyncPlan


@dataclass
class NoticeWork:
    plan: SyncPlan = field(default_factory=SyncPlan)
    """Keys to copy, or to probe and copy if they differ."""
    look_up: list[str] = field(default_factory=list)
    """Keys the source decides: copied if it has them, deleted (under ``mirror``) if not."""

    @property
    def keys(self) -> int:
        return self.plan.size + len(self.look_up)


def notice_work(
    notices: Iterable[ChangeNotice], prefix: str, unseen_after: datetime | None
) -> NoticeWork:
    """What to do about each key under ``prefix`` that ``notices`` name. ``unseen_after``
    (the source's clock): a write at or after it cannot have been copied by a listing pass;
    None when unknown (then every named write is probed)."""
    named: dict[str, list[ObjectChange]] = {}
    redelivered: set[str] = set()
    for notice in notices:
        for change in notice.changes:
            if not change.key.startswith(prefix):
                continue
            named.setdefault(change.key, []).append(change)
            if notice.redelivered:
                redelivered.add(change.key)
    work = NoticeWork()
    for key, changes in sorted(named.items()):
        last = _last(changes)
        if last is None:
            if any(c.removed for c in changes):
                work.look_up.append(key)
            else:
                work.plan.copy.append((ObjectInfo(key, 0, ""), None))
        elif last.removed:
            work.look_up.append(key)
        else:
            written = ObjectInfo(key, last.size, last.etag)
            unseen = (
                unseen_after is not None
                and last.at is not None
                and last.at >= unseen_after
                and key not in redelivered
            )
            if unseen or not last.etag:
                work.plan.copy.append((written, None))
            else:
                work.plan.probe.append(written)
    return work


def _last(changes: list[ObjectChange]) -> ObjectChange | None:
    """The key's last change, where the changes tell it: the one with the greatest sequencer,
    or the only one named (however many times). None when their order is unknown."""
    distinct = {(c.removed, c.etag, c.size, c.sequencer): c for c in changes}
    if len({k[:3] for k in distinct}) == 1:
        return next(iter(distinct.values()))
    ordered = list(distinct.values())
    if not all(c.sequencer for c in ordered):
        return None
    last = ordered[0]
    for change in ordered[1:]:
        if change.after(last):
            last = change
    return last
