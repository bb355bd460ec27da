"""Where the bot's messages are: one location per subject (a run, a drill) and role (its
proposal, a stage's thread message, its summary), kept in the audit log so that every
replica edits the message another one posted.

The first record of a role wins. The Store numbers audit events in one order that every
replica reads alike, so two replicas that posted the same message at once agree on the
survivor, and the loser (told so by ``remember`` answering with a location that is not its
own) removes its post. A record is written only after its post: a replica that dies between
the two leaves a message nobody knows of, and the next replica posts a second one; that
duplicate is the price of never losing a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.incidents.audit import AuditTrail
from engine.records import BOT, AuditAction, Surface


@dataclass(frozen=True)
class MessageRef:
    """Where one message is: its channel, and its timestamp there (which names it)."""

    channel: str
    ts: str


class MessageLocations:
    def __init__(self, trail: AuditTrail) -> None:
        self._trail = trail

    def of(self, subject: str) -> dict[str, MessageRef]:
        """Where each message of ``subject`` is, by role; one read of the Store for all."""
        found: dict[str, MessageRef] = {}
        for event in self._trail.of(subject):
            if event.action == AuditAction.SLACK_MESSAGE:
                role, channel, ts = event.detail.rsplit(" ", 2)
                found.setdefault(role, MessageRef(channel, ts))
        return found

    def find(self, subject: str, role: str) -> MessageRef | None:
        return self.of(subject).get(role)

    def remember(self, subject: str, role: str, ref: MessageRef) -> MessageRef:
        """Claim ``(subject, role)`` for the message just posted at ``ref``; the message that
        holds the role: ``ref``, or the one another replica posted and recorded first."""
        self._trail.write(
            BOT, Surface.SLACK, AuditAction.SLACK_MESSAGE, subject, f"{role} {ref.channel} {ref.ts}"
        )
        return self.of(subject).get(role, ref)
