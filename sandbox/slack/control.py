"""The test API: act as people in the workspace and read what the bot did.

Every ``run_*``/``click``/``submit_view``/``open_app_home``/``send_event`` call builds the
payload Slack would send, delivers it (Socket Mode by default, HTTP mode after
``use_http_mode``), returns once it is acked or the ack deadline passes, and applies the ack
as Slack would. The returned ``Delivery`` says whether the ack was on time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from sandbox.slack import interactions, payloads
from sandbox.slack.blockkit import ActionIdScope, view_problems, with_generated_ids
from sandbox.slack.http_mode import HttpDelivery
from sandbox.slack.payloads import Envelope, Tamper
from sandbox.slack.ratelimit import Breach, RateBudget, RateLimiter
from sandbox.slack.records import (
    ApiCall,
    Delivery,
    EphemeralMessage,
    Message,
    View,
)
from sandbox.slack.responses import Responder, ResponseRejected
from sandbox.slack.state import ResponseTarget, StoredView, Workspace
from sandbox.slack.transport import Delivery as DeliveryTransport

Json = dict[str, Any]
T = TypeVar("T")


class Control:
    """Drive the workspace as its people would, and inspect it."""

    def __init__(
        self,
        ws: Workspace,
        limiter: RateLimiter,
        responder: Responder,
        socket_mode: DeliveryTransport,
        *,
        ack_deadline: float,
        late_ack_grace: float,
        signing_secret: str,
        verification_token: str,
        action_id_scope: ActionIdScope,
    ) -> None:
        self._ws = ws
        self._limiter = limiter
        self._responder = responder
        self._socket_mode = socket_mode
        self._http: HttpDelivery | None = None
        self.ack_deadline = ack_deadline
        self._late_ack_grace = late_ack_grace
        self._signing_secret = signing_secret
        self._verification_token = verification_token
        self._scope = action_id_scope

    @property
    def version(self) -> int:
        """Bumped by every change to the workspace."""
        return self._ws.version

    # -- delivery mode -------------------------------------------------------------------------

    @property
    def mode(self) -> Literal["socket_mode", "http"]:
        return "http" if self._http is not None else "socket_mode"

    def use_http_mode(self, request_url: str) -> None:
        """Deliver to ``request_url`` (the bot's /slack/events) instead of Socket Mode."""
        self._http = HttpDelivery(request_url, self._signing_secret, self._late_ack_grace)

    def use_socket_mode(self) -> None:
        self._http = None

    # -- directory -----------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        *,
        id: str | None = None,
        real_name: str | None = None,
        approver: bool = False,
    ) -> str:
        with self._ws.lock:
            user = self._ws.directory.add_user(name, id=id, real_name=real_name, approver=approver)
            self._ws.touch()
            return user.id

    def add_channel(self, name: str, *, id: str | None = None, private: bool = False) -> str:
        with self._ws.lock:
            channel = self._ws.directory.add_channel(name, id=id, private=private)
            self._ws.touch()
            return channel.id

    def add_usergroup(
        self, handle: str, members: list[str], *, id: str | None = None, name: str | None = None
    ) -> str:
        with self._ws.lock:
            group = self._ws.directory.add_usergroup(handle, members, id=id, name=name)
            self._ws.touch()
            return group.id

    def users(self) -> list[Json]:
        with self._ws.lock:
            return [u.to_dict() for u in self._ws.directory.users.values()]

    def channels(self) -> list[Json]:
        with self._ws.lock:
            return [c.to_dict() for c in self._ws.directory.channels.values()]

    def usergroups(self) -> list[Json]:
        with self._ws.lock:
            return [g.to_dict() for g in self._ws.directory.usergroups.values()]

    def channel_id(self, channel: str) -> str:
        """A channel's id from its id, ``#name`` or ``name`` (or a user id: their DM)."""
        with self._ws.lock:
            found = self._ws.directory.resolve_channel(channel)
            if found is None:
                raise LookupError(f"no channel {channel!r}")
            return found.id

    def issue_trigger(self, user: str) -> str:
        """A fresh trigger_id for ``user``, as an interaction would carry (for direct API tests)."""
        with self._ws.lock:
            self._check_user(user)
            return self._ws.issue_trigger(user)

    def _check_user(self, user: str) -> None:
        if user not in self._ws.directory.users:
            raise LookupError(f"no user {user!r}")

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
        envelope = self._envelope("slash_commands", payload, command, accepts=True, tamper=tamper)
        delivery = self._deliver(envelope)
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
        return self._deliver(self._envelope("interactive", payload, label, tamper=tamper))

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
        envelope = self._envelope("interactive", payload, label, accepts=True, tamper=tamper)
        delivery = self._deliver(envelope)
        if delivery.on_time:
            error = self._apply_view_ack(user, view, delivery.ack_payload)
            if error is not None:
                delivery = ws.update_delivery(delivery.envelope_id, error=error)
        return delivery

    def _apply_view_ack(self, user: str, view: StoredView, ack: Json | None) -> str | None:
        ws = self._ws
        action = (ack or {}).get("response_action")
        with ws.lock:
            if action is None:
                ws.close_modal(user, view.id)
            elif action == "clear":
                ws.close_modal(user, view.id, all_views=True)
            elif action == "errors":
                errors = (ack or {}).get("errors")
                input_ids = {
                    b.get("block_id")
                    for b in view.body.get("blocks", [])
                    if b.get("type") == "input"
                }
                if not isinstance(errors, dict) or not errors or not set(errors) <= input_ids:
                    return "invalid response_action errors: keys must be input block_ids"
                view.errors = {str(k): str(v) for k, v in errors.items()}
                ws.touch()
            elif action in ("update", "push"):
                body = (ack or {}).get("view")
                problems = view_problems(body, expected="modal", action_id_scope=self._scope)
                if problems:
                    return "invalid_arguments: " + "; ".join(problems)
                assert isinstance(body, dict)
                body = {**body, "blocks": with_generated_ids(body["blocks"])}
                if action == "update":
                    ws.replace_view(view, body)
                else:
                    ws.push_modal(user, body)
            else:
                return f"unknown response_action {action!r}"
        return None

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
        envelope = self._envelope(
            "events_api",
            payload,
            label,
            tamper=tamper,
            retry_num=retry_num,
            retry_reason=retry_reason,
        )
        return self._deliver(envelope)

    def redeliver(
        self, envelope_id: str, *, retry_num: int = 1, retry_reason: str = "http_timeout"
    ) -> Delivery:
        """Send an event again as Slack's retry would (same event_id, retry headers)."""
        original = self._ws.delivery(envelope_id)
        if original is None or original.type != "events_api":
            raise LookupError(f"no events_api delivery {envelope_id}")
        envelope = self._envelope(
            "events_api",
            original.payload,
            original.label,
            retry_num=retry_num,
            retry_reason=retry_reason,
        )
        return self._deliver(envelope)

    def _envelope(
        self,
        kind: Literal["slash_commands", "interactive", "events_api"],
        payload: Json,
        label: str,
        *,
        accepts: bool = False,
        tamper: Tamper | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> Envelope:
        return Envelope(
            self._ws.new_id("env-"), kind, payload, label, accepts, retry_num, retry_reason, tamper
        )

    def _deliver(self, envelope: Envelope) -> Delivery:
        ws = self._ws
        transport: DeliveryTransport = self._http if self._http is not None else self._socket_mode
        eid, deadline = envelope.envelope_id, self.ack_deadline
        ws.record_delivery(
            Delivery(
                eid,
                envelope.type,
                envelope.label,
                transport.name,
                time.time(),
                deadline,
                False,
                None,
                None,
                None,
                None,
                envelope.retry_attempt,
                envelope.payload,
            )
        )

        def late(latency: float, payload: Json | None) -> None:
            ws.update_delivery(eid, acked=True, ack_latency=latency, ack_payload=payload)

        outcome = transport.send(envelope, deadline, late)
        changes: Json = {"http_status": outcome.http_status, "error": outcome.error}
        if outcome.acked:
            changes.update(acked=True, ack_latency=outcome.latency, ack_payload=outcome.payload)
        return ws.update_delivery(eid, **changes)

    # -- reading the workspace -----------------------------------------------------------------

    def messages(self, channel: str, *, include_deleted: bool = False) -> list[Message]:
        """Top-level messages of a channel, oldest first (thread replies are not included)."""
        return self._ws.messages(self.channel_id(channel), include_deleted=include_deleted)

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        """A thread's parent followed by its replies."""
        return self._ws.thread(self.channel_id(channel), thread_ts)

    def replies(self, channel: str, thread_ts: str) -> list[Message]:
        return self.thread(channel, thread_ts)[1:]

    def message(self, ts: str) -> Message:
        found = self._ws.message_by_ts(ts)
        if found is None:
            raise LookupError(f"no message with ts {ts}")
        return found.snapshot()

    def ephemeral(self, user: str, channel: str | None = None) -> list[EphemeralMessage]:
        """Ephemeral messages ``user`` has seen (from the bot and from Slack), oldest first."""
        return self._ws.ephemeral(user, self.channel_id(channel) if channel else None)

    def open_views(self, user: str) -> list[View]:
        """The user's modal stack, root first."""
        return [v.snapshot() for v in self._ws.modals(user)]

    def view(self, view_id: str) -> View | None:
        found = self._ws.view(view_id)
        return found.snapshot() if found is not None else None

    def home_view(self, user: str) -> View | None:
        found = self._ws.home(user)
        return found.snapshot() if found is not None else None

    def calls(self, method: str | None = None) -> list[ApiCall]:
        return self._ws.calls(method)

    def deliveries(self) -> list[Delivery]:
        return self._ws.deliveries()

    def delivery(self, envelope_id: str) -> Delivery:
        found = self._ws.delivery(envelope_id)
        if found is None:
            raise LookupError(f"no delivery {envelope_id}")
        return found

    def ack_failures(self) -> list[Delivery]:
        """Deliveries not acked on time (late, missing, or answered with an error)."""
        return [d for d in self._ws.deliveries() if d.failed]

    def rate_limit_breaches(self, method: str | None = None) -> list[Breach]:
        return self._limiter.breaches(method)

    def set_rate_budget(self, method: str, budget: RateBudget | None) -> None:
        self._limiter.set_budget(method, budget)

    def rate_budgets(self) -> dict[str, RateBudget]:
        return self._limiter.budgets()

    # -- waiting -------------------------------------------------------------------------------

    def wait_for(
        self, predicate: Callable[[], T], timeout: float = 5.0, what: str = "condition"
    ) -> T:
        """Block until ``predicate()`` is truthy (woken by every change); TimeoutError after."""
        return self._ws.wait_for(predicate, timeout, what)

    def wait_for_messages(
        self, channel: str, count: int, *, thread_ts: str | None = None, timeout: float = 5.0
    ) -> list[Message]:
        """Wait until the channel has ``count`` top-level messages (or the thread ``count``
        replies); returns them."""

        def enough() -> list[Message] | None:
            found = (
                self.replies(channel, thread_ts)
                if thread_ts is not None
                else self.messages(channel)
            )
            return found if len(found) >= count else None

        where = f"{channel} thread {thread_ts}" if thread_ts else channel
        return self.wait_for(enough, timeout, f"{count} messages in {where}")

    def wait_for_ephemeral(
        self, user: str, count: int, *, channel: str | None = None, timeout: float = 5.0
    ) -> list[EphemeralMessage]:
        def enough() -> list[EphemeralMessage] | None:
            found = self.ephemeral(user, channel)
            return found if len(found) >= count else None

        return self.wait_for(enough, timeout, f"{count} ephemeral messages for {user}")

    def reset(self) -> None:
        """Forget messages, views, journals and breaches, and refill the budgets."""
        self._ws.clear_activity()
        self._limiter.reset()


def _rejection(exc: ResponseRejected) -> str:
    return f"{exc.error}: {'; '.join(exc.problems)}" if exc.problems else exc.error
