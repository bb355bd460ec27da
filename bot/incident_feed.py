"""What the evaluation tick publishes about incidents: each note in its incident's thread (in
the channel when no incident is open), each proposal posted or edited in place, the proposal a
silence held back in the thread of the silence's announcement (of the snoozed proposal, for a
snooze), and the count of incidents opened."""

from __future__ import annotations

from bot.metrics import Metrics
from engine.incidents.lifecycle import HeldBack, IncidentNote, IncidentUpdate
from engine.ports import Clock
from handlers import blocks
from handlers.context import ProposalBoard
from handlers.roles import PROPOSAL, SILENCE, held_back

NOTICES = "notices"
"""The key of notes posted in the channel, with no incident open."""


class IncidentFeed:
    def __init__(self, board: ProposalBoard, metrics: Metrics, channel: str, clock: Clock) -> None:
        self.board = board
        self.metrics = metrics
        self.channel = channel
        self.clock = clock

    def publish(self, update: IncidentUpdate) -> None:
        if update.opened is not None:
            self.metrics.incidents_opened.inc()
        for number, note in enumerate(update.notes):
            self._note(note, number)
        for proposal in update.proposals:
            self.board.publish(proposal)
        if update.held is not None:
            self._held(update.held)

    def _held(self, held: HeldBack) -> None:
        silence = held.silence
        if held.snoozed is not None:
            self.board.publish(held.snoozed)
            parent = (held.snoozed.run_id, PROPOSAL)
        else:
            # Shown again (unchanged) so that its message is known here before the reply.
            announcement = blocks.silence_message(silence)
            self.board.show(silence.silence_id, SILENCE, announcement, channel=self.channel)
            parent = (silence.silence_id, SILENCE)
        note = blocks.held_back_message(held)
        role = held_back(held.level)
        self.board.show(silence.silence_id, role, note, channel=self.channel, parent=parent)

    def _note(self, note: IncidentNote, number: int) -> None:
        # Two notes of one evaluation share its moment: the number keeps their messages apart.
        role = f"note:{self.clock.now().timestamp()}:{number}"
        rendered = blocks.thread_note(note.text)
        if note.incident is None or note.thread is None:
            self.board.show(NOTICES, role, rendered, channel=self.channel)
            return
        if note.head is not None:
            self.board.publish(note.head)
        parent = (note.thread, PROPOSAL)
        self.board.show(
            note.incident.incident_id, role, rendered, channel=self.channel, parent=parent
        )
