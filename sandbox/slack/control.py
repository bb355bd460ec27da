"""The test API: act as people in the workspace and read what the bot did.

Every ``run_slash_command``/``click``/``submit_view``/``open_app_home``/``send_event`` call
builds the payload Slack would send, delivers it (Socket Mode by default, HTTP mode after
``use_http_mode``), returns once it is acked or the ack deadline passes, and applies the ack
as Slack would. The returned ``Delivery`` says whether the ack was on time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from sandbox.slack import interactions, payloads
from sandbox.slack.blockkit import ActionIdScope
from sandbox.slack.dispatch import Dispatcher
from sandbox.slack.inspection import Inspection
from sandbox.slack.modal_acks import apply_view_ack
from sandbox.slack.payloads import Tamper
from sandbox.slack.ratelimit import RateLimiter
from sandbox.slack.records import Delivery
from sandbox.slack.responses import Responder, ResponseRejected
from sandbox.slack.retries import SLACK_RETRY_DELAYS
from sandbox.slack.state import Workspace
from sandbox.slack.stored import ResponseTarget, StoredView
from sandbox.slack.transport import EnvelopeTransport

Json = dict[str, Any]


class Control(Inspection):
    """Drive the workspace as its people would, and inspect it."""

    def __init__(
        self,
        ws: Workspace,
        limiter: RateLimiter,
        responder: Responder,
        socket_mode: EnvelopeTransport,
        *,
        ack_deadline: float,
        late_ack_grace: float,
        signing_secret: str,
        verification_token: str,
        action_id_scope: ActionIdScope,
        event_retry_delays: tuple[float, ...] = SLACK_RETRY_DELAYS,
    ) -> None:
        self._ws = ws
        self._limiter = limiter
        self._responder = responder
        self._dispatch = Dispatcher(
            ws,
            socket_mode,
            ack_deadline=ack_deadline,
            late_ack_grace=late_ack_grace,
            signing_secret=signing_secret,
            event_retry_delays=event_retry_delays,
        )
        self._verification_token = verification_token
        self._scope = action_id_scope

    # -- delivery mode and deadline ------------------------------------------------------------

    @property
    def mode(self) -> Literal["socket_mode", "http"]:
        return self._dispatch.mode

    def use_http_mode(self, request_url: str) -> None:
        """Deliver to ``request_url`` (the bot's /slack/events) instead of Socket Mode."""
        self._dispatch.use_http_mode(request_url)

    def use_socket_mode(self) -> None:
        self._dispatch.use_socket_mode()

    @property
    def event_retry_delays(self) -> tuple[float, ...]:
        """Seconds before each retry of a failed event delivery (Slack: 0, 60, 300)."""
        return self._dispatch.retries.delays

    @event_retry_delays.setter
    def event_retry_delays(self, delays: tuple[float, ...]) -> None:
        self._dispatch.retries.delays = tuple(delays)

    def pending_event_retries(self) -> int:
        """Retries of failed event deliveries scheduled and not yet sent (HTTP mode)."""
        return self._dispatch.retries.pending()

    def reset(self) -> None:
        """Drop the event retries not yet sent, then forget messages, views, journals and
        breaches, and refill the budgets."""
        self._dispatch.retries.cancel()
        super().reset()

    @property
    def ack_deadline(self) -> float:
        """Seconds the bot has to ack an envelope (Slack: 3); tests may shorten it."""
        return self._dispatch.ack_deadline

    @ack_deadline.setter
    def ack_deadline(self, seconds: float) -> None:
        self._dispatch.ack_deadline = seconds

    # -- acting as people ----------------------------------------------------------------------

    def run_slash_command(
        self,
        command: str,
        text: str = "",
        *,
        user: str,
        channel: str = "#incidents",
        tamper: Tamper | None = None,
    ) -> Delivery:
        """``user`` types ``command text`` in ``channel``; returns once acked (or timed out).

        An on-time ack body becomes an ephemeral message (or an in-channel one); a late or
        failed ack shows the user Slack's ``failed with the error "..."`` notice instead.
        """
        ws = self._ws
        with ws.lock:
            self._check_user(user)
            channel_id = self.channel_id(channel)
            target = ResponseTarget(channel_id, user, ws.clock.monotonic())
            payload = payloads.slash_command(
                ws,
                command=command,
                text=text,
                user=user,
                channel=channel_id,
                response_url=self._responder.issue(target),
                trigger_id=ws.issue_trigger(user),
                verification_token=self._verification_token,
            )
        envelope = self._dispatch.envelope(
            "slash_commands", payload, command, accepts=True, tamper=tamper
        )
        delivery = self._dispatch.deliver(envelope)
        if not delivery.on_time:
            error = (
                "operation_timeout" if delivery.error == "operation_timeout" else "dispatch_failed"
            )
            self._responder.slack_error(channel_id, user, command, error)
        elif delivery.ack_payload:
            try:
                self._responder.apply(target, delivery.ack_payload, "ack")
            except ResponseRejected as exc:
                delivery = ws.update_delivery(delivery.envelope_id, error=_rejection(exc))
                self._responder.slack_error(channel_id, user, command, exc.error)
        return delivery

    def click(
        self,
        action_id: str,
        *,
        user: str,
        message_ts: str | None = None,
        view_id: str | None = None,
        value: Any | None = None,
        block_id: str | None = None,
        tamper: Tamper | None = None,
    ) -> Delivery:
        """``user`` clicks (or picks ``value`` in) element ``action_id`` of a message or view.

        For a button, ``value`` picks among buttons sharing the action_id. A button with a
        confirm dialog counts as confirmed.
        """
        if (message_ts is None) == (view_id is None):
            raise ValueError("click needs exactly one of message_ts or view_id")
        ws = self._ws
        with ws.lock:
            self._check_user(user)
            extra: Json = {}
            if message_ts is not None:
                blocks, extra = self._message_click(user, message_ts)
            else:
                view = self._user_view(user, str(view_id))
                blocks = view.body.get("blocks", [])
                extra = {
                    "container": {"type": "view", "view_id": view.id},
                    "view": view.to_api(ws.identity),
                }
            element = interactions.find_element(blocks, action_id, block_id, value)
            payload = payloads.block_actions(
                ws,
                user=user,
                action=interactions.action(element, value),
                trigger_id=ws.issue_trigger(user),
                verification_token=self._verification_token,
                **extra,
            )
        label = f"block_actions:{action_id}"
        return self._dispatch.deliver(
            self._dispatch.envelope("interactive", payload, label, tamper=tamper)
        )

    def _message_click(self, user: str, ts: str) -> tuple[list[Json], Json]:
        ws = self._ws
        message = ws.message_by_ts(ts)
        now = ws.clock.monotonic()
        if message is not None:
            container: Json = {
                "type": "message",
                "message_ts": ts,
                "channel_id": message.channel,
                "is_ephemeral": False,
            }
            if message.thread_ts is not None:
                container["thread_ts"] = message.thread_ts
            target = ResponseTarget(
                message.channel, user, now, message_ts=ts, thread_ts=message.thread_ts
            )
            return message.blocks, {
                "container": container,
                "channel": message.channel,
                "message": message.to_api(ws.identity),
                "response_url": self._responder.issue(target),
            }
        ephemeral = ws.ephemeral_by_ts(ts)
        if ephemeral is None or ephemeral.user != user:
            raise LookupError(f"user {user} sees no message with ts {ts}")
        container = {
            "type": "message",
            "message_ts": ts,
            "channel_id": ephemeral.channel,
            "is_ephemeral": True,
        }
        target = ResponseTarget(ephemeral.channel, user, now, message_ts=ts, ephemeral_source=True)
        return ephemeral.blocks, {
            "container": container,
            "channel": ephemeral.channel,
            "response_url": self._responder.issue(target),
        }

    def _user_view(self, user: str, view_id: str) -> StoredView:
        view = self._ws.view(view_id)
        if view is None or view.user != user:
            raise LookupError(f"user {user} has no view {view_id}")
        return view

    def submit_view(
        self,
        *,
        user: str,
        values: Mapping[str, Any] | None = None,
        view_id: str | None = None,
        tamper: Tamper | None = None,
    ) -> Delivery:
        """``user`` fills the inputs of their open modal (the top one by default) and submits.

        ``values`` maps an input's action_id (or block_id -> {action_id: value}) to a value:
        text for text inputs, an option value for selects and radios, a list for multi-selects.
        An on-time ack is applied: no body closes the view, ``response_action`` errors / update
        / push / clear behave as in Slack.
        """
        ws = self._ws
        with ws.lock:
            self._check_user(user)
            stack = ws.modals(user)
            if view_id is None and not stack:
                raise LookupError(f"user {user} has no open modal")
            view = self._user_view(user, view_id) if view_id is not None else stack[-1]
            view.state_values = interactions.submission_state(
                view.body.get("blocks", []), values or {}
            )
            view.errors = None
            ws.touch()
            payload = payloads.view_submission(
                ws,
                user=user,
                view=view.to_api(ws.identity),
                trigger_id=ws.issue_trigger(user),
                verification_token=self._verification_token,
            )
        label = f"view_submission:{view.body.get('callback_id', '')}"
        envelope = self._dispatch.envelope(
            "interactive", payload, label, accepts=True, tamper=tamper
        )
        delivery = self._dispatch.deliver(envelope)
        if delivery.on_time:
            error = apply_view_ack(ws, user, view, delivery.ack_payload, self._scope)
            if error is not None:
                delivery = ws.update_delivery(delivery.envelope_id, error=error)
        return delivery

    def open_app_home(self, user: str, *, tamper: Tamper | None = None) -> Delivery:
        """``user`` opens the app's Home tab (an ``app_home_opened`` event)."""
        with self._ws.lock:
            self._check_user(user)
            dm = self._ws.directory.dm_channel(user)
            event: Json = {"type": "app_home_opened", "user": user, "channel": dm.id, "tab": "home"}
            home = self._ws.home(user)
            if home is not None:
                event["view"] = home.to_api(self._ws.identity)
        return self.send_event(event, tamper=tamper)

    def send_event(
        self,
        event: Json,
        *,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        event_id: str | None = None,
        tamper: Tamper | None = None,
    ) -> Delivery:
        """Deliver an Events API event (``event`` is the inner event object)."""
        payload = payloads.event_callback(
            self._ws,
            event,
            event_id=event_id or self._ws.new_id("Ev"),
            verification_token=self._verification_token,
        )
        label = str(event.get("type", "event"))
        envelope = self._dispatch.envelope(
            "events_api",
            payload,
            label,
            tamper=tamper,
            retry_num=retry_num,
            retry_reason=retry_reason,
        )
        return self._dispatch.deliver(envelope)

    def redeliver(
        self, envelope_id: str, *, retry_num: int = 1, retry_reason: str = "http_timeout"
    ) -> Delivery:
        """Send an event again as Slack's retry would (same event_id, retry headers)."""
        original = self._ws.delivery(envelope_id)
        if original is None or original.type != "events_api":
            raise LookupError(f"no events_api delivery {envelope_id}")
        envelope = self._dispatch.envelope(
            "events_api",
            original.payload,
            original.label,
            retry_num=retry_num,
            retry_reason=retry_reason,
        )
        return self._dispatch.deliver(envelope)


def _rejection(exc: ResponseRejected) -> str:
    return f"{exc.error}: {'; '.join(exc.problems)}" if exc.problems else exc.error
