"""An incident's life, driven by level decisions: opened with the first proposal of a level,
escalated (one incident, a new proposal in its thread) when the level rises, and resolved,
once, when the level is back to none; proposals of it still waiting are then withdrawn.

Idempotency: a level's proposal opens once per incident and level (a claim on
``proposal:<incident>:<level>``) and an incident resolves once (``resolve:<incident>``), so a
new leader repeating a decision has no second effect.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from engine.config import PhoenixConfig
from engine.duration import format_duration
from engine.errors import RunError
from engine.incidents.audit import AuditTrail
from engine.incidents.proposals import Proposal, breakdown_of
from engine.incidents.register import CLAIM_TTL, WAITING, ProposalRegister
from engine.model import Action, Level, LevelDecision
from engine.records import BOT, AuditAction, Incident, IncidentStatus, Surface

log = logging.getLogger("engine.incidents.lifecycle")


@dataclass(frozen=True)
class IncidentChange:
    """An open incident moved without a new proposal: it stepped down, or it is over."""

    incident: Incident
    resolved: bool
    note: str
    """A sentence for the incident's thread."""
    withdrawn: tuple[str, ...] = ()
    """Runs of proposals still waiting for approval, withdrawn because the incident ended."""


class IncidentLifecycle:
    def __init__(
        self, register: ProposalRegister, config: PhoenixConfig, *, trail: AuditTrail
    ) -> None:
        self.register = register
        self.runner = register.runner
        self.store = register.store
        self.config = config
        self._trail = trail

    def current(self) -> Incident | None:
        """The open incident, if there is one."""
        incidents = self.store.list_incidents(open_only=True, limit=1)
        return incidents[0] if incidents else None

    def escalate(self, decision: LevelDecision) -> Proposal | None:
        """Open (or escalate) the incident and propose the level's plan, once. None when the
        decision proposes nothing, or a silence holds proposals back."""
        if not decision.action.is_proposal or decision.level == Level.NONE:
            return None
        now = self._trail.clock.now()
        if self.store.list_silences(active_at=now):
            self._trail.write(
                BOT, Surface.SYSTEM, AuditAction.PROPOSAL_SILENCED, "incident", decision.reason
            )
            return None
        incident = self.current() or self._new_incident(decision, now)
        if not self.store.claim(f"proposal:{incident.incident_id}:{decision.level:d}", CLAIM_TTL):
            return None
        rule = self.config.levels.rule(decision.level)
        record = self.register.open(
            rule.plan,
            level=decision.level,
            policy=rule.policy,
            score=decision.score.total,
            breakdown=breakdown_of(decision),
            reason=decision.reason,
            actor=BOT,
            surface=Surface.SYSTEM,
            manual=False,
            incident_id=incident.incident_id,
        )
        log.info(
            "incident %s: level %d proposed",
            "opened" if not incident.run_ids else "escalated",
            decision.level,
            extra={"incident_id": incident.incident_id, "run_id": record.run_id},
        )
        self.store.save_incident(
            Incident(
                incident.incident_id,
                incident.title,
                max(incident.level, decision.level),
                IncidentStatus.OPEN,
                incident.opened_at,
                now,
                run_ids=(*incident.run_ids, record.run_id),
            )
        )
        return self.register.proposal(record.run_id)

    def _new_incident(self, decision: LevelDecision, now: datetime) -> Incident:
        incident_id = f"inc-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
        title = f"Level {decision.level:d} in {self.config.environment}"
        return Incident(incident_id, title, decision.level, IncidentStatus.OPEN, now, now)

    def recover(self, decision: LevelDecision) -> IncidentChange | None:
        """The level stepped down (a note) or back to none: the open incident is resolved,
        once, and proposals of it still waiting for approval are withdrawn."""
        if decision.action not in (Action.RESOLVE, Action.DE_ESCALATE):
            return None
        incident = self.current()
        if incident is None:
            return None
        if decision.action is Action.DE_ESCALATE:
            note = (
                f"Stepped down to level {decision.level:d} (score {decision.score.total}); "
                "the incident stays open until the level is back to 0."
            )
            return IncidentChange(incident, False, note)
        if not self.store.claim(f"resolve:{incident.incident_id}", CLAIM_TTL):
            return None
        now = self._trail.clock.now()
        withdrawn = self._withdraw_waiting(incident)
        resolved = replace(
            incident, status=IncidentStatus.RESOLVED, updated_at=now, resolved_at=now
        )
        self.store.save_incident(resolved)
        lasted = format_duration(
            timedelta(seconds=round((now - incident.opened_at).total_seconds()))
        )
        note = (
            f"Resolved: the score is back to {decision.score.total} (level 0) after {lasted} "
            f"(opened {incident.opened_at:%Y-%m-%d %H:%M} UTC, highest level {incident.level:d})."
        )
        if withdrawn:
            note += f" Withdrew {len(withdrawn)} proposal(s) still waiting for approval."
        self._trail.write(
            BOT, Surface.SYSTEM, AuditAction.INCIDENT_RESOLVE, incident.incident_id, note
        )
        log.info("incident resolved", extra={"incident_id": incident.incident_id})
        return IncidentChange(resolved, True, note, withdrawn)

    def _withdraw_waiting(self, incident: Incident) -> tuple[str, ...]:
        withdrawn = []
        for run_id in incident.run_ids:
            run = self.store.get_run(run_id)
            if run is None or run.state not in WAITING:
                continue
            try:
                self.runner.abort(
                    run_id,
                    actor=BOT,
                    surface=Surface.SYSTEM,
                    reason="withdrawn: the incident resolved by itself",
                )
            except RunError:
                continue
            self._trail.write(
                BOT, Surface.SYSTEM, AuditAction.PROPOSAL_WITHDRAW, run_id, "incident resolved"
            )
            withdrawn.append(run_id)
        return tuple(withdrawn)
