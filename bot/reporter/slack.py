"""Progress events -> Slack messages: the proposal edited in place, one thread reply per stage
edited as it progresses, and a summary. The Slack side of the reporter: what each message
shows, and the calls that post, edit and delete it.

What each message should show goes into the outbox (``bot.reporter.outbox``), which keeps only
the latest state of each and releases it as Slack's rate budget (``bot.reporter.budget``)
allows. One worker thread makes every call; ``publish`` and ``on_event`` only change the
outbox, so a listener that publishes never waits for Slack.

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
from dataclasses import dataclass, field
from urllib.error import HTTPError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError, SlackRequestError

from bot.reporter.budget import Monotonic, RateBudget, ReporterSettings, retry_after
from bot.reporter.outbox import Outbox, ReporterStats, Send, Slot
from bot.reporter.pictures import (
    PICTURE,
    PICTURE_NOTE,
    Picture,
    PictureDrawer,
    upload,
    wants_picture,
)
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
from handlers.roles import BREAK_GLASS, PROPOSAL, STAGE, SUMMARY

log = logging.getLogger(__name__)


@dataclass
class _Track:
    """What the reporter knows of one run: its stage views, and where its messages are."""

    projection: RunProjection
    messages: dict[str, MessageRef] = field(default_factory=dict)
    """The run's messages (by role) the Store knew of when this reporter first saw the run."""
    missed: list[ProgressEvent] = field(default_factory=list)
    """The run's events this reporter was not handed, still to fold (after the thread's head
    is shown, so that a stage message never posted yet goes to the head's channel)."""
    seen: int = 0
    """The last event of the run folded (or queued to fold), by its place in the run's log."""


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
        self._outbox = Outbox(self.settings, RateBudget(self.settings, clock), clock)
        self._tracks: dict[str, _Track] = {}
        self._drawer = PictureDrawer(desk.store, config)
        self._pictures: dict[str, Picture] = {}
        """Pictures drawn and waiting for their upload, by run."""
        self._drawing = 0
        self._busy = 0
        self._publishing = threading.RLock()
        """Held from reading a proposal to queuing its message, so that of two threads showing
        one proposal (a click's handler, a run's finish) the one that queues last read last:
        the message never ends on a state the Store has already left."""
        self._cond = threading.Condition()
        """Guards the outbox and the tracks; the worker waits on it for the next due call."""
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="slack-reporter", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ inputs

    def publish(self, proposal: Proposal) -> None:
        """Show ``proposal`` (post it, or edit the message it already has) as the Store has it
        now. The proposal of an escalation goes in the thread of the incident's first
        proposal."""
        with self._publishing:
            self._publish(self._latest(proposal))

    def _latest(self, proposal: Proposal) -> Proposal:
        try:
            return self._desk.register.proposal(proposal.run_id) or proposal
        except StoreError:
            return proposal

    def _publish(self, proposal: Proposal) -> None:
        rendered = blocks.proposal_message(proposal)
        parent: tuple[str, str] | None = None
        incident = proposal.incident
        if incident is not None and incident.run_ids and incident.run_ids[0] != proposal.run_id:
            root = incident.run_ids[0]
            parent = (root, PROPOSAL)
            with self._cond:
                has_root = self._outbox.get(*parent) is not None
            if not has_root:
                root_proposal = self._desk.register.proposal(root)
                if root_proposal is not None:
                    self._publish(root_proposal)
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
            exists = self._outbox.get(key, role) is not None
        if not exists and known is None and (parent is None or role == PROPOSAL):
            known = self._desk.messages.find(key, role)
        with self._cond:
            self._outbox.put(key, role, rendered, channel=channel, known=known, parent=parent)
            self._cond.notify_all()

    def on_event(self, event: ProgressEvent) -> None:
        """A progress hub subscriber: fold the event into the run's messages."""
        run_id = event.run_id
        with self._cond:
            track = self._tracks.get(run_id)
        if track is None:
            track = self._first_sight(event)
            if track is None:
                return
        elif event.seq > track.seen + 1:
            self._fill_gap(track, event)
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

    def _fill_gap(self, track: _Track, event: ProgressEvent) -> None:
        """Queue the run's events between the last this reporter folded and ``event``: those
        another process wrote (a retry or skip from the command line, another replica), which
        no hub of this replica delivered."""
        stored = self._desk.store.list_events(event.run_id, after=track.seen)
        gap = [e for e in stored if e.seq < event.seq]
        with self._cond:
            track.missed.extend(e for e in gap if e.seq > track.seen)

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
        fresh = _Track(
            RunProjection(run),
            messages=self._desk.messages.of(run_id),
            missed=missed,
        )
        with self._cond:
            return self._tracks.setdefault(run_id, fresh)

    # ------------------------------------------------------------------ control

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every message shows its latest state; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._outbox.pending or self._busy or self._drawing:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def close(self, timeout: float = 5.0) -> None:
        self.flush(timeout)
        self._drawer.close()
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
        slot = self._outbox.get(run_id, PROPOSAL)
        return slot.channel if slot is not None else self._config.slack.channel

    def message(self, run_id: str, role: str) -> MessageRef | None:
        with self._cond:
            slot = self._outbox.get(run_id, role)
            return MessageRef(slot.channel, slot.ts) if slot and slot.ts else None

    @property
    def stats(self) -> ReporterStats:
        return self._outbox.stats

    # ------------------------------------------------------------------ messages (under the lock)

    def _fold(self, track: _Track, event: ProgressEvent) -> None:
        if event.seq and event.seq <= track.seen:
            return  # folded already, from the Store
        track.seen = max(track.seen, event.seq)
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
            if event.seq and event.seq <= track.seen:
                continue  # folded already: delivered while its gap was being read
            track.seen = max(track.seen, event.seq)
            changed.update((view.stage, view) for view in track.projection.apply(event))
        for view in changed.values():
            self._show_stage(track, view)

    def _show_stage(self, track: _Track, view: StageView) -> None:
        role = STAGE + view.stage
        self._outbox.put(
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
                self._outbox.put(
                    run.run_id,
                    SUMMARY,
                    blocks.drill_report_message(report),
                    channel=self._channel_of(run.run_id),
                    parent=(run.run_id, PROPOSAL),
                    known=track.messages.get(SUMMARY),
                )
                self._draw(run)
                return
        records = {r.stage: r for r in self._desk.store.get_stages(run.run_id)}
        summary = track.projection.summary(run, event, self._config.objectives, records)
        self._outbox.put(
            run.run_id,
            SUMMARY,
            blocks.summary_message(summary),
            channel=self._channel_of(run.run_id),
            parent=(run.run_id, PROPOSAL),
            known=track.messages.get(SUMMARY),
        )
        self._draw(run)

    # ------------------------------------------------------------------ the picture

    def _draw(self, run: Run) -> None:
        """Have the run's picture drawn, if it gets one; it joins the outbox once drawn."""
        if wants_picture(run, self._config) and run.state.terminal:
            self._drawing += 1
            self._drawer.request(run.run_id, self._drawn)

    def _drawn(self, run_id: str, picture: Picture | None, why: str) -> None:
        with self._cond:
            self._drawing -= 1
            if picture is not None:
                self._pictures[run_id] = picture
                rendered = Rendered(picture.comment)
                role = PICTURE
            elif why:
                rendered = blocks.thread_note(f"No timeline picture for this run: {why}.")
                role = PICTURE_NOTE
            else:
                self._cond.notify_all()
                return
            self._outbox.put(
                run_id,
                role,
                rendered,
                channel=self._channel_of(run_id),
                parent=(run_id, PROPOSAL),
            )
            self._cond.notify_all()

    def _picture_failed(self, slot: Slot, why: str) -> None:
        """The upload was refused or failed for a reason trying again cannot mend: say so
        in the thread, in words (under the lock)."""
        log.error("the run's picture was not uploaded: %s", why, extra={"run_id": slot.run_id})
        self._outbox.give_up(slot)
        self._pictures.pop(slot.run_id, None)
        self._outbox.put(
            slot.run_id,
            PICTURE_NOTE,
            blocks.thread_note(f"The timeline picture of this run could not be uploaded: {why}."),
            channel=slot.channel,
            parent=(slot.run_id, PROPOSAL),
        )

    # ------------------------------------------------------------------ the worker

    def _work(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    slot, wait = self._outbox.next_due()
                    if slot is not None:
                        break
                    self._cond.wait(wait)
                send = self._outbox.take(slot)
                self._busy += 1
            try:
                self._send(send)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _send(self, send: Send) -> None:
        slot, rendered = send.slot, send.rendered
        posted: MessageRef | None = None
        try:
            if slot.ts is None and slot.role == PICTURE:
                posted = self._upload(slot, send.thread_ts)
                if posted is None:
                    return
            elif slot.ts is None:
                extra = {"thread_ts": send.thread_ts} if send.thread_ts else {}
                response = self._client.chat_postMessage(
                    channel=slot.channel, **rendered.as_kwargs(), **extra
                )
                posted = MessageRef(str(response["channel"]), str(response["ts"]))
            else:
                self._client.chat_update(channel=slot.channel, ts=slot.ts, **rendered.as_kwargs())
        except SlackApiError as exc:
            if _status(exc) >= 500:
                self._unreachable(slot, f"Slack answered {_status(exc)}")
            else:
                self._refused(slot, exc)
            return
        except (OSError, SlackClientError) as exc:
            self._unreachable(slot, str(exc))
            return
        except Exception as exc:
            log.exception("Slack call failed", extra={"run_id": slot.run_id, "role": slot.role})
            with self._cond:
                if slot.role == PICTURE:
                    self._picture_failed(slot, f"the upload failed ({type(exc).__name__})")
                else:
                    self._outbox.failed(slot)
            return
        shown: Rendered | None = rendered
        if posted is not None and _shared(slot):
            kept = self._claim(slot, posted)
            if kept != posted:
                self._withdraw(slot, posted)
                posted, shown = kept, None  # edit the survivor to this replica's state
        with self._cond:
            back = self._outbox.slack_unreachable
            self._outbox.landed(slot, shown, posted)
        if back:
            log.info("Slack answers again: every message catches up to its latest state")

    def _upload(self, slot: Slot, thread_ts: str | None) -> MessageRef | None:
        """Upload the run's picture into its thread; where it went (a file, never edited)."""
        with self._cond:
            picture = self._pictures.get(slot.run_id)
        if picture is None:
            with self._cond:
                self._outbox.give_up(slot)
            return None
        try:
            channel, file_id = upload(self._client, picture, slot.channel, thread_ts)
        except HTTPError as exc:
            if exc.code >= 500:
                raise  # Slack's upload service is down: wait and try again, as for any call
            exc.close()
            with self._cond:
                self._picture_failed(slot, f"the upload URL answered {exc.code}")
            return None
        except SlackRequestError:
            # files_upload_v2's own word for an upload URL that did not answer 200.
            with self._cond:
                self._picture_failed(slot, "the upload URL refused the file")
            return None
        with self._cond:
            self._pictures.pop(slot.run_id, None)
        return MessageRef(channel, f"file:{file_id}")

    def _claim(self, slot: Slot, posted: MessageRef) -> MessageRef:
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

    def _withdraw(self, slot: Slot, posted: MessageRef) -> None:
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
            self._outbox.stats.withdrawn += 1

    def _unreachable(self, slot: Slot, why: str) -> None:
        """Slack cannot be reached: the message keeps its latest state until it can."""
        with self._cond:
            first = not self._outbox.slack_unreachable
            wait = self._outbox.unreachable(slot)
        where = {"run_id": slot.run_id, "role": slot.role}
        if first:
            log.warning("Slack cannot be reached (%s): messages wait for it", why, extra=where)
        else:
            log.info("Slack still cannot be reached; next try in %.0fs", wait, extra=where)

    @property
    def slack_unreachable(self) -> bool:
        """Whether the reporter's last call did not reach Slack."""
        with self._cond:
            return self._outbox.slack_unreachable

    def _refused(self, slot: Slot, exc: SlackApiError) -> None:
        with self._cond:
            if _status(exc) == 429:
                seconds = retry_after(getattr(exc.response, "headers", None))
                self._outbox.rate_limited(slot, seconds)
                log.info("rate limited; retrying after %ss", seconds, extra={"call": slot.call})
                return
            error = exc.response.get("error")
            if slot.role == PICTURE:
                self._picture_failed(slot, f"Slack said {error}")
                return
            log.error(
                "Slack refused a message: %s",
                error,
                extra={"run_id": slot.run_id, "role": slot.role},
            )
            self._outbox.failed(slot)


def _status(exc: SlackApiError) -> int:
    status = getattr(exc.response, "status_code", None)
    return status if isinstance(status, int) else 200


def _shared(slot: Slot) -> bool:
    """Whether the Store keeps where ``slot``'s message is, for every replica to edit it: a
    top-level message, a proposal or drill header, and a run's stage and summary messages
    (a thread note is said once and never edited); and a break-glass note, whose recorded
    place is what says it was shown."""
    return (
        slot.parent is None
        or slot.role in (PROPOSAL, SUMMARY)
        or slot.role.startswith((STAGE, BREAK_GLASS))
    )
