"""What the audit log remembers of drills: which drill a run was, and each drill's reports.

A drill's notes and reports are audit events of subject ``drill:<name>``; the run a drill
started is named by a ``drill.run`` event on the run's own subject. Read from the Store alone,
so the command line reads what the bot recorded, without a runner.
"""

from __future__ import annotations

from engine.drills.report import DrillReport
from engine.records import AuditAction
from engine.store import Store

HISTORY = 500
"""How many of a drill's latest audit events are searched."""


def subject(name: str) -> str:
    return f"drill:{name}"


def drill_of(store: Store, run_id: str) -> str | None:
    """The name of the drill whose run ``run_id`` is; None for any other run."""
    for event in store.list_audit(subject=run_id, limit=1000):
        if event.action == AuditAction.DRILL_RUN:
            return event.detail
    return None


def drill_reports(store: Store, name: str, limit: int = 20) -> list[DrillReport]:
    """The drill's reports, newest first."""
    found = []
    for event in reversed(store.list_audit(subject=subject(name), limit=HISTORY)):
        if event.action == AuditAction.DRILL_REPORT:
            found.append(DrillReport.model_validate_json(event.detail))
            if len(found) >= limit:
                break
    return found
