"""A button's listener: read the click, ack at once, then the click's work as the request's
followup, off the thread that answers Slack (its 3-second rule is for the ack, not for the
work). A click that cannot be read is refused before the ack (``UnreadablePayload``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from handlers.context import Services, services
from handlers.payloads import Click, read

ClickWork = Callable[[Services, Click, WebClient], None]
ButtonListener = Callable[[Ack, dict[str, Any], Any, WebClient], None]


def acked(work: ClickWork) -> ButtonListener:
    """The Bolt listener for ``work``; Bolt injects its arguments by these parameter names."""

    def listener(ack: Ack, body: dict[str, Any], context: Any, client: WebClient) -> None:
        click = read(Click, body, "block_actions")
        ack()
        svc = services(context)
        svc.followup(body, lambda: work(svc, click, client))

    listener.__name__ = work.__name__
    listener.__qualname__ = work.__qualname__
    listener.__doc__ = work.__doc__
    return listener
