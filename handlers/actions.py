"""Buttons: ack, then (as a followup, off the thread that answers Slack) one engine call and
the result — the proposal edited in place by the board, or an ephemeral sentence to the
person whose click was refused (never silence)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from engine.incidents.clicks import Closing, StageControl
from handlers import blocks, drills
from handlers.buttons import acked
from handlers.context import Services
from handlers.ids import ActionId
from handlers.payloads import Click


def tell(client: WebClient, svc: Services, channel: str | None, user: str, text: str) -> None:
    """An ephemeral sentence for ``user`` where they clicked (else in the incident channel)."""
    client.chat_postEphemeral(
        channel=channel or svc.channel, user=user, **blocks.notice(text).as_kwargs()
    )


@acked
def on_approve(svc: Services, click: Click, client: WebClient) -> None:
    outcome = svc.desk.clicks.approve(click.value, click.user_id)
    if not outcome.allowed:
        tell(client, svc, click.channel_id, click.user_id, outcome.explanation)
    if outcome.proposal is not None:
        svc.board.publish(outcome.proposal)


@acked
def on_approve_typed(svc: Services, click: Click, client: WebClient) -> None:
    """Level 3: check the approver first, then ask them to type the environment's name."""
    outcome = svc.desk.clicks.check_approve(click.value, click.user_id)
    if not outcome.allowed or outcome.proposal is None:
        tell(client, svc, click.channel_id, click.user_id, outcome.explanation)
        if outcome.proposal is not None:
            svc.board.publish(outcome.proposal)
        return
    client.views_open(trigger_id=click.trigger_id, view=blocks.approve_modal(outcome.proposal))


@acked
def on_decline(svc: Services, click: Click, client: WebClient) -> None:
    """Check the person may decline, then ask why."""
    outcome = svc.desk.clicks.check_close(click.value, click.user_id, Closing.DECLINE)
    if not outcome.allowed or outcome.proposal is None:
        tell(client, svc, click.channel_id, click.user_id, outcome.explanation)
        return
    client.views_open(trigger_id=click.trigger_id, view=blocks.decline_modal(outcome.proposal))


@acked
def on_snooze(svc: Services, click: Click, client: WebClient) -> None:
    outcome = svc.desk.clicks.snooze(click.value, click.user_id)
    if not outcome.allowed:
        tell(client, svc, click.channel_id, click.user_id, outcome.explanation)
    if outcome.proposal is not None:
        svc.board.publish(outcome.proposal)


def _stage_control(control: StageControl) -> Any:
    def on_click(svc: Services, click: Click, client: WebClient) -> None:
        outcome = svc.desk.clicks.resolve_paused(click.value, click.user_id, control)
        if not outcome.allowed:
            tell(client, svc, click.channel_id, click.user_id, outcome.explanation)

    on_click.__name__ = f"on_{control}"
    return acked(on_click)


LISTENERS: dict[ActionId, Any] = {
    ActionId.APPROVE: on_approve,
    ActionId.APPROVE_TYPED: on_approve_typed,
    ActionId.DECLINE: on_decline,
    ActionId.SNOOZE: on_snooze,
    ActionId.RETRY: _stage_control(StageControl.RETRY),
    ActionId.SKIP: _stage_control(StageControl.SKIP),
    ActionId.ABORT: _stage_control(StageControl.ABORT),
    **drills.LISTENERS,
}
