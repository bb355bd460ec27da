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
from handlers.payloads import HomeOpened, read

_DEDUPE = timedelta(hours=1)


def on_home_opened(
    ack: Ack, body: dict[str, Any], event: dict[str, Any], context: Any, client: WebClient
) -> None:
    opened = read(HomeOpened, event, "app_home_opened")
    event_id = body.get("event_id")
    ack()
    svc = services(context)
    svc.followup(body, lambda: _publish(svc, event_id, opened, client))


def _publish(svc: Services, event_id: object, opened: HomeOpened, client: WebClient) -> None:
    # Slack delivers an event again, with the same event_id, when it saw no ack in time
    # (X-Slack-Retry-Num, https://api.slack.com/apis/events-api#retries): the first delivery to
    # claim the id publishes, and every other is a no-op, on whichever replica it lands.
    if isinstance(event_id, str) and not svc.desk.store.claim(f"event:{event_id}", _DEDUPE):
        return
    report = status_report(svc.desk, svc.config, svc.clock.now(), drills=svc.drills)
    client.views_publish(user_id=opened.user, view=blocks.home_view(report))


LISTENERS: dict[EventType, Any] = {EventType.APP_HOME_OPENED: on_home_opened}
