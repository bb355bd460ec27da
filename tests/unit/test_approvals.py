"""The approval rules, pure (who is an approver: tests/unit/test_authority.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.incidents.approvals import (
    ApprovalRule,
    Refusal,
    judge_approval,
    judge_decision,
    required_approvals,
)
from engine.records import Approval, Decision, Surface

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RULE2 = ApprovalRule(required=2, requester=None, expires_at=T0 + timedelta(minutes=30))


def approval(user: str, minutes: float = 0) -> Approval:
    return Approval("run-1", user, Decision.APPROVE, T0 + timedelta(minutes=minutes), Surface.SLACK)


@pytest.mark.parametrize(
    ("policy", "manual", "needed"),
    [("auto", False, 0), ("auto", True, 1), ("approve", False, 1), ("two-person", True, 2)],
)
def test_required_approvals(policy: str, manual: bool, needed: int) -> None:
    assert required_approvals(policy, manual=manual) == needed  # type: ignore[arg-type]


def test_two_different_people_complete_a_two_person_rule() -> None:
    first = judge_approval(RULE2, user="UALICE", authorised=True, given=[], now=T0)
    assert first.allowed
    assert not first.complete
    second = judge_approval(RULE2, user="UBOB", authorised=True, given=[approval("UALICE")], now=T0)
    assert second.allowed
    assert second.complete
    assert second.approvers == ("UALICE", "UBOB")


def test_the_same_person_twice_is_refused() -> None:
    verdict = judge_approval(
        RULE2, user="UALICE", authorised=True, given=[approval("UALICE")], now=T0
    )
    assert verdict.refusal is Refusal.ALREADY_APPROVED
    assert not verdict.complete


def test_the_requester_cannot_approve() -> None:
    rule = ApprovalRule(2, "UALICE", T0 + timedelta(minutes=30))
    verdict = judge_approval(rule, user="UALICE", authorised=True, given=[], now=T0)
    assert verdict.refusal is Refusal.REQUESTER


def test_not_an_approver_is_refused() -> None:
    verdict = judge_approval(RULE2, user="UCAROL", authorised=False, given=[], now=T0)
    assert verdict.refusal is Refusal.NOT_APPROVER
    assert "not one of them" in verdict.explanation


def test_expired_and_closed_proposals_are_refused() -> None:
    late = T0 + timedelta(minutes=30)
    assert judge_approval(RULE2, user="UBOB", authorised=True, given=[], now=late).refusal is (
        Refusal.EXPIRED
    )
    closed = judge_approval(
        RULE2, user="UBOB", authorised=True, given=[], now=T0, open_for_approval=False
    )
    assert closed.refusal is Refusal.CLOSED
    assert judge_decision(RULE2, authorised=True, now=late).refusal is Refusal.EXPIRED
    assert judge_decision(RULE2, authorised=False, now=T0).refusal is Refusal.NOT_APPROVER
    assert judge_decision(RULE2, authorised=True, now=T0).allowed
