"""App Home: score and level, the active incident or run, drills — from the Store, published
as the event's followup after the ack."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from engine.status import status_report
from handlers import blocks
from handlers.context import Services, services
from handlers.ids import EventType

_DEDUPE = timedelta(hours=1)


def on_home_opened(
    ack: Ack, body: dict[str, Any], event: dict[str, Any], context: Any, client: WebClient
) -> None:
    ack()
    svc = services(context)
    svc.followup(body, lambda: _publish(svc, body, event, client))


def _publish(svc: Services, body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
    event_id = body.get("event_id")
    # A Slack retry of the same event (X-Slack-Retry-Num) carries the same event_id.
    if isinstance(event_id, str) and not svc.desk.store.claim(f"event:{event_id}", _DEDUPE):
        return
    user = event.get("user")
    if not isinstance(user, str):
        return
    report = status_report(svc.desk, svc.config, svc.clock.now(), drills=svc.drills)
    client.views_publish(user_id=user, view=blocks.home_view(report))


LISTENERS: dict[EventType, Any] = {EventType.APP_HOME_OPENED: on_home_opened}
