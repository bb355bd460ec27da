"""Silences: while one is active, no automatic proposal is made (a person may still ask for
a plan by hand), except a level-3 loss confirmed by quorum, which is proposed all the same and
marked with the silences it went past. A person silences for a while, or ends every active
silence; snoozing a proposal silences until the snooze ends."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from engine.incidents.audit import AuditTrail
from engine.records import AuditAction, Silence, Surface
from engine.store import IncidentStore

_SNOOZE = "snooze-"

SUBJECT = "silences"
"""The audit subject of what is done to silences as a whole (an unsilence with none active, a
refused silence)."""


class Silences:
    def __init__(self, store: IncidentStore, trail: AuditTrail) -> None:
        self.store = store
        self._trail = trail

    def active(self, at: datetime | None = None) -> list[Silence]:
        """The silences active at ``at`` (now by default), soonest to end first."""
        return self.store.list_silences(active_at=at or self._trail.clock.now())

    def add(
        self, duration: timedelta, reason: str, actor: str, surface: Surface = Surface.SLACK
    ) -> Silence:
        now = self._trail.clock.now()
        silence = Silence(f"sil-{secrets.token_hex(4)}", reason, actor, now, now + duration)
        self.store.add_silence(silence)
        self._trail.write(actor, surface, AuditAction.SILENCE_ADD, silence.silence_id, reason)
        return silence

    def end_all(self, actor: str, surface: Surface = Surface.SLACK) -> list[Silence]:
        """End every active silence; the ones ended (none: audited as such)."""
        ended = self.active()
        for silence in ended:
            self.store.remove_silence(silence.silence_id)
            self._trail.write(actor, surface, AuditAction.SILENCE_REMOVE, silence.silence_id)
        if not ended:
            self._trail.write(
                actor, surface, AuditAction.SILENCE_REMOVE, SUBJECT, "no silence was active"
            )
        return ended

    def snooze(self, run_id: str, user: str, until: datetime) -> Silence:
        """The silence a snoozed proposal holds until ``until`` (its snooze is the audit
        event; the silence is not audited again)."""
        silence = Silence(
            f"{_SNOOZE}{run_id}", f"snoozed proposal {run_id}", user, self._trail.clock.now(), until
        )
        self.store.add_silence(silence)
        return silence


def snoozed_run(silence: Silence) -> str | None:
    """The run whose proposal's snooze ``silence`` is; None for a silence a person set."""
    if silence.silence_id.startswith(_SNOOZE):
        return silence.silence_id.removeprefix(_SNOOZE)
    return None
