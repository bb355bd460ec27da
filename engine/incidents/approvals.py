"""When a proposal has enough approvals, and whether one more counts. Pure: no Slack, no store.

The rules, in the words of a reviewer:

- Only approvers count (who they are: ``engine.incidents.authority``).
- A level's policy says how many different people must approve: ``auto`` none, ``approve``
  one, ``two-person`` two. A proposal a person asked for by hand needs at least one, and
  that person is never one of its approvers (nobody approves their own request).
- Nobody approves twice: the second click of one person adds nothing.
- A proposal waits for its approvals for ``approval_ttl``; after that it has expired and
  every click is refused. Approvals given before it expired still stand in the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from engine.config import Policy
from engine.records import Approval, Decision

_REQUIRED = {"auto": 0, "approve": 1, "two-person": 2}


def required_approvals(policy: Policy, *, manual: bool) -> int:
    """Different approvers a proposal under ``policy`` needs; at least one when manual."""
    needed = _REQUIRED[policy]
    return max(needed, 1) if manual else needed


class Refusal(StrEnum):
    NOT_APPROVER = "not_approver"
    REQUESTER = "requester"
    ALREADY_APPROVED = "already_approved"
    EXPIRED = "expired"
    CLOSED = "closed"
    DIRECTORY = "directory_unavailable"


@dataclass(frozen=True)
class ApprovalRule:
    """What one proposal needs, fixed when it is opened."""

    required: int
    requester: str | None
    """The person who asked for the proposal by hand; None when the engine proposed it."""
    expires_at: datetime


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    refusal: Refusal | None
    explanation: str
    """A sentence for the person who clicked (and for the audit log)."""
    approvers: tuple[str, ...]
    """The distinct approvers once this click counts (unchanged if it was refused)."""
    complete: bool
    """Enough approvals to start."""


def approvers_of(given: Sequence[Approval]) -> tuple[str, ...]:
    """Distinct users who approved, in the order they did."""
    return tuple(dict.fromkeys(a.user for a in given if a.decision is Decision.APPROVE))


def judge_approval(
    rule: ApprovalRule,
    *,
    user: str,
    authorised: bool,
    given: Sequence[Approval],
    now: datetime,
    open_for_approval: bool = True,
) -> Verdict:
    """Whether ``user``'s approval counts, and whether the proposal is then complete.

    ``authorised`` is ``is_approver``'s answer; ``given`` the approvals recorded so far;
    ``open_for_approval`` False once the proposal was decided (declined, started, over).
    """
    before = approvers_of(given)
    remaining = max(rule.required - len(before), 0)

    def refuse(refusal: Refusal, explanation: str) -> Verdict:
        return Verdict(False, refusal, explanation, before, remaining == 0)

    if not open_for_approval:
        return refuse(Refusal.CLOSED, "This proposal is no longer waiting for approval.")
    if now >= rule.expires_at:
        return refuse(
            Refusal.EXPIRED,
            f"This proposal expired at {rule.expires_at:%H:%M} UTC without enough approvals; "
            "ask for a fresh one (/phoenix failover <plan>).",
        )
    if not authorised:
        return refuse(
            Refusal.NOT_APPROVER,
            "Only configured approvers may approve a failover, and you are not one of them "
            "(slack.approvers in phoenix.yaml).",
        )
    if rule.requester is not None and user == rule.requester:
        return refuse(
            Refusal.REQUESTER,
            "You asked for this failover, so you cannot approve it: another approver must.",
        )
    if user in before:
        more = f" {remaining} more approver(s) needed." if remaining else ""
        return refuse(
            Refusal.ALREADY_APPROVED,
            f"You approved this already; an approval counts once per person.{more}",
        )
    after = (*before, user)
    complete = len(after) >= rule.required
    if complete:
        explanation = "Approved: the run starts now."
    else:
        explanation = (
            f"Approval recorded; {rule.required - len(after)} more from a different approver "
            "needed."
        )
    return Verdict(True, None, explanation, after, complete)


def judge_decision(
    rule: ApprovalRule, *, authorised: bool, now: datetime, open_for_approval: bool = True
) -> Verdict:
    """Whether a person may decline or snooze the proposal: any approver, while it waits."""
    if not open_for_approval:
        return Verdict(
            False, Refusal.CLOSED, "This proposal is no longer waiting for a decision.", (), False
        )
    if now >= rule.expires_at:
        return Verdict(False, Refusal.EXPIRED, "This proposal expired already.", (), False)
    if not authorised:
        return Verdict(
            False,
            Refusal.NOT_APPROVER,
            "Only configured approvers may decline or snooze a proposal.",
            (),
            False,
        )
    return Verdict(True, None, "", (), False)
