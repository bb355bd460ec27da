"""The incident desk: opening proposals (from a level decision, or by hand), and what people
do with them — approve, decline, snooze, and retry / skip / abort a paused run.

Every click, allowed or refused, is appended to the audit log. Nothing here knows Slack: the
handlers call these methods after their ack, and render what they return.

Idempotency: an approval is kept once per person (the Store's unique approval), a run starts
once (a dedupe claim on ``start:<run_id>``), and a level proposal opens once per incident and
level (a claim on ``proposal:<incident>:<level>``), so a retried delivery or a double click
has no second effect.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from engine.config import PhoenixConfig, Policy
from engine.duration import format_duration
from engine.errors import RunError, UnknownPlan
from engine.incidents.approvals import (
    DirectoryUnavailable,
    GroupDirectory,
    Refusal,
    Verdict,
    is_approver,
    judge_approval,
    judge_decision,
    required_approvals,
)
from engine.incidents.proposals import (
    Proposal,
    ProposalRecord,
    SignalLine,
    Stand,
    breakdown_of,
    stand_of,
)
from engine.model import Action, Level, LevelDecision
from engine.ports import Clock
from engine.records import (
    BOT,
    Approval,
    AuditAction,
    AuditEvent,
    Decision,
    Incident,
    IncidentStatus,
    Silence,
    Surface,
)
from engine.runner.runner import Runner
from engine.runs import RunState

log = logging.getLogger("engine.incidents.desk")

_OPEN = frozenset({RunState.PROPOSED, RunState.AWAITING_APPROVAL})
_CLOSINGS = (
    AuditAction.PROPOSAL_DECLINE,
    AuditAction.PROPOSAL_SNOOZE,
    AuditAction.PROPOSAL_EXPIRE,
)
_DEDUPE_TTL = timedelta(days=1)


@dataclass(frozen=True)
class ClickOutcome:
    """What a click did: allowed or not, a sentence for the person, the proposal after it."""

    allowed: bool
    explanation: str
    proposal: Proposal | None = None
    started: bool = False


@dataclass(frozen=True)
class MessageRef:
    channel: str
    ts: str


@dataclass(frozen=True)
class IncidentChange:
    """An open incident moved without a new proposal: it stepped down, or it is over."""

    incident: Incident
    resolved: bool
    note: str
    """A sentence for the incident's thread."""
    withdrawn: tuple[str, ...] = ()
    """Runs of proposals still waiting for approval, withdrawn because the incident ended."""


class IncidentDesk:
    def __init__(
        self,
        runner: Runner,
        config: PhoenixConfig,
        *,
        clock: Clock,
        groups: GroupDirectory,
        snooze: timedelta = timedelta(hours=1),
    ) -> None:
        self.runner = runner
        self.store = runner.store
        self.config = config
        self.clock = clock
        self.groups = groups
        self.snooze_for = snooze

    # ------------------------------------------------------------------ opening

    def on_decision(self, decision: LevelDecision) -> Proposal | None:
        """Open (or escalate) the incident and propose the level's plan, once. None when the
        decision proposes nothing, or a silence holds proposals back."""
        if not decision.action.is_proposal or decision.level == Level.NONE:
            return None
        now = self.clock.now()
        if self.store.list_silences(active_at=now):
            self._audit(
                BOT, Surface.SYSTEM, AuditAction.PROPOSAL_SILENCED, "incident", decision.reason
            )
            return None
        incident = self._incident_for(decision, now)
        if not self.store.claim(f"proposal:{incident.incident_id}:{decision.level:d}", _DEDUPE_TTL):
            return None
        rule = self.config.levels.rule(decision.level)
        record = self._open(
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
        runs = (*incident.run_ids, record.run_id)
        self.store.save_incident(
            Incident(
                incident.incident_id,
                incident.title,
                max(incident.level, decision.level),
                IncidentStatus.OPEN,
                incident.opened_at,
                now,
                run_ids=runs,
            )
        )
        return self.proposal(record.run_id)

    def on_recovery(self, decision: LevelDecision) -> IncidentChange | None:
        """The level stepped down (a note) or back to none: the open incident is resolved,
        once, and proposals of it still waiting for approval are withdrawn."""
        if decision.action not in (Action.RESOLVE, Action.DE_ESCALATE):
            return None
        incidents = self.store.list_incidents(open_only=True, limit=1)
        if not incidents:
            return None
        incident = incidents[0]
        now = self.clock.now()
        if decision.action is Action.DE_ESCALATE:
            note = (
                f"Stepped down to level {decision.level:d} (score {decision.score.total}); "
                "the incident stays open until the level is back to 0."
            )
            return IncidentChange(incident, False, note)
        if not self.store.claim(f"resolve:{incident.incident_id}", _DEDUPE_TTL):
            return None
        withdrawn = []
        for run_id in incident.run_ids:
            run = self.store.get_run(run_id)
            if run is None or run.state not in _OPEN:
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
            self._audit(
                BOT, Surface.SYSTEM, AuditAction.PROPOSAL_WITHDRAW, run_id, "incident resolved"
            )
            withdrawn.append(run_id)
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
        self._audit(BOT, Surface.SYSTEM, AuditAction.INCIDENT_RESOLVE, incident.incident_id, note)
        log.info("incident resolved", extra={"incident_id": incident.incident_id})
        return IncidentChange(resolved, True, note, tuple(withdrawn))

    def incident_root(self, incident: Incident) -> str | None:
        """The run whose proposal message is the incident's message (its first)."""
        return incident.run_ids[0] if incident.run_ids else None

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
        record = self._open(
            plan,
            level=level,
            policy=policy,
            score=latest.total if latest else None,
            breakdown=breakdown,
            reason=f"asked for by hand by <@{actor}>",
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
        if plan == "failback":
            return Level.DR_FAILOVER, levels.dr_failover.policy
        for level in (Level.DR_FAILOVER, Level.REGION_FAILOVER, Level.SELF_HEAL):
            if levels.rule(level).plan == plan:
                return level, levels.rule(level).policy
        return Level.REGION_FAILOVER, "approve"

    def _incident_for(self, decision: LevelDecision, now: datetime) -> Incident:
        for incident in self.store.list_incidents(open_only=True, limit=1):
            return incident
        incident_id = f"inc-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
        title = f"Level {decision.level:d} in {self.config.environment}"
        return Incident(incident_id, title, decision.level, IncidentStatus.OPEN, now, now)

    def _open(
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
    ) -> ProposalRecord:
        now = self.clock.now()
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
        )
        self._audit(actor, surface, AuditAction.PROPOSAL_OPEN, run.run_id, record.model_dump_json())
        if required:
            self.runner.request_approval(run.run_id, actor=actor, surface=surface)
        elif self.store.claim(f"start:{run.run_id}", _DEDUPE_TTL):
            # ``auto``: announced, not asked.
            self.runner.start(run.run_id, actor=BOT, surface=Surface.SYSTEM)
        return record

    # ------------------------------------------------------------------ reading

    def record_of(self, run_id: str) -> ProposalRecord | None:
        for event in self.store.list_audit(subject=run_id, limit=1000):
            if event.action == AuditAction.PROPOSAL_OPEN:
                return ProposalRecord.model_validate_json(event.detail)
        return None

    def proposal(self, run_id: str) -> Proposal | None:
        record = self.record_of(run_id)
        run = self.store.get_run(run_id)
        if record is None or run is None:
            return None
        closing = ""
        for event in self.store.list_audit(subject=run_id, limit=1000):
            if event.action in _CLOSINGS:
                closing = event.action
        approvals = tuple(self.store.list_approvals(run_id))
        stand = stand_of(run, self.clock.now(), record, closing)
        closed_by = ""
        if stand in (Stand.DECLINED, Stand.SNOOZED, Stand.ABORTED):
            closed_by = next(
                (
                    e.actor
                    for e in reversed(self.store.list_audit(subject=run_id, limit=1000))
                    if e.action in (*_CLOSINGS, AuditAction.RUN_ABORT)
                ),
                "",
            )
        incident = self.store.get_incident(record.incident_id) if record.incident_id else None
        return Proposal(record, run, approvals, stand, closed_by, run.reason, incident)

    def messages_of(self, run_id: str) -> dict[str, MessageRef]:
        """Where the bot posted each message of ``run_id`` (the proposal, a stage's thread
        message, the summary), by role; one read of the Store for all of them."""
        found: dict[str, MessageRef] = {}
        for event in self.store.list_audit(subject=run_id, limit=1000):
            if event.action == AuditAction.SLACK_MESSAGE:
                role, channel, ts = event.detail.rsplit(" ", 2)
                found.setdefault(role, MessageRef(channel, ts))
        return found

    def message_of(self, run_id: str, role: str) -> MessageRef | None:
        """Where the bot posted the proposal (``proposal``) or a thread message of the run."""
        return self.messages_of(run_id).get(role)

    def remember_message(self, run_id: str, role: str, ref: MessageRef) -> MessageRef:
        """Claim ``(run_id, role)`` for the message just posted at ``ref``; return the message
        that holds the role: ``ref``, or the one another replica posted and recorded first.

        The first record of a role wins. The Store numbers audit events in one order that
        every replica reads alike, so two replicas that posted the same message at once
        agree on the survivor, and the loser (told so by a return value that is not its
        ``ref``) removes its own post. A record is written only after its post: a replica
        that dies between the two leaves a message nobody knows of, and the next replica
        posts a second one; that duplicate is the price of never losing a message."""
        self._audit(
            BOT, Surface.SLACK, AuditAction.SLACK_MESSAGE, run_id, f"{role} {ref.channel} {ref.ts}"
        )
        return self.messages_of(run_id).get(role, ref)

    # ------------------------------------------------------------------ clicks

    def authorised(self, user: str) -> bool:
        """``DirectoryUnavailable`` propagates: the caller refuses with that reason."""
        return is_approver(user, self.config.slack.approvers, self.groups)

    def check_approve(self, run_id: str, user: str) -> ClickOutcome:
        """Whether ``user`` could approve now (before asking them to type the environment)."""
        return self._approve(run_id, user, Surface.SLACK, record=False)

    def approve(self, run_id: str, user: str, surface: Surface = Surface.SLACK) -> ClickOutcome:
        return self._approve(run_id, user, surface, record=True)

    def _approve(self, run_id: str, user: str, surface: Surface, *, record: bool) -> ClickOutcome:
        proposal = self.proposal(run_id)
        if proposal is None:
            return self._refused(user, "approve", run_id, "There is no such proposal.", None)
        now = self.clock.now()
        verdict = self._judge(proposal, user, now)
        if not verdict.allowed or not record:
            self._expire_if_due(proposal, verdict)
            if verdict.allowed:
                return ClickOutcome(True, verdict.explanation, proposal)
            return self._refused(
                user, "approve", run_id, verdict.explanation, self.proposal(run_id)
            )
        approval = Approval(run_id, user, Decision.APPROVE, now, surface)
        if not self.store.add_approval(approval):
            explanation = "You approved this already; an approval counts once per person."
            return self._refused(user, "approve", run_id, explanation, proposal)
        count = f"{len(verdict.approvers)} of {proposal.record.required}"
        self._audit(user, surface, AuditAction.APPROVAL_GRANT, run_id, count)
        started = False
        if verdict.complete and self.store.claim(f"start:{run_id}", _DEDUPE_TTL):
            try:
                self.runner.start(run_id, actor=user, surface=surface)
                started = True
            except RunError as exc:
                log.warning("approved run did not start: %s", exc, extra={"run_id": run_id})
                return ClickOutcome(True, f"Approved, but the run did not start: {exc}")
        return ClickOutcome(True, verdict.explanation, self.proposal(run_id), started)

    def _judge(self, proposal: Proposal, user: str, now: datetime) -> Verdict:
        try:
            authorised = self.authorised(user)
        except DirectoryUnavailable as exc:
            return Verdict(
                False, Refusal.DIRECTORY, f"Cannot check approvers now: {exc}", (), False
            )
        return judge_approval(
            proposal.record.rule,
            user=user,
            authorised=authorised,
            given=proposal.approvals,
            now=now,
            open_for_approval=proposal.run.state in _OPEN,
        )

    def decline(self, run_id: str, user: str, reason: str) -> ClickOutcome:
        why = reason.strip() or "no reason given"
        return self._close(
            run_id, user, AuditAction.PROPOSAL_DECLINE, f"declined by <@{user}>: {why}"
        )

    def snooze(self, run_id: str, user: str) -> ClickOutcome:
        until = self.clock.now() + self.snooze_for
        outcome = self._close(
            run_id,
            user,
            AuditAction.PROPOSAL_SNOOZE,
            f"snoozed by <@{user}> until {until:%H:%M} UTC",
        )
        if outcome.allowed:
            self.store.add_silence(
                Silence(
                    f"snooze-{run_id}", f"snoozed proposal {run_id}", user, self.clock.now(), until
                )
            )
        return outcome

    def check_close(self, run_id: str, user: str, verb: str) -> ClickOutcome:
        """Whether ``user`` may decline or snooze now (before asking a decline's reason)."""
        proposal = self.proposal(run_id)
        if proposal is None:
            return self._refused(user, verb, run_id, "There is no such proposal.", None)
        try:
            authorised = self.authorised(user)
        except DirectoryUnavailable as exc:
            return self._refused(user, verb, run_id, f"Cannot check approvers now: {exc}", None)
        verdict = judge_decision(
            proposal.record.rule,
            authorised=authorised,
            now=self.clock.now(),
            open_for_approval=proposal.run.state in _OPEN,
        )
        if not verdict.allowed:
            self._expire_if_due(proposal, verdict)
            return self._refused(user, verb, run_id, verdict.explanation, self.proposal(run_id))
        return ClickOutcome(True, "", proposal)

    def _close(self, run_id: str, user: str, action: AuditAction, why: str) -> ClickOutcome:
        verb = action.removeprefix("proposal.")
        check = self.check_close(run_id, user, verb)
        if not check.allowed:
            return check
        try:
            self.runner.abort(run_id, actor=user, surface=Surface.SLACK, reason=why)
        except RunError as exc:
            return self._refused(user, verb, run_id, str(exc), self.proposal(run_id))
        self._audit(user, Surface.SLACK, action, run_id, why)
        return ClickOutcome(True, why, self.proposal(run_id))

    def _expire_if_due(self, proposal: Proposal, verdict: Verdict) -> None:
        if verdict.refusal is not Refusal.EXPIRED or proposal.run.state not in _OPEN:
            return
        self.expire(proposal.run_id)

    def expire(self, run_id: str) -> bool:
        """End a proposal whose approval time is over (the sweeper calls it too)."""
        try:
            self.runner.abort(
                run_id, actor=BOT, surface=Surface.SYSTEM, reason="approval time expired"
            )
        except RunError:
            return False
        self._audit(
            BOT, Surface.SYSTEM, AuditAction.PROPOSAL_EXPIRE, run_id, "approval time expired"
        )
        return True

    def resolve_paused(self, run_id: str, user: str, action: str) -> ClickOutcome:
        """Retry, skip or abort a paused run: any approver may."""
        try:
            authorised = self.authorised(user)
        except DirectoryUnavailable as exc:
            return self._refused(user, action, run_id, f"Cannot check approvers now: {exc}", None)
        if not authorised:
            return self._refused(
                user, action, run_id, f"Only configured approvers may {action} a stage.", None
            )
        calls: dict[str, Callable[[], object]] = {
            "retry": lambda: self.runner.retry(run_id, actor=user, surface=Surface.SLACK),
            "skip": lambda: self.runner.skip(run_id, actor=user, surface=Surface.SLACK),
            "abort": lambda: self.runner.abort(
                run_id, actor=user, surface=Surface.SLACK, reason=f"aborted by <@{user}>"
            ),
        }
        try:
            calls[action]()
        except RunError as exc:
            return self._refused(user, action, run_id, str(exc), None)
        return ClickOutcome(True, f"{action} by <@{user}>", self.proposal(run_id))

    # ------------------------------------------------------------------ silences

    def silence(self, duration: timedelta, reason: str, actor: str) -> Silence:
        now = self.clock.now()
        silence = Silence(f"sil-{secrets.token_hex(4)}", reason, actor, now, now + duration)
        self.store.add_silence(silence)
        self._audit(actor, Surface.SLACK, AuditAction.SILENCE_ADD, silence.silence_id, reason)
        return silence

    def unsilence(self, actor: str) -> list[Silence]:
        ended = self.store.list_silences(active_at=self.clock.now())
        for silence in ended:
            self.store.remove_silence(silence.silence_id)
            self._audit(actor, Surface.SLACK, AuditAction.SILENCE_REMOVE, silence.silence_id)
        return ended

    # ------------------------------------------------------------------ audit

    def _refused(
        self, user: str, what: str, run_id: str, explanation: str, proposal: Proposal | None
    ) -> ClickOutcome:
        self._audit(user, Surface.SLACK, AuditAction(f"{what}.refused"), run_id, explanation)
        return ClickOutcome(False, explanation, proposal)

    def _audit(
        self, actor: str, surface: Surface, action: AuditAction, subject: str, detail: str = ""
    ) -> None:
        self.store.append_audit(
            AuditEvent(self.clock.now(), actor, surface, action, subject, detail)
        )
