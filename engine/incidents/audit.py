"""The audit trail of the incident desk: every event stamped by the clock, and a subject's
events (a run's, an incident's, a silence's) read back in the order they were written."""

from __future__ import annotations

from dataclasses import dataclass

from engine.ports import Clock
from engine.records import AuditAction, AuditEvent, Surface
from engine.store import AuditStore

_SUBJECT_HISTORY = 1000
"""How far back a subject's events are read: far more than one run or incident ever has."""


@dataclass(frozen=True)
class AuditTrail:
    store: AuditStore
    clock: Clock

    def write(
        self, actor: str, surface: Surface, action: AuditAction, subject: str, detail: str = ""
    ) -> None:
        self.store.append_audit(
            AuditEvent(self.clock.now(), actor, surface, action, subject, detail)
        )

    def of(self, subject: str) -> list[AuditEvent]:
        """The subject's events, oldest first."""
        return self.store.list_audit(subject=subject, limit=_SUBJECT_HISTORY)
