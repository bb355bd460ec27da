"""What people do with a proposal — approve, decline, snooze — and with a run paused on a failed
stage — retry, skip, abort. Every click, allowed or refused, is appended to the audit log.
Nothing here knows Slack: the handlers call these methods after their ack and render what
they return.

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
from engine.incidents.approvals import (
    DirectoryUnavailable,
    GroupDirectory,
    Refusal,
    Verdict,
    is_approver,
    judge_approval,
    judge_decision,
)
from engine.incidents.audit import AuditTrail
from engine.incidents.proposals import Proposal
from engine.incidents.register import WAITING, ProposalRegister
from engine.incidents.silences import Silences
from engine.records import BOT, Approval, AuditAction, Decision, Surface

log = logging.getLogger("engine.incidents.clicks")


class Closing(StrEnum):
    """How a person ends a proposal without running it."""

    DECLINE = "decline"
    SNOOZE = "snooze"


class StageControl(StrEnum):
    """What a person does with a run paused on a failed stage."""

    RETRY = "retry"
    SKIP = "skip"
    ABORT = "abort"


_CLOSED = {
    Closing.DECLINE: AuditAction.PROPOSAL_DECLINE,
    Closing.SNOOZE: AuditAction.PROPOSAL_SNOOZE,
}
_REFUSED = {
    Closing.DECLINE: AuditAction.DECLINE_REFUSED,
    Closing.SNOOZE: AuditAction.SNOOZE_REFUSED,
    StageControl.RETRY: AuditAction.RETRY_REFUSED,
    StageControl.SKIP: AuditAction.SKIP_REFUSED,
    StageControl.ABORT: AuditAction.ABORT_REFUSED,
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
        groups: GroupDirectory,
        silences: Silences,
        trail: AuditTrail,
        snooze: timedelta = timedelta(hours=1),
    ) -> None:
        self.register = register
        self.runner = register.runner
        self.store = register.store
        self.config = config
        self.groups = groups
        self.silences = silences
        self.snooze_for = snooze
        self._trail = trail

    def authorised(self, user: str) -> bool:
        """Whether ``user`` is a configured approver. ``DirectoryUnavailable`` propagates: the
        caller refuses with that reason."""
        return is_approver(user, self.config.slack.approvers, self.groups)

    # ------------------------------------------------------------------ approve

    def check_approve(self, run_id: str, user: str) -> ClickOutcome:
        """Whether ``user`` could approve now (before asking them to type the environment)."""
        return self._approve(run_id, user, Surface.SLACK, record=False)

    def approve(self, run_id: str, user: str, surface: Surface = Surface.SLACK) -> ClickOutcome:
        return self._approve(run_id, user, surface, record=True)

    def _approve(self, run_id: str, user: str, surface: Surface, *, record: bool) -> ClickOutcome:
        refused = AuditAction.APPROVE_REFUSED
        proposal = self.register.proposal(run_id)
        if proposal is None:
            return self._refused(user, refused, run_id, "There is no such proposal.", None)
        now = self._trail.clock.now()
        verdict = self._judge(proposal, user, now)
        if not verdict.allowed or not record:
            self._expire_if_due(proposal, verdict)
            if verdict.allowed:
                return ClickOutcome(True, verdict.explanation, proposal)
            return self._refused(
                user, refused, run_id, verdict.explanation, self.register.proposal(run_id)
            )
        approval = Approval(run_id, user, Decision.APPROVE, now, surface)
        if not self.store.add_approval(approval):
            explanation = "You approved this already; an approval counts once per person."
            return self._refused(user, refused, run_id, explanation, proposal)
        count = f"{len(verdict.approvers)} of {proposal.record.required}"
        self._trail.write(user, surface, AuditAction.APPROVAL_GRANT, run_id, count)
        started = False
        if verdict.complete:
            try:
                started = self.register.start_once(run_id, actor=user, surface=surface)
            except RunError as exc:
                log.warning("approved run did not start: %s", exc, extra={"run_id": run_id})
                return ClickOutcome(True, f"Approved, but the run did not start: {exc}")
        return ClickOutcome(True, verdict.explanation, self.register.proposal(run_id), started)

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
            open_for_approval=proposal.run.state in WAITING,
        )

    # ------------------------------------------------------------------ decline, snooze, expire

    def decline(self, run_id: str, user: str, reason: str) -> ClickOutcome:
        why = reason.strip() or "no reason given"
        return self._close(run_id, user, Closing.DECLINE, f"declined by {user}: {why}")

    def snooze(self, run_id: str, user: str) -> ClickOutcome:
        until = self._trail.clock.now() + self.snooze_for
        why = f"snoozed by {user} until {until:%H:%M} UTC"
        outcome = self._close(run_id, user, Closing.SNOOZE, why)
        if outcome.allowed:
            self.silences.snooze(run_id, user, until)
        return outcome

    def check_close(self, run_id: str, user: str, closing: Closing) -> ClickOutcome:
        """Whether ``user`` may decline or snooze now (before asking a decline's reason)."""
        refused = _REFUSED[closing]
        proposal = self.register.proposal(run_id)
        if proposal is None:
            return self._refused(user, refused, run_id, "There is no such proposal.", None)
        try:
            authorised = self.authorised(user)
        except DirectoryUnavailable as exc:
            return self._refused(user, refused, run_id, f"Cannot check approvers now: {exc}", None)
        verdict = judge_decision(
            proposal.record.rule,
            authorised=authorised,
            now=self._trail.clock.now(),
            open_for_approval=proposal.run.state in WAITING,
        )
        if not verdict.allowed:
            self._expire_if_due(proposal, verdict)
            return self._refused(
                user, refused, run_id, verdict.explanation, self.register.proposal(run_id)
            )
        return ClickOutcome(True, "", proposal)

    def _close(self, run_id: str, user: str, closing: Closing, why: str) -> ClickOutcome:
        check = self.check_close(run_id, user, closing)
        if not check.allowed:
            return check
        try:
            self.runner.abort(run_id, actor=user, surface=Surface.SLACK, reason=why)
        except RunError as exc:
            return self._refused(
                user, _REFUSED[closing], run_id, str(exc), self.register.proposal(run_id)
            )
        self._trail.write(user, Surface.SLACK, _CLOSED[closing], run_id, why)
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

    def resolve_paused(self, run_id: str, user: str, control: StageControl) -> ClickOutcome:
        """Retry, skip or abort a paused run: any approver may."""
        refused = _REFUSED[control]
        try:
            authorised = self.authorised(user)
        except DirectoryUnavailable as exc:
            return self._refused(user, refused, run_id, f"Cannot check approvers now: {exc}", None)
        if not authorised:
            return self._refused(
                user, refused, run_id, f"Only configured approvers may {control} a stage.", None
            )
        calls: dict[StageControl, Callable[..., object]] = {
            StageControl.RETRY: self.runner.retry,
            StageControl.SKIP: self.runner.skip,
            StageControl.ABORT: self.runner.abort,
        }
        try:
            calls[control](run_id, actor=user, surface=Surface.SLACK)
        except RunError as exc:
            return self._refused(user, refused, run_id, str(exc), None)
        return ClickOutcome(True, f"{control} by {user}", self.register.proposal(run_id))

    def _refused(
        self,
        user: str,
        refused: AuditAction,
        run_id: str,
        explanation: str,
        proposal: Proposal | None,
    ) -> ClickOutcome:
        self._trail.write(user, Surface.SLACK, refused, run_id, explanation)
        return ClickOutcome(False, explanation, proposal)
