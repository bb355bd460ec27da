"""Where the bot's messages are: one location per subject (a run, a drill) and role (its
proposal, a stage's thread message, its summary), kept in the audit log so that every
replica edits the message another one posted. The roles are the surfaces' own names; here
they are only keys.

The first record of a role wins. The Store numbers audit events in one order that every
replica reads alike, so two replicas that posted the same message at once agree on the
survivor, and the loser (told so by ``remember`` answering with a location that is not its
own) removes its post. A record is written only after its post: a replica that dies between
the two leaves a message nobody knows of, and the next replica posts a second one; that
duplicate is the price of never losing a message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, ValidationError

from engine.incidents.audit import AuditTrail
from engine.records import BOT, AuditAction, AuditEvent, Surface

log = logging.getLogger(__name__)

_EARLIER_ACTION = "slack.message"
"""The action releases before ``message.posted`` recorded locations under, with the detail
``role channel ts``. A replica still reads them, so a run begun before an upgrade keeps its
thread when a newer replica resumes it."""


@dataclass(frozen=True)
class MessageRef:
    """Where one message is: its channel, and its timestamp there (which names it)."""

    channel: str
    ts: str


class _Location(BaseModel):
    """The detail of a ``message.posted`` audit event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: str
    channel: str
    ts: str


class MessageLocations:
    def __init__(self, trail: AuditTrail) -> None:
        self._trail = trail

    def of(self, subject: str) -> dict[str, MessageRef]:
        """Where each message of ``subject`` is, by role; one read of the Store for all."""
        found: dict[str, MessageRef] = {}
        for event in self._trail.of(subject):
            location = _location(event)
            if location is not None:
                found.setdefault(location.role, MessageRef(location.channel, location.ts))
        return found

    def find(self, subject: str, role: str) -> MessageRef | None:
        return self.of(subject).get(role)

    def remember(self, subject: str, role: str, ref: MessageRef) -> MessageRef:
        """Claim ``(subject, role)`` for the message just posted at ``ref``; the message that
        holds the role: ``ref``, or the one another replica posted and recorded first."""
        location = _Location(role=role, channel=ref.channel, ts=ref.ts)
        self._trail.write(
            BOT, Surface.SLACK, AuditAction.MESSAGE_POSTED, subject, location.model_dump_json()
        )
        return self.of(subject).get(role, ref)


def _location(event: AuditEvent) -> _Location | None:
    if event.action == AuditAction.MESSAGE_POSTED:
        try:
            return _Location.model_validate_json(event.detail)
        except ValidationError:
            log.warning("unreadable message location", extra={"seq": event.seq})
            return None
    if event.action == _EARLIER_ACTION:
        parts = event.detail.rsplit(" ", 2)
        if len(parts) == 3:
            return _Location(role=parts[0], channel=parts[1], ts=parts[2])
    return None
