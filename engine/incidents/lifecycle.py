"""An incident's life, driven by level decisions: opened with the first proposal of a level,
escalated (one incident, a new proposal in its thread) when the level rises, and resolved,
once, when the level is back to none; proposals of it still waiting are then withdrawn.
``follow`` takes one decision through all of it and says what changed, as neutral values the
surfaces show: notes for the incident's thread and the proposals to post or edit.

Whether a decision may propose at all (the cool-down, silences) is decided before it gets
here, by ``engine.health.judgement``; ``hold`` says once, per silence and level, what a
silence holds back, and a level-3 proposal made past a silence carries it (``silenced``).

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
from engine.incidents.proposals import Proposal, SignalLine, SilenceMark, breakdown_of
from engine.incidents.register import CLAIM_TTL, WAITING, ProposalRegister
from engine.incidents.silences import snoozed_run
from engine.model import Action, Level, LevelDecision
from engine.records import BOT, AuditAction, Incident, IncidentStatus, Silence, Surface

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncidentNote:
    """A sentence for the thread of ``incident`` (in the channel when no incident is open)."""

    text: str
    incident: Incident | None = None
    head: Proposal | None = None
    """The incident's first proposal as it stands now: its message heads the thread."""

    @property
    def thread(self) -> str | None:
        """The run whose proposal message the note replies to."""
        return self.incident.run_ids[0] if self.incident and self.incident.run_ids else None


@dataclass(frozen=True)
class HeldBack:
    """A proposal a silence holds back, as the surfaces show it once per silence and level."""

    level: Level
    plan: str
    score: int
    reason: str
    breakdown: tuple[SignalLine, ...]
    silence: Silence
    """The silence that holds it longest: proposals resume when it ends."""
    others: tuple[Silence, ...] = ()
    """The other silences active as well."""
    snoozed: Proposal | None = None
    """The proposal whose snooze ``silence`` is, as it stands now; None for a silence a person
    set."""


@dataclass(frozen=True)
class IncidentUpdate:
    """What one level decision changed about incidents: the notes first, then the proposals,
    in the order they are to be shown."""

    notes: tuple[IncidentNote, ...] = ()
    proposals: tuple[Proposal, ...] = ()
    """A new proposal, and those whose message now says something else (the incident's first,
    escalated or resolved; proposals withdrawn)."""
    proposed: Proposal | None = None
    """The proposal this decision opened, if any."""
    opened: Incident | None = None
    """The incident this decision opened, if any."""
    held: HeldBack | None = None
    """The proposal a silence held back, the first time it did."""


@dataclass(frozen=True)
class IncidentChange:
    """An open incident moved without a new proposal: it stepped down, or it is over."""

    incident: Incident
    """As it stands after the change: resolved if it is over."""
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

    def follow(self, decision: LevelDecision, silences: tuple[Silence, ...] = ()) -> IncidentUpdate:
        """Take ``decision`` through the incident's life: a notice (a signal flapping) as a
        note, a step down or a resolution as a note and the proposals it changed, a rise of
        the level as a proposal (opening the incident, or escalating it in its thread).
        ``silences``: those active that a level-3 proposal goes past."""
        before = self.current()
        notices = tuple(self._note(before, notice) for notice in decision.notices)
        change = self.recover(decision)
        if change is not None:
            note = self._note(change.incident, change.note)
            changed = dict.fromkeys((*change.withdrawn, *change.incident.run_ids[:1]))
            return IncidentUpdate((*notices, note), self._proposals(tuple(changed)))
        proposal = self.escalate(decision, silences)
        if proposal is None:
            return IncidentUpdate(notices)
        incident = proposal.incident
        runs = incident.run_ids if incident is not None else ()
        opened = incident if runs[:1] == (proposal.run_id,) else None
        if decision.action is Action.OPEN and proposal.record.required == 0:
            log.info("self-healing runs by itself (policy auto)", extra={"run_id": proposal.run_id})
        heads = self._proposals(runs[:1]) if runs and runs[0] != proposal.run_id else ()
        return IncidentUpdate(notices, (proposal, *heads), proposal, opened)

    def _note(self, incident: Incident | None, text: str) -> IncidentNote:
        head = self._proposals(incident.run_ids[:1]) if incident is not None else ()
        return IncidentNote(text, incident, head[0] if head else None)

    def _proposals(self, run_ids: tuple[str, ...]) -> tuple[Proposal, ...]:
        found = (self.register.proposal(run_id) for run_id in run_ids)
        return tuple(proposal for proposal in found if proposal is not None)

    def hold(self, decision: LevelDecision, silences: tuple[Silence, ...]) -> IncidentUpdate:
        """What ``silences`` hold back of ``decision``'s proposal, said once per silence and
        level (a claim in the Store, as long as the silence lasts): every evaluation of a
        breach holds the same proposal back, and the channel hears of it once."""
        if not decision.action.is_proposal or not silences:
            return IncidentUpdate()
        holder = max(silences, key=lambda s: s.until)
        now = self._trail.clock.now()
        lasting = max(holder.until - now, timedelta(0)) + CLAIM_TTL
        if not self.store.claim(f"held:{holder.silence_id}:{decision.level:d}", lasting):
            return IncidentUpdate()
        held = HeldBack(
            level=decision.level,
            plan=self.config.levels.rule(decision.level).plan,
            score=decision.score.total,
            reason=decision.reason,
            breakdown=breakdown_of(decision),
            silence=holder,
            others=tuple(s for s in silences if s is not holder),
            snoozed=self._snoozed(holder),
        )
        log.info(
            "level %d proposal held back by a silence",
            decision.level,
            extra={"silence_id": holder.silence_id},
        )
        return IncidentUpdate(held=held)

    def _snoozed(self, silence: Silence) -> Proposal | None:
        run_id = snoozed_run(silence)
        return self.register.proposal(run_id) if run_id is not None else None

    def escalate(
        self, decision: LevelDecision, silences: tuple[Silence, ...] = ()
    ) -> Proposal | None:
        """Open (or escalate) the incident and propose the level's plan, once. None when the
        decision proposes nothing. ``silences``: those the proposal goes past."""
        if not decision.action.is_proposal or decision.level == Level.NONE:
            return None
        now = self._trail.clock.now()
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
            silenced=tuple(SilenceMark.of(s) for s in silences),
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
            return IncidentChange(incident, note)
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
        return IncidentChange(resolved, note, withdrawn)

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
