"""The register of proposals: each one opened once, for a level or by a person's request,
with what it showed then, and read back from the Store as it stands now.

A proposal is a run waiting for approvals. Its snapshot (``ProposalRecord``) is the detail of
its ``proposal.open`` audit event, so every replica renders the same message from the Store;
where it stands is read from its run and from the audit events that closed it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.config import BuiltinPlan, PhoenixConfig, Policy
from engine.errors import UnknownPlan
from engine.incidents.approvals import required_approvals
from engine.incidents.audit import AuditTrail
from engine.incidents.proposals import (
    EndedBy,
    Proposal,
    ProposalRecord,
    ReadinessDigest,
    SignalLine,
    SilenceMark,
    Stand,
    stand_of,
)
from engine.model import Level
from engine.records import BOT, AuditAction, AuditEvent, Surface
from engine.runner.runner import Runner
from engine.runs import RunState

CLAIM_TTL = timedelta(days=1)
"""How long a claim against a second effect (a start, a level's proposal, a resolution) holds:
longer than any retry of Slack's or any replica's catching up."""
WAITING = frozenset({RunState.PROPOSED, RunState.AWAITING_APPROVAL})
"""The states of a proposal's run while it waits for its approvals."""
_CLOSINGS = (
    AuditAction.PROPOSAL_DECLINE,
    AuditAction.PROPOSAL_SNOOZE,
    AuditAction.PROPOSAL_EXPIRE,
)
_ENDED_BY = {
    Stand.DECLINED: AuditAction.PROPOSAL_DECLINE,
    Stand.SNOOZED: AuditAction.PROPOSAL_SNOOZE,
    Stand.ABORTED: AuditAction.RUN_ABORT,
}
MANUAL_REASON = "asked for by hand"
"""The reason of a proposal a person asked for; who asked is its ``requested_by``."""


class ProposalRegister:
    def __init__(self, runner: Runner, config: PhoenixConfig, *, trail: AuditTrail) -> None:
        self.runner = runner
        self.store = runner.store
        self.config = config
        self._trail = trail

    def open(
        self,
        plan: str,
        *,
        level: Level,
        policy: Policy,
        score: int | None,
        breakdown: tuple[SignalLine, ...],
        reason: str,
        actor: str,
        surface: Surface,
        manual: bool,
        incident_id: str | None,
        silenced: tuple[SilenceMark, ...] = (),
    ) -> ProposalRecord:
        """Propose ``plan``'s run and record what the proposal shows; under policy ``auto``
        the run starts at once (announced, not asked). ``silenced``: the silences it goes
        past."""
        now = self._trail.clock.now()
        run = self.runner.propose(plan, actor=actor, surface=surface, incident_id=incident_id)
        required = required_approvals(policy, manual=manual)
        record = ProposalRecord(
            run_id=run.run_id,
            plan=plan,
            level=int(level),
            score=score,
            environment=self.config.environment,
            breakdown=breakdown,
            reason=reason,
            requested_by=actor,
            manual=manual,
            required=required,
            created_at=now,
            expires_at=now + self.config.slack.approval_ttl,
            incident_id=incident_id,
            readiness=self._readiness(plan),
            silenced=silenced,
        )
        self._trail.write(
            actor, surface, AuditAction.PROPOSAL_OPEN, run.run_id, record.model_dump_json()
        )
        if required:
            self.runner.request_approval(run.run_id, actor=actor, surface=surface)
        else:
            self.start_once(run.run_id, actor=BOT, surface=Surface.SYSTEM)
        return record

    def start_once(self, run_id: str, *, actor: str, surface: Surface) -> bool:
        """Start the run unless it was started already (a retried delivery, a double click,
        another replica); True if this call started it. ``RunError`` propagates."""
        if not self.store.claim(f"start:{run_id}", CLAIM_TTL):
            return False
        self.runner.start(run_id, actor=actor, surface=surface)
        return True

    def propose_manual(self, plan: str, *, actor: str, surface: Surface) -> Proposal:
        """A person asks for ``plan``: the same approvals as the level that proposes it (the
        DR level's for ``failback``), at least one, and never the asker's own."""
        if plan not in self.runner.plans:
            known = ", ".join(sorted(self.runner.plans))
            raise UnknownPlan(f"no plan named {plan!r} (plans: {known})")
        level, policy = self._level_of(plan)
        history = self.store.score_history(limit=1)
        latest = history[-1] if history else None
        breakdown = tuple(
            SignalLine(signal=name, status="", points=points)
            for name, points in (latest.points.items() if latest else ())
        )
        record = self.open(
            plan,
            level=level,
            policy=policy,
            score=latest.total if latest else None,
            breakdown=breakdown,
            reason=MANUAL_REASON,
            actor=actor,
            surface=surface,
            manual=True,
            incident_id=None,
        )
        proposal = self.proposal(record.run_id)
        assert proposal is not None
        return proposal

    def _level_of(self, plan: str) -> tuple[Level, Policy]:
        levels = self.config.levels
        if plan == BuiltinPlan.FAILBACK:
            return Level.DR_FAILOVER, levels.dr_failover.policy
        for level in (Level.DR_FAILOVER, Level.REGION_FAILOVER, Level.SELF_HEAL):
            if levels.rule(level).plan == plan:
                return level, levels.rule(level).policy
        return Level.REGION_FAILOVER, "approve"

    def _readiness(self, plan: str) -> ReadinessDigest | None:
        """The latest readiness of the DR side, for a proposal of the plan it is swept for."""
        if plan != self.config.readiness_plan:
            return None
        sweep = self.store.latest_readiness()
        return ReadinessDigest.of(sweep) if sweep is not None and sweep.plan == plan else None

    def record_of(self, run_id: str) -> ProposalRecord | None:
        for event in self._trail.of(run_id):
            if event.action == AuditAction.PROPOSAL_OPEN:
                return ProposalRecord.model_validate_json(event.detail)
        return None

    def proposal(self, run_id: str) -> Proposal | None:
        """The proposal of ``run_id`` as it stands now; None if the run was never proposed."""
        record = self.record_of(run_id)
        run = self.store.get_run(run_id)
        if record is None or run is None:
            return None
        events = self._trail.of(run_id)
        closing = ""
        for event in events:
            if event.action in _CLOSINGS:
                closing = event.action
        approvals = tuple(self.store.list_approvals(run_id))
        stand = stand_of(run, self._trail.clock.now(), record, closing)
        ending = _ENDED_BY.get(stand)
        ended = next((e for e in reversed(events) if e.action == ending), None)
        incident = self.store.get_incident(record.incident_id) if record.incident_id else None
        readiness = record.readiness
        if stand.waiting:
            readiness = self._readiness(record.plan) or readiness
        return Proposal(
            record,
            run,
            approvals,
            stand,
            _ended_by(ended) if ended is not None else None,
            run.reason,
            incident,
            readiness,
        )


def _ended_by(event: AuditEvent) -> EndedBy:
    """Who ended a proposal, from the audit event that did: a decline's detail is the person's
    reason, a snooze's the moment it ends (ISO 8601)."""
    if event.action == AuditAction.PROPOSAL_DECLINE:
        return EndedBy(event.actor, event.surface, reason=event.detail)
    if event.action == AuditAction.PROPOSAL_SNOOZE:
        try:
            until: datetime | None = datetime.fromisoformat(event.detail)
        except ValueError:
            until = None  # written by a release that kept a sentence here
        return EndedBy(event.actor, event.surface, until=until)
    return EndedBy(event.actor, event.surface)
