"""A tiny Bolt app, registered the way the real bot registers its listeners, for driving the
emulator with the real slack_bolt and slack_sdk clients."""

from __future__ import annotations

import threading
import time
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from sandbox.slack import Emulator

Json = dict[str, Any]


def proposal_blocks(incident: str) -> list[Json]:
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "Level 2: region failover"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"Incident *{incident}*, score 9"}},
        {
            "type": "actions",
            "block_id": "decision",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approve",
                    "text": {"type": "plain_text", "text": "Approve"},
                    "style": "primary",
                    "value": incident,
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Fail over?"},
                        "text": {"type": "mrkdwn", "text": "Traffic moves to us-west-2."},
                        "confirm": {"type": "plain_text", "text": "Fail over"},
                        "deny": {"type": "plain_text", "text": "Cancel"},
                    },
                },
                {
                    "type": "button",
                    "action_id": "snooze",
                    "text": {"type": "plain_text", "text": "Snooze"},
                    "value": incident,
                },
                {
                    "type": "button",
                    "action_id": "decline",
                    "style": "danger",
                    "text": {"type": "plain_text", "text": "Decline"},
                    "value": incident,
                },
            ],
        },
    ]


def approval_modal() -> Json:
    return {
        "type": "modal",
        "callback_id": "approve_modal",
        "title": {"type": "plain_text", "text": "Approve DR failover"},
        "submit": {"type": "plain_text", "text": "Approve"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": "inc-3",
        "blocks": [
            {
                "type": "input",
                "block_id": "env",
                "label": {"type": "plain_text", "text": "Type the environment name"},
                "element": {"type": "plain_text_input", "action_id": "env_name"},
            }
        ],
    }


class PhoenixApp:
    """The Bolt app and a log of what its listeners did."""

    def __init__(self, emulator: Emulator) -> None:
        self.client = emulator.web_client()
        self.app = App(client=self.client, signing_secret=emulator.signing_secret)
        self.seen: list[str] = []
        self._lock = threading.Lock()
        self._register(self.app)

    def _saw(self, what: str) -> None:
        with self._lock:
            self.seen.append(what)

    def _register(self, app: App) -> None:
        @app.command("/phoenix")
        def phoenix(ack: Ack, command: Json, client: WebClient, respond: Respond) -> None:
            words = command["text"].split()
            word = words[0] if words else "help"
            self._saw(f"command:{word}")
            if word == "status":
                ack()
                client.chat_postMessage(
                    channel=command["channel_id"],
                    text="Level 2 proposal",
                    blocks=proposal_blocks("inc-1"),
                )
            elif word == "approve":
                ack()
                client.views_open(trigger_id=command["trigger_id"], view=approval_modal())
            elif word == "slow":
                time.sleep(float(words[1]))
                ack()
            elif word == "badack":
                ack(text="x", blocks=[{"type": "section"}])
            elif word == "later":
                ack()
                respond(text="Checked: all signals green")
            else:
                ack(text="Usage: /phoenix status | approve | help")

        @app.action("approve")
        def approve(ack: Ack, body: Json, client: WebClient) -> None:
            ack()
            self._saw("action:approve")
            channel, ts = body["channel"]["id"], body["message"]["ts"]
            user = body["user"]["id"]
            client.chat_update(
                channel=channel,
                ts=ts,
                text=f"Approved by <@{user}>",
                blocks=[
                    {
                        "type": "section",
                        "text": {"type": "mrkdwn", "text": f"Approved by <@{user}>"},
                    }
                ],
            )
            client.chat_postMessage(channel=channel, thread_ts=ts, text="Stage 1/3 started")

        @app.action("snooze")
        def snooze(ack: Ack, respond: Respond) -> None:
            ack()
            self._saw("action:snooze")
            respond(replace_original=True, text="Snoozed for 1h")

        @app.action("decline")
        def decline(ack: Ack, respond: Respond) -> None:
            ack()
            self._saw("action:decline")
            respond(delete_original=True)

        @app.view("approve_modal")
        def submitted(ack: Ack, view: Json, body: Json, client: WebClient) -> None:
            typed = view["state"]["values"]["env"]["env_name"]["value"]
            self._saw(f"view:{typed}")
            if typed != "production":
                ack(response_action="errors", errors={"env": "Type production to confirm"})
                return
            ack()
            client.chat_postMessage(
                channel="#incidents", text=f"DR failover approved by <@{body['user']['id']}>"
            )

        @app.event("app_home_opened")
        def home(event: Json, client: WebClient) -> None:
            self._saw("event:app_home_opened")
            client.views_publish(
                user_id=event["user"],
                view={
                    "type": "home",
                    "blocks": [
                        {"type": "section", "text": {"type": "mrkdwn", "text": "Score 0, level 0"}}
                    ],
                },
            )
