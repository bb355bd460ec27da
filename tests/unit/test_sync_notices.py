"""What an events pass does about each key its change notices name (engine/sync/notices.py):
copy at once only what no pass can have copied, probe what may be there, and let the source
decide removals; duplicates, redeliveries and out-of-order notices change none of that."""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.cloud_ports import ChangeNotice, ObjectChange, ObjectInfo
from engine.sync.notices import NoticeWork, notice_work
from tests.support.clock import T0

LISTED = T0
"""When the last listing pass had listed the bucket: writes from then on are unseen."""
BEFORE = T0 - timedelta(seconds=5)
AFTER = T0 + timedelta(seconds=5)


def _write(
    key: str, etag: str = "e1", *, at: datetime | None = AFTER, sequencer: str = ""
) -> ObjectChange:
    return ObjectChange(key, etag=etag, size=10, at=at, sequencer=sequencer)


def _removal(key: str, *, sequencer: str = "") -> ObjectChange:
    return ObjectChange(key, removed=True, at=AFTER, sequencer=sequencer)


def _work(*notices: ChangeNotice, prefix: str = "") -> NoticeWork:
    return notice_work(notices, prefix, LISTED)


def _notice(*changes: ObjectChange, redelivered: bool = False) -> ChangeNotice:
    return ChangeNotice("receipt", changes, redelivered=redelivered)


def test_a_write_made_after_the_last_listing_is_copied_without_a_look() -> None:
    work = _work(_notice(_write("a")))

    assert work.plan.copy == [(ObjectInfo("a", 10, "e1"), None)]
    assert (work.plan.probe, work.look_up, work.keys) == ([], [], 1)


def test_a_write_a_listing_may_have_seen_is_probed_first() -> None:
    work = _work(_notice(_write("a", at=BEFORE)), _notice(_write("b", at=None)))

    assert work.plan.probe == [ObjectInfo("a", 10, "e1"), ObjectInfo("b", 10, "e1")]
    assert work.plan.copy == []


def test_without_a_listing_known_every_write_is_probed() -> None:
    work = notice_work([_notice(_write("a"))], "", None)

    assert work.plan.probe == [ObjectInfo("a", 10, "e1")]


def test_a_notice_delivered_before_is_probed_however_recent() -> None:
    work = _work(_notice(_write("a"), redelivered=True), _notice(_write("a")))

    assert work.plan.probe == [ObjectInfo("a", 10, "e1")]
    assert work.plan.copy == []


def test_duplicates_of_one_write_make_one_copy() -> None:
    work = _work(_notice(_write("a", sequencer="0A")), _notice(_write("a", sequencer="0A")))

    assert work.plan.copy == [(ObjectInfo("a", 10, "e1"), None)]
    assert work.keys == 1


def test_the_greatest_sequencer_is_the_last_change_whatever_the_delivery_order() -> None:
    # Delete then re-create, delivered backwards: the write is last, so it is copied and the
    # source need not be asked.
    recreated = _work(
        _notice(_write("a", "e2", sequencer="0C")), _notice(_removal("a", sequencer="0B"))
    )
    # Write then delete, delivered backwards: the removal is last, so the source decides.
    removed = _work(_notice(_removal("a", sequencer="0C")), _notice(_write("a", sequencer="0B")))
    # Two writes, the later one delivered first: the later version is the one compared.
    rewritten = _work(
        _notice(_write("a", "new", at=BEFORE, sequencer="0C")),
        _notice(_write("a", "old", at=BEFORE, sequencer="0B")),
    )

    assert (recreated.plan.copy, recreated.look_up) == ([(ObjectInfo("a", 10, "e2"), None)], [])
    assert (removed.plan.size, removed.look_up) == (0, ["a"])
    assert rewritten.plan.probe == [ObjectInfo("a", 10, "new")]


def test_sequencers_of_other_lengths_compare_right_padded_with_zeros() -> None:
    # S3 User Guide, "Event message structure": pad the shorter value on the right.
    later, earlier = _write("a", sequencer="1"), _write("a", sequencer="0FFFF")

    assert later.after(earlier)
    assert not earlier.after(later)
    assert not _write("a").after(earlier)  # no sequencer: no order


def test_changes_in_no_known_order_are_decided_by_the_source_or_copied_as_they_are_now() -> None:
    removal_among = _work(_notice(_write("a")), _notice(_removal("a")))
    two_writes = _work(_notice(_write("b", "e1")), _notice(_write("b", "e2")))

    assert (removal_among.plan.size, removal_among.look_up) == (0, ["a"])
    assert two_writes.plan.copy == [(ObjectInfo("b", 0, ""), None)]
    assert two_writes.look_up == []


def test_keys_outside_the_prefix_are_not_touched() -> None:
    work = _work(_notice(_write("logs/a"), _write("data/b"), _removal("logs/c")), prefix="data/")

    assert work.plan.copy == [(ObjectInfo("data/b", 10, "e1"), None)]
    assert (work.look_up, work.keys) == ([], 1)
