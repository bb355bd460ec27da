"""Progress events -> Slack messages: the proposal edited in place, one thread reply per stage
edited as it progresses, and a summary. Coalesced and rate-limit safe (DESIGN §6).

The reporter keeps the *latest* content of each message it owns (a slot), never a queue of
states: an update replaces what was waiting, so a storm of progress events costs at most one
edit per message per ``min_edit_interval`` — and all edits share one global budget, because
Slack's ``chat.update`` limit (Tier 3, ~50 a minute) is per app across the workspace. Posts
are paced per channel (~1 a second). A 429 pauses that kind of call for its Retry-After and
leaves the slot dirty, so the final state always lands once the budget allows.

One worker thread makes every call; ``publish`` and ``on_event`` only change slots, so a
listener that publishes never waits for Slack.

Where a run's messages live is kept in the Store (``MessageLocations.remember``), so a
replica that resumes a run whose executor died edits the proposal, stage and summary messages
already in the thread instead of posting them again. It reads them (and the events it missed)
once, when it first sees the run; after a post it claims the message's role, and if another
replica claimed it first, deletes its own post and edits that replica's message instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from engine.config import PhoenixConfig
from engine.drills.desk import DrillDesk
from engine.drills.report import DrillReport
from engine.errors import StoreError
from engine.incidents.desk import IncidentDesk
from engine.incidents.messages import MessageRef
from engine.incidents.proposals import Proposal
from engine.runner.projection import RunProjection, StageView
from engine.runs import EventKind, ProgressEvent, Run
from handlers import blocks
from handlers.blocks.kit import Rendered

log = logging.getLogger("bot.reporter.slack")

Monotonic = Callable[[], float]
PROPOSAL = "proposal"
SUMMARY = "summary"
STAGE = "stage:"


@dataclass(frozen=True)
class ReporterSettings:
    edits_per_minute: float = 45.0
    """The global chat.update budget, kept under Slack's ~50 a minute."""
    edit_burst: int = 5
    min_edit_interval: float = 1.0
    """No message is edited more often than this (seconds)."""
    posts_per_second: float = 1.0
    """Per channel."""
    post_burst: int = 3
    max_failures: int = 5
    """Non-rate-limit errors tolerated on one message before its update is given up."""


class TokenBucket:
    def __init__(self, per_second: float, burst: int, clock: Monotonic) -> None:
        self._rate, self._burst, self._clock = per_second, float(burst), clock
        self._tokens, self._at = float(burst), clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now

    def wait_time(self) -> float:
        self._refill()
        return 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self._rate

    def take(self) -> None:
        self._refill()
        self._tokens -= 1.0


@dataclass
class _Slot:
    run_id: str
    role: str
    channel: str
    seq: int
    desired: Rendered
    parent: tuple[str, str] | None = None
    """The (key, role) of the slot whose message (or whose thread) this one replies in."""
    ts: str | None = None
    landed: Rendered | None = None
    last_sent: float = float("-inf")
    failures: int = 0

    @property
    def dirty(self) -> bool:
        if self.ts == "":
            return False  # its post was given up
        return self.ts is None or self.desired != self.landed


@dataclass
class _Track:
    """What the reporter knows of one run: its stage views, and where its messages are."""

    projection: RunProjection
    messages: dict[str, MessageRef] = field(default_factory=dict)
    """The run's messages (by role) the Store knew of when this reporter first saw the run."""
    missed: list[ProgressEvent] = field(default_factory=list)
    """The run's events from before that, still to fold (after the thread's head is shown,
    so that a stage message never posted yet goes to the head's channel)."""


@dataclass
class ReporterStats:
    posts: int = 0
    edits: int = 0
    coalesced: int = 0
    rate_limited: int = 0
    failures: int = 0
    withdrawn: int = 0
    """Own posts deleted because another replica had posted (and claimed) the message."""


class SlackReporter:
    def __init__(
        self,
        client: WebClient,
        desk: IncidentDesk,
        config: PhoenixConfig,
        *,
        settings: ReporterSettings | None = None,
        clock: Monotonic = time.monotonic,
        drills: DrillDesk | None = None,
    ) -> None:
        self._client = client
        self._desk = desk
        self.drills = drills
        self._config = config
        self.settings = settings or ReporterSettings()
        self._clock = clock
        s = self.settings
        self._edits = TokenBucket(s.edits_per_minute / 60.0, s.edit_burst, clock)
        self._posts: dict[str, TokenBucket] = {}
        self._paused: dict[str, float] = {}
        """Method or ``post:<channel>`` -> monotonic time until which a 429 pauses it."""
        self._slots: dict[tuple[str, str], _Slot] = {}
        self._tracks: dict[str, _Track] = {}
        self._seq = 0
        self._busy = 0
        self._cond = threading.Condition()
        self._stopping = False
        self.stats = ReporterStats()
        self._thread = threading.Thread(target=self._work, name="slack-reporter", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ inputs

    def publish(self, proposal: Proposal) -> None:
        """Show ``proposal`` (post it, or edit the message it already has). The proposal of an
        escalation goes in the thread of the incident's first proposal."""
        rendered = blocks.proposal_message(proposal)
        parent: tuple[str, str] | None = None
        incident = proposal.incident
        if incident is not None and incident.run_ids and incident.run_ids[0] != proposal.run_id:
            root = incident.run_ids[0]
            parent = (root, PROPOSAL)
            with self._cond:
                has_root = parent in self._slots
            if not has_root:
                root_proposal = self._desk.register.proposal(root)
                if root_proposal is not None:
                    self.publish(root_proposal)
        self.show(
            proposal.run_id, PROPOSAL, rendered, channel=self._config.slack.channel, parent=parent
        )

    def show(
        self,
        key: str,
        role: str,
        rendered: Rendered,
        *,
        channel: str,
        known: MessageRef | None = None,
        parent: tuple[str, str] | None = None,
    ) -> None:
        """Post ``rendered`` as message ``(key, role)`` or edit the one it is already; in the
        thread of ``parent``'s message when given. A top-level message another replica
        posted is found in the Store and edited, never posted twice."""
        with self._cond:
            exists = (key, role) in self._slots
        if not exists and known is None and (parent is None or role == PROPOSAL):
            known = self._desk.messages.find(key, role)
        with self._cond:
            self._set(key, role, rendered, channel=channel, known=known, parent=parent)

    def on_event(self, event: ProgressEvent) -> None:
        """A progress hub subscriber: fold the event into the run's messages."""
        run_id = event.run_id
        with self._cond:
            track = self._tracks.get(run_id)
        if track is None:
            track = self._first_sight(event)
            if track is None:
                return
        if event.kind in (
            EventKind.RUN_STARTED,
            EventKind.RUN_RESUMED,
            EventKind.RUN_PAUSED,
            EventKind.RUN_AWAITING_APPROVAL,
            EventKind.RUN_FINISHED,
        ):
            proposal = self._desk.register.proposal(run_id)
            if proposal is not None:
                self.publish(proposal)
            else:
                self._show_drill_header(run_id)
        with self._cond:
            self._catch_up(track)
            self._fold(track, event)
            self._cond.notify_all()

    def _first_sight(self, event: ProgressEvent) -> _Track | None:
        """Read what the Store knows of a run this reporter has not seen yet: its stages, the
        messages any replica posted for it, and its events before ``event`` (a run this
        replica resumes was begun by another). Once per run, never per event."""
        run_id = event.run_id
        store = self._desk.store
        run = store.get_run(run_id)
        if run is None:
            return None
        missed = (
            [e for e in store.list_events(run_id) if e.seq < event.seq] if event.seq > 1 else []
        )
        fresh = _Track(RunProjection(run), messages=self._desk.messages.of(run_id), missed=missed)
        with self._cond:
            return self._tracks.setdefault(run_id, fresh)

    # ------------------------------------------------------------------ control

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every message shows its latest state; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while any(s.dirty for s in self._slots.values()) or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def close(self, timeout: float = 5.0) -> None:
        self.flush(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def open_drill(self, drill: str, run: Run) -> None:
        """Open a drill's thread: the header its progress and report go under."""
        self._show_drill_header(run.run_id, drill, run)

    def _show_drill_header(
        self, run_id: str, drill: str | None = None, run: Run | None = None
    ) -> DrillReport | None:
        if self.drills is None:
            return None
        run = run or self._desk.store.get_run(run_id)
        if run is None or not run.mode.is_drill:
            return None
        drill = drill or self.drills.drill_of(run_id)
        if drill is None:
            return None
        report = self.drills.report(run_id) if run.state.terminal else None
        spec = self.drills.drills.get(drill)
        channel = (spec.channel if spec else None) or self._config.slack.channel
        self.show(run_id, PROPOSAL, blocks.drill_header(drill, run, report), channel=channel)
        return report

    def _channel_of(self, run_id: str) -> str:
        slot = self._slots.get((run_id, PROPOSAL))
        return slot.channel if slot is not None else self._config.slack.channel

    def message(self, run_id: str, role: str) -> MessageRef | None:
        with self._cond:
            slot = self._slots.get((run_id, role))
            return MessageRef(slot.channel, slot.ts) if slot and slot.ts else None

    # ------------------------------------------------------------------ slots (under the lock)

    def _set(
        self,
        run_id: str,
        role: str,
        rendered: Rendered,
        *,
        channel: str,
        parent: tuple[str, str] | None = None,
        known: MessageRef | None = None,
    ) -> None:
        slot = self._slots.get((run_id, role))
        if slot is None:
            self._seq += 1
            slot = _Slot(run_id, role, channel, self._seq, rendered, parent)
            if known is not None:
                slot.channel, slot.ts = known.channel, known.ts
            self._slots[(run_id, role)] = slot
        else:
            if slot.dirty and slot.ts is not None and slot.desired != rendered:
                self.stats.coalesced += 1
            slot.desired = rendered
        self._cond.notify_all()

    def _fold(self, track: _Track, event: ProgressEvent) -> None:
        for view in track.projection.apply(event):
            self._show_stage(track, view)
        if event.kind is EventKind.RUN_FINISHED and track.projection.views:
            self._show_summary(track, event)

    def _catch_up(self, track: _Track) -> None:
        """Fold the events another replica reported: each stage they touched shows its latest
        state once (its message, found in the Store, is edited; a state the dead replica
        had not landed yet lands now), and the summary will count those stages."""
        missed, track.missed = track.missed, []
        changed: dict[str, StageView] = {}
        for event in missed:
            changed.update((view.stage, view) for view in track.projection.apply(event))
        for view in changed.values():
            self._show_stage(track, view)

    def _show_stage(self, track: _Track, view: StageView) -> None:
        role = STAGE + view.stage
        self._set(
            view.run_id,
            role,
            blocks.stage_message(view),
            channel=self._channel_of(view.run_id),
            parent=(view.run_id, PROPOSAL),
            known=track.messages.get(role),
        )

    def _show_summary(self, track: _Track, event: ProgressEvent) -> None:
        run = self._desk.store.get_run(event.run_id)
        if run is None:
            return
        if run.mode.is_drill and self.drills is not None:
            report = self.drills.report(run.run_id)
            if report is not None:
                self._set(
                    run.run_id,
                    SUMMARY,
                    blocks.drill_report_message(report),
                    channel=self._channel_of(run.run_id),
                    parent=(run.run_id, PROPOSAL),
                    known=track.messages.get(SUMMARY),
                )
                return
        summary = track.projection.summary(run, event, self._config.objectives)
        self._set(
            run.run_id,
            SUMMARY,
            blocks.summary_message(summary),
            channel=self._channel_of(run.run_id),
            parent=(run.run_id, PROPOSAL),
            known=track.messages.get(SUMMARY),
        )

    # ------------------------------------------------------------------ the worker

    def _work(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    slot, wait = self._next_due()
                    if slot is not None:
                        break
                    self._cond.wait(wait)
                job = self._job(slot)
                self._busy += 1
            try:
                self._send(slot, *job)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _next_due(self) -> tuple[_Slot | None, float]:
        """The slot to send now, or how long to wait before one may be due."""
        now = self._clock()
        wait = 0.5
        for slot in sorted(self._slots.values(), key=lambda s: s.seq):
            if not slot.dirty:
                continue
            if slot.ts is None:
                if slot.parent is not None:
                    root = self._root(slot)
                    if root is None or not root.ts:
                        continue
                key = f"post:{slot.channel}"
                bucket = self._posts.setdefault(
                    slot.channel,
                    TokenBucket(
                        self.settings.posts_per_second, self.settings.post_burst, self._clock
                    ),
                )
                delay = max(self._paused.get(key, 0.0) - now, bucket.wait_time())
            else:
                delay = max(
                    self._paused.get("chat.update", 0.0) - now,
                    slot.last_sent + self.settings.min_edit_interval - now,
                    self._edits.wait_time(),
                )
            if delay <= 0:
                return slot, 0.0
            wait = min(wait, delay)
        return None, max(wait, 0.01)

    def _root(self, slot: _Slot) -> _Slot | None:
        """The top-level message of ``slot``'s thread (Slack threads are one level deep)."""
        seen = 0
        while slot.parent is not None and seen < 10:
            parent = self._slots.get(slot.parent)
            if parent is None:
                return None
            slot, seen = parent, seen + 1
        return slot

    def _job(self, slot: _Slot) -> tuple[Rendered, str | None]:
        """Spend the budget and say what to send (under the lock)."""
        if slot.ts is None:
            self._posts[slot.channel].take()
            root = self._root(slot) if slot.parent else None
            return slot.desired, root.ts if root else None
        self._edits.take()
        slot.last_sent = self._clock()
        return slot.desired, None

    def _send(self, slot: _Slot, rendered: Rendered, thread_ts: str | None) -> None:
        posting = slot.ts is None
        posted: MessageRef | None = None
        try:
            if posting:
                extra = {"thread_ts": thread_ts} if thread_ts else {}
                response = self._client.chat_postMessage(
                    channel=slot.channel, **rendered.as_kwargs(), **extra
                )
                posted = MessageRef(str(response["channel"]), str(response["ts"]))
            else:
                assert slot.ts is not None
                self._client.chat_update(channel=slot.channel, ts=slot.ts, **rendered.as_kwargs())
        except SlackApiError as exc:
            self._failed(slot, exc, posting)
            return
        except Exception:
            log.exception("Slack call failed", extra={"run_id": slot.run_id, "role": slot.role})
            with self._cond:
                self._count_failure(slot)
            return
        landed: Rendered | None = rendered
        if posted is not None and _shared(slot):
            kept = self._claim(slot, posted)
            if kept != posted:
                self._withdraw(slot, posted)
                posted, landed = kept, None  # edit the survivor to this replica's state
        with self._cond:
            if posted is not None:
                slot.channel, slot.ts = posted.channel, posted.ts
                slot.last_sent = self._clock()
                self.stats.posts += 1
            else:
                self.stats.edits += 1
            slot.landed = landed
            slot.failures = 0

    def _claim(self, slot: _Slot, posted: MessageRef) -> MessageRef:
        """Record where ``slot``'s message was posted, unless another replica recorded its
        own first; the message that holds the role either way."""
        where = {"run_id": slot.run_id, "role": slot.role}
        try:
            return self._desk.messages.remember(slot.run_id, slot.role, posted)
        except StoreError as exc:
            log.warning("could not record where a message was posted: %s", exc, extra=where)
        except Exception:
            log.exception("could not record where a message was posted", extra=where)
        # The message is out all the same: keep editing it here, never post it again (nor
        # let the worker die). A replica that takes the run over will not find it and will
        # post the role a second time.
        return posted

    def _withdraw(self, slot: _Slot, posted: MessageRef) -> None:
        """Delete this replica's copy of a message another replica posted first."""
        where = {"run_id": slot.run_id, "role": slot.role}
        try:
            self._client.chat_delete(channel=posted.channel, ts=posted.ts)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("a second copy of a message stays in the thread: %s", error, extra=where)
            return
        except Exception:
            log.exception("a second copy of a message stays in the thread", extra=where)
            return
        with self._cond:
            self.stats.withdrawn += 1

    def _failed(self, slot: _Slot, exc: SlackApiError, posting: bool) -> None:
        status = getattr(exc.response, "status_code", None)
        with self._cond:
            if status == 429:
                retry_after = _retry_after(exc)
                key = f"post:{slot.channel}" if posting else "chat.update"
                self._paused[key] = self._clock() + retry_after
                self.stats.rate_limited += 1
                log.info("rate limited; retrying after %ss", retry_after, extra={"call": key})
                return
            log.error(
                "Slack refused a message: %s",
                exc.response.get("error"),
                extra={"run_id": slot.run_id, "role": slot.role},
            )
            self._count_failure(slot)

    def _count_failure(self, slot: _Slot) -> None:
        self.stats.failures += 1
        slot.failures += 1
        slot.last_sent = self._clock()
        if slot.failures >= self.settings.max_failures:
            # Give this state up rather than loop on it; a later state is tried afresh.
            slot.landed = slot.desired
            if slot.ts is None:
                slot.ts = ""


def _shared(slot: _Slot) -> bool:
    """Whether the Store keeps where ``slot``'s message is, for every replica to edit it: a
    top-level message, a proposal or drill header, and a run's stage and summary messages
    (a thread note is said once and never edited)."""
    return slot.parent is None or slot.role in (PROPOSAL, SUMMARY) or slot.role.startswith(STAGE)


def _retry_after(exc: SlackApiError) -> float:
    headers = getattr(exc.response, "headers", {}) or {}
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(float(value), 0.0)
            except (TypeError, ValueError):
                break
    return 1.0
