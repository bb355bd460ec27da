"""The reporter's budget without Slack: posts paced per channel, one global edit budget, a 429's
Retry-After honoured, and only the latest state of each message ever sent."""

from __future__ import annotations

import pytest

from bot.reporter.budget import (
    EDIT,
    RateBudget,
    ReporterSettings,
    TokenBucket,
    post_key,
    retry_after,
)
from bot.reporter.outbox import Outbox, Send, Slot
from engine.incidents.messages import MessageRef
from handlers.blocks.kit import Rendered


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


SETTINGS = ReporterSettings(
    edits_per_minute=60.0, edit_burst=2, min_edit_interval=1.0, posts_per_second=1.0, post_burst=1
)


def shown(text: str) -> Rendered:
    return Rendered(text)


def outbox(clock: Clock, settings: ReporterSettings = SETTINGS) -> Outbox:
    return Outbox(settings, RateBudget(settings, clock), clock)


def send_due(box: Outbox, clock: Clock) -> Send | None:
    """What the reporter's worker would send now, landed as Slack would take it."""
    slot, _ = box.next_due()
    if slot is None:
        return None
    send = box.take(slot)
    posted = MessageRef(slot.channel, f"{clock.now:.6f}") if slot.ts is None else None
    box.landed(slot, send.rendered, posted)
    return send


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(per_second=2.0, burst=3, clock=clock)
    for _ in range(3):
        assert bucket.wait_time() == 0
        bucket.take()
    assert bucket.wait_time() == pytest.approx(0.5)
    clock.now += 0.5
    assert bucket.wait_time() == 0
    clock.now += 60
    for _ in range(3):
        bucket.take()
    assert bucket.wait_time() > 0, "idle time refills up to the burst, never beyond"


def test_edits_share_one_budget_and_posts_are_paced_per_channel() -> None:
    clock = Clock()
    budget = RateBudget(SETTINGS, clock)
    budget.spend(EDIT)
    budget.spend(EDIT)
    assert budget.delay(EDIT) == pytest.approx(1.0)
    budget.spend(post_key("#incidents"))
    assert budget.delay(post_key("#incidents")) == pytest.approx(1.0)
    assert budget.delay(post_key("#dr-drills")) == 0, "another channel has its own pace"


def test_a_429_pauses_only_that_kind_of_call_for_its_retry_after() -> None:
    clock = Clock()
    budget = RateBudget(SETTINGS, clock)
    budget.pause(EDIT, 30)
    assert budget.delay(EDIT) == pytest.approx(30)
    assert budget.delay(post_key("#incidents")) == 0
    clock.now += 30
    assert budget.delay(EDIT) == 0


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"Retry-After": "soon"}, 1.0),
        ({"Retry-After": "-4"}, 0.0),
        ({}, 1.0),
        (None, 1.0),
    ],
)
def test_retry_after_is_read_from_the_429s_header(
    headers: dict[str, str] | None, seconds: float
) -> None:
    assert retry_after(headers) == seconds


def test_a_storm_of_states_costs_one_edit_per_interval_and_the_last_state_lands() -> None:
    clock = Clock()
    box = outbox(clock)
    box.put("r1", "stage:sync", shown("0%"), channel="#incidents")
    assert send_due(box, clock) is not None  # the post
    sent: list[str] = []
    for percent in range(1, 101):
        box.put("r1", "stage:sync", shown(f"{percent}%"), channel="#incidents")
        clock.now += 0.05
        send = send_due(box, clock)
        if send is not None:
            sent.append(send.rendered.text)
    while box.pending:
        clock.now += 0.05
        send = send_due(box, clock)
        if send is not None:
            sent.append(send.rendered.text)
    assert sent[-1] == "100%", "the final state always lands"
    assert len(sent) <= 6, f"about one edit a second over 5 s, not one per state: {sent}"
    assert box.stats.edits == len(sent)
    assert box.stats.coalesced >= 90


def test_a_thread_reply_waits_for_its_head_and_goes_in_its_thread() -> None:
    clock = Clock()
    box = outbox(clock)
    box.put("r1", "stage:a", shown("a"), channel="#incidents", parent=("r1", "proposal"))
    assert box.next_due()[0] is None, "no head yet: nowhere to reply"
    box.put("r1", "proposal", shown("proposal"), channel="#incidents")
    head = send_due(box, clock)
    assert head is not None
    assert (head.rendered.text, head.thread_ts) == ("proposal", None)
    clock.now += 1
    reply = send_due(box, clock)
    assert reply is not None
    head_slot = box.get("r1", "proposal")
    assert head_slot is not None
    assert (reply.rendered.text, reply.thread_ts) == ("a", head_slot.ts)


def test_a_message_another_replica_posted_is_edited_not_posted() -> None:
    clock = Clock()
    box = outbox(clock)
    known = MessageRef("#incidents", "111.222")
    box.put("r1", "stage:a", shown("running"), channel="#incidents", known=known)
    slot = box.get("r1", "stage:a")
    assert slot is not None
    assert slot.call == EDIT
    send = send_due(box, clock)
    assert send is not None
    assert box.stats.posts == 0
    assert box.stats.edits == 1


def rate_limited_once(box: Outbox, slot: Slot, seconds: float) -> None:
    box.take(slot)
    box.rate_limited(slot, seconds)


def test_after_a_429_the_latest_state_goes_out_once_the_pause_is_over() -> None:
    clock = Clock()
    box = outbox(clock)
    box.put("r1", "summary", shown("v1"), channel="#incidents")
    slot, _ = box.next_due()
    assert slot is not None
    rate_limited_once(box, slot, 10)
    box.put("r1", "summary", shown("v2"), channel="#incidents")
    clock.now += 9
    assert box.next_due()[0] is None
    clock.now += 1
    send = send_due(box, clock)
    assert send is not None
    assert send.rendered.text == "v2"
    assert box.stats.rate_limited == 1
    assert not box.pending


def test_a_state_that_keeps_failing_is_given_up_and_a_later_one_tried_afresh() -> None:
    clock = Clock()
    settings = ReporterSettings(max_failures=2, min_edit_interval=0.0)
    box = outbox(clock, settings)
    box.put("r1", "stage:a", shown("v1"), channel="#incidents", known=MessageRef("#c", "1.0"))
    for _ in range(2):
        clock.now += 2
        slot, _ = box.next_due()
        assert slot is not None
        box.take(slot)
        box.failed(slot)
    assert not box.pending, "v1 is given up, not retried for ever"
    box.put("r1", "stage:a", shown("v2"), channel="#incidents")
    clock.now += 2
    send = send_due(box, clock)
    assert send is not None
    assert send.rendered.text == "v2"
    assert box.stats.failures == 2


def test_while_slack_is_out_of_reach_nothing_is_given_up_and_calls_wait_longer() -> None:
    clock = Clock()
    settings = ReporterSettings(max_failures=2, outage_first_wait=1.0, outage_longest_wait=8.0)
    box = outbox(clock, settings)
    box.put("r1", "proposal", shown("v1"), channel="#incidents")
    waits = []
    for _ in range(6):
        slot, wait = box.next_due()
        while slot is None:
            clock.now += wait
            slot, wait = box.next_due()
        box.take(slot)
        waits.append(box.unreachable(slot))
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert box.slack_unreachable
    assert box.pending, "six failed posts, and the message still waits for Slack"
    assert box.next_due()[0] is None, "no call before the pause is over"
    assert box.stats.unreachable == 6
    clock.now += 8
    send = send_due(box, clock)
    assert send is not None
    assert send.rendered.text == "v1"
    assert not box.slack_unreachable, "a call that goes through ends the outage"


def test_after_an_outage_each_message_lands_its_latest_state_in_one_call() -> None:
    clock = Clock()
    box = outbox(clock, ReporterSettings(min_edit_interval=0.0, edit_burst=10))
    for role in ("stage:a", "stage:b"):
        box.put("r1", role, shown("pending"), channel="#c", known=MessageRef("#c", role))
    slot, _ = box.next_due()
    assert slot is not None
    box.take(slot)
    box.unreachable(slot)
    for state in ("running", "retrying", "running", "succeeded"):
        for role in ("stage:a", "stage:b"):
            box.put("r1", role, shown(state), channel="#c")
    clock.now += 60
    sent = []
    while (send := send_due(box, clock)) is not None:
        sent.append((send.slot.role, send.rendered.text))
    assert sorted(sent) == [("stage:a", "succeeded"), ("stage:b", "succeeded")]
