"""The messages the reporter owns, each holding the *latest* state it should show.

A new state replaces the one waiting (coalescing), never queues behind it: a storm of progress
events costs at most one edit per message per ``min_edit_interval``, within the rate budget,
and the final state always lands once the budget allows. A message in a thread is posted only
after the thread's head has been, so it knows where to go.

While Slack cannot be reached, nothing is given up: every message keeps the latest state it
should show (a run goes on, and its messages go on changing), calls wait with a growing pause,
and when Slack answers again each message is brought to its true final state in one call —
no intermediate state is replayed.

Not thread-safe: the reporter calls it under its lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.reporter.budget import EDIT, Monotonic, RateBudget, ReporterSettings, post_key
from engine.incidents.messages import MessageRef
from handlers.blocks.kit import Rendered

SlotKey = tuple[str, str]
"""(run_id, role): the run a message belongs to, and which of its messages it is."""

_THREAD_DEPTH = 10


@dataclass
class Slot:
    run_id: str
    role: str
    channel: str
    seq: int
    """Order of first appearance: due messages go out oldest first."""
    desired: Rendered
    parent: SlotKey | None = None
    """The slot whose message (or whose thread) this one replies in."""
    ts: str | None = None
    """Slack's id of the message once posted; "" once its post was given up."""
    landed: Rendered | None = None
    last_sent: float = float("-inf")
    failures: int = 0

    @property
    def dirty(self) -> bool:
        if self.ts == "":
            return False
        return self.ts is None or self.desired != self.landed

    @property
    def call(self) -> str:
        """The budget this slot's next call draws from: a post in its channel, or an edit."""
        return post_key(self.channel) if self.ts is None else EDIT


@dataclass
class ReporterStats:
    posts: int = 0
    edits: int = 0
    coalesced: int = 0
    rate_limited: int = 0
    failures: int = 0
    withdrawn: int = 0
    """Own posts deleted because another replica had posted (and claimed) the message."""
    unreachable: int = 0
    """Calls that did not reach Slack (refused connection, timeout, Slack's own 5xx)."""


@dataclass(frozen=True)
class Send:
    """One call to make: post ``rendered`` (in ``thread_ts``'s thread, if given), or edit."""

    slot: Slot
    rendered: Rendered
    thread_ts: str | None


class Outbox:
    def __init__(self, settings: ReporterSettings, budget: RateBudget, clock: Monotonic) -> None:
        self._settings = settings
        self._budget = budget
        self._clock = clock
        self._slots: dict[SlotKey, Slot] = {}
        self._seq = 0
        self._outage_wait = 0.0
        self.stats = ReporterStats()

    def get(self, run_id: str, role: str) -> Slot | None:
        return self._slots.get((run_id, role))

    @property
    def pending(self) -> bool:
        """Whether some message does not show its latest state yet."""
        return any(slot.dirty for slot in self._slots.values())

    def put(
        self,
        run_id: str,
        role: str,
        rendered: Rendered,
        *,
        channel: str,
        parent: SlotKey | None = None,
        known: MessageRef | None = None,
    ) -> None:
        """Make ``rendered`` the state message ``(run_id, role)`` should show; ``known`` is
        where the message already is, if it was posted before (by any replica)."""
        slot = self._slots.get((run_id, role))
        if slot is None:
            self._seq += 1
            slot = Slot(run_id, role, channel, self._seq, rendered, parent)
            if known is not None:
                slot.channel, slot.ts = known.channel, known.ts
            self._slots[(run_id, role)] = slot
            return
        if slot.dirty and slot.ts is not None and slot.desired != rendered:
            self.stats.coalesced += 1
        slot.desired = rendered

    def next_due(self) -> tuple[Slot | None, float]:
        """The slot to send now, or how long to wait before one may be due."""
        now = self._clock()
        wait = 0.5
        for slot in sorted(self._slots.values(), key=lambda s: s.seq):
            if not slot.dirty:
                continue
            if slot.ts is None and slot.parent is not None:
                root = self._root(slot)
                if root is None or not root.ts:
                    continue  # its thread's head is not posted yet
            delay = self._budget.delay(slot.call)
            if slot.ts is not None:
                delay = max(delay, slot.last_sent + self._settings.min_edit_interval - now)
            if delay <= 0:
                return slot, 0.0
            wait = min(wait, delay)
        return None, max(wait, 0.01)

    def take(self, slot: Slot) -> Send:
        """Spend the budget of ``slot``'s next call, and say what to send."""
        self._budget.spend(slot.call)
        if slot.ts is None:
            root = self._root(slot) if slot.parent else None
            return Send(slot, slot.desired, root.ts if root else None)
        slot.last_sent = self._clock()
        return Send(slot, slot.desired, None)

    def landed(self, slot: Slot, shown: Rendered | None, posted: MessageRef | None) -> None:
        """The call went through: ``slot``'s message shows ``shown`` (None: not this replica's
        latest state, which is still to land), and was ``posted`` there if it was a post."""
        if posted is not None:
            slot.channel, slot.ts = posted.channel, posted.ts
            slot.last_sent = self._clock()
            self.stats.posts += 1
        else:
            self.stats.edits += 1
        slot.landed = shown
        slot.failures = 0
        self._outage_wait = 0.0

    @property
    def slack_unreachable(self) -> bool:
        """Whether the last call did not reach Slack (and none has since)."""
        return self._outage_wait > 0

    def unreachable(self, slot: Slot) -> float:
        """``slot``'s call did not reach Slack: no call of any kind for a while, growing while
        the outage lasts; the slot stays dirty, so its latest state goes out when Slack is
        back. A post whose answer was lost may have gone through, and is made again: Slack has
        no idempotency key for chat.postMessage. Returns the pause, in seconds."""
        s = self._settings
        self._outage_wait = min(
            max(self._outage_wait * 2, s.outage_first_wait), s.outage_longest_wait
        )
        self._budget.pause_all(self._outage_wait)
        self.stats.unreachable += 1
        self.stats.failures += 1
        slot.last_sent = self._clock()
        return self._outage_wait

    def rate_limited(self, slot: Slot, seconds: float) -> None:
        """Slack answered 429 to ``slot``'s call: pause that kind of call; the slot stays
        dirty, so its latest state goes out once the pause is over."""
        self._budget.pause(slot.call, seconds)
        self.stats.rate_limited += 1

    def failed(self, slot: Slot) -> None:
        """Slack refused the call (an error it answered, not a rate limit): after
        ``max_failures`` this state is given up rather than looped on; a later state is tried
        afresh."""
        self.stats.failures += 1
        slot.failures += 1
        slot.last_sent = self._clock()
        if slot.failures >= self._settings.max_failures:
            slot.landed = slot.desired
            if slot.ts is None:
                slot.ts = ""

    def give_up(self, slot: Slot) -> None:
        """A call failed in a way that trying again cannot mend (e.g. an upload Slack
        refused): leave this state as it is."""
        self.stats.failures += 1
        slot.landed = slot.desired
        if slot.ts is None:
            slot.ts = ""

    def _root(self, slot: Slot) -> Slot | None:
        """The top-level message of ``slot``'s thread (Slack threads are one level deep)."""
        seen = 0
        while slot.parent is not None and seen < _THREAD_DEPTH:
            parent = self._slots.get(slot.parent)
            if parent is None:
                return None
            slot, seen = parent, seen + 1
        return slot
