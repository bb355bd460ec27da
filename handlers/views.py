"""Modals: the level-3 approval (the environment's name typed) and a decline's reason. The
typed name is checked before the ack (its errors are the ack); the rest is the request's
followup. A submission that cannot be read is refused before the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from engine.records import AuditAction, AuditEvent, Surface
from handlers import blocks
from handlers.actions import tell
from handlers.context import Services, services
from handlers.ids import BlockId, CallbackId, InputId
from handlers.payloads import Submission, read


def on_approve_submitted(ack: Ack, body: dict[str, Any], context: Any, client: WebClient) -> None:
    svc, submission = services(context), read(Submission, body, "view_submission")
    typed = submission.text(BlockId.ENVIRONMENT, InputId.ENVIRONMENT).strip()
    expected = svc.config.environment
    if typed != expected:
        ack(response_action="errors", errors=blocks.environment_mismatch(expected))
        svc.followup(body, lambda: _mistyped(svc, submission))
        return
    ack()
    svc.followup(body, lambda: _approve(svc, submission, client))


def _mistyped(svc: Services, submission: Submission) -> None:
    svc.desk.store.append_audit(
        AuditEvent(
            svc.clock.now(),
            submission.user_id,
            Surface.SLACK,
            AuditAction.APPROVE_REFUSED,
            submission.run_id,
            "the environment's name was mistyped",
        )
    )


def _approve(svc: Services, submission: Submission, client: WebClient) -> None:
    outcome = svc.desk.clicks.approve(submission.run_id, submission.user_id)
    if not outcome.allowed:
        tell(client, svc, None, submission.user_id, outcome.explanation)
    if outcome.proposal is not None:
        svc.board.publish(outcome.proposal)


def on_decline_submitted(ack: Ack, body: dict[str, Any], context: Any, client: WebClient) -> None:
    submission = read(Submission, body, "view_submission")
    ack()
    svc = services(context)
    svc.followup(body, lambda: _decline(svc, submission, client))


def _decline(svc: Services, submission: Submission, client: WebClient) -> None:
    reason = submission.text(BlockId.REASON, InputId.REASON)
    outcome = svc.desk.clicks.decline(submission.run_id, submission.user_id, reason)
    if not outcome.allowed:
        tell(client, svc, None, submission.user_id, outcome.explanation)
    if outcome.proposal is not None:
        svc.board.publish(outcome.proposal)


LISTENERS: dict[CallbackId, Any] = {
    CallbackId.APPROVE: on_approve_submitted,
    CallbackId.DECLINE: on_decline_submitted,
}
