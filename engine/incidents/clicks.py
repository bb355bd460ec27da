"""What people do with a proposal — approve, decline, snooze — and with a run paused on a failed
stage — retry, skip, abort — through any surface (Slack's buttons, the break-glass command
line). Who may is ``engine.incidents.authority``'s table; every attempt, allowed or refused, is
appended to the audit log with the surface it came through. Nothing here knows Slack: the
handlers call these methods after their ack and render what they return.

Idempotency: an approval is kept once per person (the Store's unique approval) and a run
starts once (``ProposalRegister.start_once``), so a retried delivery or a double click has no
second effect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from engine.config import PhoenixConfig
from engine.errors import RunError
from engine.incidents.approvals import Refusal, Verdict, judge_approval, judge_decision
from engine.incidents.audit import AuditTrail
from engine.incidents.authority import Act, Authority, refused_action
from engine.incidents.proposals import Proposal
from engine.incidents.register import WAITING, ProposalRegister
from engine.incidents.silences import Silences
from engine.records import BOT, Approval, AuditAction, Decision, Surface
from engine.runs import StageState

log = logging.getLogger(__name__)


class Closing(StrEnum):
    """How a person ends a proposal without running it."""

    DECLINE = "decline"
    SNOOZE = "snooze"


class StageControl(StrEnum):
    """What a person does with a run paused on a failed stage."""

    RETRY = "retry"
    SKIP = "skip"
    ABORT = "abort"


_ACTS: dict[Closing | StageControl, Act] = {
    Closing.DECLINE: Act.DECLINE,
    Closing.SNOOZE: Act.SNOOZE,
    StageControl.RETRY: Act.RETRY,
    StageControl.SKIP: Act.SKIP,
    StageControl.ABORT: Act.ABORT,
}
_CLOSED = {
    Closing.DECLINE: AuditAction.PROPOSAL_DECLINE,
    Closing.SNOOZE: AuditAction.PROPOSAL_SNOOZE,
}
_CONTROLLED = {
    StageControl.RETRY: "Retrying the failed stage.",
    StageControl.SKIP: "Skipped the failed stage; the run goes on with the next.",
    StageControl.ABORT: "Aborted: nothing more runs.",
}


@dataclass(frozen=True)
class ClickOutcome:
    """What a click did: allowed or not, a sentence for the person, the proposal after it."""

    allowed: bool
    explanation: str
    proposal: Proposal | None = None
    started: bool = False


class ProposalClicks:
    def __init__(
        self,
        register: ProposalRegister,
        config: PhoenixConfig,
        *,
        authority: Authority,
        silences: Silences,
        trail: AuditTrail,
        snooze: timedelta = timedelta(hours=1),
    ) -> None:
        self.register = register
        self.runner = register.runner
        self.store = register.store
        self.config = config
        self.authority = authority
        self.silences = silences
        self.snooze_for = snooze
        self._trail = trail

    # ------------------------------------------------------------------ approve

    def check_approve(self, run_id: str, user: str) -> ClickOutcome:
        """Whether ``user`` could approve now (before asking them to type the environment)."""
        return self._approve(run_id, user, Surface.SLACK, record=False)

    def approve(
        self, run_id: str, user: str, surface: Surface = Surface.SLACK, *, reason: str = ""
    ) -> ClickOutcome:
        """``reason``, when given, is kept in the audit log beside the approval."""
        return self._approve(run_id, user, surface, record=True, reason=reason)

    def _approve(
        self, run_id: str, user: str, surface: Surface, *, record: bool, reason: str = ""
    ) -> ClickOutcome:
        refused = AuditAction.APPROVE_REFUSED
        proposal = self.register.proposal(run_id)
        if proposal is None:
            return self._refused(user, surface, refused, run_id, "There is no such proposal.")
        now = self._trail.clock.now()
        verdict = self._judge(proposal, user, now)
        if not verdict.allowed or not record:
            self._expire_if_due(proposal, verdict)
            if verdict.allowed:
                return ClickOutcome(True, verdict.explanation, proposal)
            return self._refused(
                user,
                surface,
                refused,
                run_id,
                verdict.explanation,
                self.register.proposal(run_id),
            )
        approval = Approval(run_id, user, Decision.APPROVE, now, surface)
        if not self.store.add_approval(approval):
            explanation = "You approved this already; an approval counts once per person."
            return self._refused(user, surface, refused, run_id, explanation, proposal)
        count = f"{len(verdict.approvers)} of {proposal.record.required}"
        detail = f"{count}: {reason}" if reason else count
        self._trail.write(user, surface, AuditAction.APPROVAL_GRANT, run_id, detail)
        started = False
        if verdict.complete:
            try:
                started = self.register.start_once(run_id, actor=user, surface=surface)
            except RunError as exc:
                log.warning("approved run did not start: %s", exc, extra={"run_id": run_id})
                return ClickOutcome(True, f"Approved, but the run did not start: {exc}")
        return ClickOutcome(True, verdict.explanation, self.register.proposal(run_id), started)

    def _judge(self, proposal: Proposal, user: str, now: datetime) -> Verdict:
        permission = self.authority.may(Act.APPROVE, user)
        verdict = judge_approval(
            proposal.record.rule,
            user=user,
            authorised=permission.allowed,
            given=proposal.approvals,
            now=now,
            open_for_approval=proposal.run.state in WAITING,
        )
        if verdict.refusal is Refusal.NOT_APPROVER:
            return Verdict(False, Refusal.NOT_APPROVER, permission.reason, verdict.approvers, False)
        return verdict

    # ------------------------------------------------------------------ decline, snooze, expire

    def decline(
        self, run_id: str, user: str, reason: str, surface: Surface = Surface.SLACK
    ) -> ClickOutcome:
        said = reason.strip() or "no reason given"
        return self._close(run_id, user, Closing.DECLINE, surface, f"declined: {said}", said)

    def snooze(self, run_id: str, user: str, surface: Surface = Surface.SLACK) -> ClickOutcome:
        until = self._trail.clock.now() + self.snooze_for
        why = f"snoozed until {until:%H:%M} UTC"
        outcome = self._close(run_id, user, Closing.SNOOZE, surface, why, until.isoformat())
        if outcome.allowed:
            self.silences.snooze(run_id, user, until)
        return outcome

    def check_close(
        self, run_id: str, user: str, closing: Closing, surface: Surface = Surface.SLACK
    ) -> ClickOutcome:
        """Whether ``user`` may decline or snooze now (before asking a decline's reason)."""
        refused = refused_action(_ACTS[closing])
        proposal = self.register.proposal(run_id)
        if proposal is None:
            return self._refused(user, surface, refused, run_id, "There is no such proposal.")
        permission = self.authority.may(_ACTS[closing], user)
        verdict = judge_decision(
            proposal.record.rule,
            authorised=permission.allowed,
            now=self._trail.clock.now(),
            open_for_approval=proposal.run.state in WAITING,
        )
        if not verdict.allowed:
            self._expire_if_due(proposal, verdict)
            explanation = (
                permission.reason
                if verdict.refusal is Refusal.NOT_APPROVER
                else verdict.explanation
            )
            return self._refused(
                user, surface, refused, run_id, explanation, self.register.proposal(run_id)
            )
        return ClickOutcome(True, "", proposal)

    def _close(
        self, run_id: str, user: str, closing: Closing, surface: Surface, why: str, detail: str
    ) -> ClickOutcome:
        """End the proposal: its run aborted with ``why`` (no person named: the surfaces name
        them), the closing audited with ``detail`` (a decline's reason, a snooze's end)."""
        check = self.check_close(run_id, user, closing, surface)
        if not check.allowed:
            return check
        try:
            self.runner.abort(run_id, actor=user, surface=surface, reason=why)
        except RunError as exc:
            return self._refused(
                user,
                surface,
                refused_action(_ACTS[closing]),
                run_id,
                str(exc),
                self.register.proposal(run_id),
            )
        self._trail.write(user, surface, _CLOSED[closing], run_id, detail)
        return ClickOutcome(True, why, self.register.proposal(run_id))

    def _expire_if_due(self, proposal: Proposal, verdict: Verdict) -> None:
        if verdict.refusal is not Refusal.EXPIRED or proposal.run.state not in WAITING:
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
        self._trail.write(
            BOT, Surface.SYSTEM, AuditAction.PROPOSAL_EXPIRE, run_id, "approval time expired"
        )
        return True

    # ------------------------------------------------------------------ a paused run

    def resolve_paused(
        self,
        run_id: str,
        user: str,
        control: StageControl,
        surface: Surface = Surface.SLACK,
        *,
        stage: str | None = None,
        reason: str = "",
    ) -> ClickOutcome:
        """Retry, skip or abort a paused run (abort also ends a proposal still waiting).
        ``stage``, when given, must be the stage that failed: the person says which stage they
        mean, and a run that moved on meanwhile is not changed under them. ``reason``, when
        given, is kept in the audit log."""
        refused = refused_action(_ACTS[control])
        permission = self.authority.may(_ACTS[control], user)
        if not permission.allowed:
            return self._refused(user, surface, refused, run_id, permission.reason)
        if stage is not None:
            wrong = self._not_the_failed_stage(run_id, stage)
            if wrong:
                return self._refused(user, surface, refused, run_id, wrong)
        calls: dict[StageControl, Callable[..., object]] = {
            StageControl.RETRY: self.runner.retry,
            StageControl.SKIP: self.runner.skip,
            StageControl.ABORT: self.runner.abort,
        }
        if control is StageControl.ABORT:
            extra = {"reason": f"aborted: {reason}" if reason else "aborted by hand"}
        else:
            extra = {"reason": reason}
        try:
            calls[control](run_id, actor=user, surface=surface, **extra)
        except RunError as exc:
            return self._refused(user, surface, refused, run_id, str(exc))
        return ClickOutcome(True, _CONTROLLED[control], self.register.proposal(run_id))

    def _not_the_failed_stage(self, run_id: str, stage: str) -> str:
        run = self.store.get_run(run_id)
        if run is None:
            return f"There is no run {run_id}."
        if stage not in run.stages:
            return f"Run {run_id} has no stage {stage!r} (its stages: {', '.join(run.stages)})."
        failed = [r.stage for r in self.store.get_stages(run_id) if r.state is StageState.FAILED]
        if stage in failed:
            return ""
        if failed:
            return f"Stage {stage} did not fail; {failed[0]} did."
        return f"Run {run_id} has no failed stage (it is {run.state.value})."

    def _refused(
        self,
        user: str,
        surface: Surface,
        refused: AuditAction,
        run_id: str,
        explanation: str,
        proposal: Proposal | None = None,
    ) -> ClickOutcome:
        self._trail.write(user, surface, refused, run_id, explanation)
        return ClickOutcome(False, explanation, proposal)
