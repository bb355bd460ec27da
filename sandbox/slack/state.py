"""The workspace's state: messages, threads, ephemeral messages, views, and the journals.

One re-entrant lock guards it all; every Web API call and every test API step runs under it,
so each is atomic. Each change bumps ``version`` and wakes ``wait_for`` callers.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from sandbox.slack.clock import Clock
from sandbox.slack.directory import Directory, Identity
from sandbox.slack.records import ApiCall, Delivery, EphemeralMessage, File, Message
from sandbox.slack.stored import (
    EphemeralSource,
    ResponseTarget,
    StoredEphemeral,
    StoredFile,
    StoredMessage,
    StoredView,
    Trigger,
)

Json = dict[str, Any]
T = TypeVar("T")


class Workspace:
    """All mutable emulator state, behind one lock."""

    def __init__(self, identity: Identity, clock: Clock) -> None:
        self.identity = identity
        self.clock = clock
        self.directory = Directory(identity)
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self.version = 0
        self._closed = False
        self._messages: dict[str, list[StoredMessage]] = {}
        self._by_ts: dict[str, StoredMessage] = {}
        self._ephemeral: list[StoredEphemeral] = []
        self._modals: dict[str, list[StoredView]] = {}
        self._home: dict[str, StoredView] = {}
        self._views: dict[str, StoredView] = {}
        self._triggers: dict[str, Trigger] = {}
        self._response_urls: dict[str, ResponseTarget] = {}
        self._files: dict[str, StoredFile] = {}
        self._calls: list[ApiCall] = []
        self._deliveries: dict[str, Delivery] = {}
        self._ids = itertools.count(1)
        self._last_ts_us = 0

    # -- change notification -------------------------------------------------------------

    def touch(self) -> None:
        with self._changed:
            self.version += 1
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[], T | None], timeout: float, what: str) -> T:
        """Return the predicate's first truthy value; TimeoutError after ``timeout`` seconds.

        The predicate runs outside the lock (it may look at the bot's state, which may be
        waiting on the emulator). Wakes on every change, and re-checks at least every 20 ms.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._changed:
                seen = self.version
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            with self._changed:
                if self._closed:
                    raise TimeoutError(f"the emulator stopped while waiting for {what}")
                if remaining <= 0:
                    raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
                if self.version == seen:
                    self._changed.wait(min(remaining, 0.02))

    def close(self) -> None:
        """Wake every waiter and refuse new waits: the emulator is stopping."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def reopen(self) -> None:
        with self._changed:
            self._closed = False

    # -- ids -------------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        with self.lock:
            return f"{prefix}{next(self._ids):08X}"

    def next_ts(self) -> str:
        """A message ts: wall-clock microseconds, unique and increasing across the workspace."""
        with self.lock:
            now_us = int(time.time() * 1_000_000)
            self._last_ts_us = max(now_us, self._last_ts_us + 1)
            return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    # -- messages ----------------------------------------------------------------------------

    def post_message(
        self,
        channel: str,
        *,
        user: str,
        bot_id: str | None,
        text: str,
        blocks: list[Json],
        thread_ts: str | None = None,
        files: list[Json] | None = None,
    ) -> StoredMessage:
        """Store a message; ``thread_ts`` must name a message of the channel (KeyError if not)."""
        with self.lock:
            root: StoredMessage | None = None
            if thread_ts is not None:
                parent = self.find_message(channel, thread_ts)
                if parent is None:
                    raise KeyError(thread_ts)
                root = self._by_ts[parent.thread_ts] if parent.thread_ts else parent
            message = StoredMessage(
                self.next_ts(),
                channel,
                user,
                bot_id,
                text,
                blocks,
                root.ts if root is not None else None,
                files=list(files or []),
            )
            if root is not None:
                root.replies.append(message.ts)
            self._messages.setdefault(channel, []).append(message)
            self._by_ts[message.ts] = message
            self.touch()
            return message

    def find_message(self, channel: str, ts: str) -> StoredMessage | None:
        with self.lock:
            message = self._by_ts.get(ts)
            if message is None or message.channel != channel or message.deleted:
                return None
            return message

    def message_by_ts(self, ts: str) -> StoredMessage | None:
        with self.lock:
            message = self._by_ts.get(ts)
            return None if message is None or message.deleted else message

    def messages(self, channel: str, *, include_deleted: bool = False) -> list[Message]:
        with self.lock:
            return [
                m.snapshot()
                for m in self._messages.get(channel, [])
                if (m.thread_ts is None or m.thread_ts == m.ts)
                and (include_deleted or not m.deleted)
            ]

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        """The parent and its replies, oldest first (what conversations.replies returns)."""
        with self.lock:
            parent = self._by_ts.get(thread_ts)
            if parent is None or parent.channel != channel:
                return []
            replies = [self._by_ts[ts] for ts in parent.replies]
            return [parent.snapshot(), *(r.snapshot() for r in replies if not r.deleted)]

    # -- ephemeral messages ------------------------------------------------------------------

    def post_ephemeral(
        self,
        channel: str,
        user: str,
        *,
        text: str,
        blocks: list[Json],
        source: EphemeralSource,
        thread_ts: str | None = None,
    ) -> StoredEphemeral:
        with self.lock:
            ephemeral = StoredEphemeral(
                self.next_ts(), channel, user, text, blocks, thread_ts, source
            )
            self._ephemeral.append(ephemeral)
            self.touch()
            return ephemeral

    def ephemeral_by_ts(self, ts: str) -> StoredEphemeral | None:
        with self.lock:
            for ephemeral in self._ephemeral:
                if ephemeral.ts == ts and not ephemeral.deleted:
                    return ephemeral
            return None

    def ephemeral(self, user: str, channel: str | None = None) -> list[EphemeralMessage]:
        with self.lock:
            return [
                e.snapshot()
                for e in self._ephemeral
                if e.user == user and not e.deleted and (channel is None or e.channel == channel)
            ]

    # -- views -------------------------------------------------------------------------------

    def _new_view(
        self, user: str, body: Json, root: str | None, previous: str | None
    ) -> StoredView:
        view_id = self.new_id("V")
        view = StoredView(view_id, user, body, secrets.token_hex(8), root or view_id, previous)
        self._views[view_id] = view
        return view

    def open_modal(self, user: str, body: Json) -> StoredView:
        with self.lock:
            for old in self._modals.pop(user, []):
                self._views.pop(old.id, None)
            view = self._new_view(user, body, None, None)
            self._modals[user] = [view]
            self.touch()
            return view

    def push_modal(self, user: str, body: Json) -> StoredView:
        with self.lock:
            stack = self._modals.setdefault(user, [])
            top = stack[-1] if stack else None
            view = self._new_view(
                user, body, top.root_view_id if top else None, top.id if top else None
            )
            stack.append(view)
            self.touch()
            return view

    def replace_view(self, view: StoredView, body: Json) -> StoredView:
        with self.lock:
            view.body = body
            view.hash = secrets.token_hex(8)
            view.errors = None
            view.state_values = {}
            self.touch()
            return view

    def close_modal(self, user: str, view_id: str, *, all_views: bool = False) -> None:
        with self.lock:
            stack = self._modals.get(user, [])
            closing = list(stack) if all_views else [v for v in stack if v.id == view_id]
            for view in closing:
                stack.remove(view)
                self._views.pop(view.id, None)
            self.touch()

    def publish_home(self, user: str, body: Json) -> StoredView:
        with self.lock:
            current = self._home.get(user)
            if current is not None:
                return self.replace_view(current, body)
            view = self._new_view(user, body, None, None)
            self._home[user] = view
            self.touch()
            return view

    def view(self, view_id: str) -> StoredView | None:
        with self.lock:
            return self._views.get(view_id)

    def view_by_external_id(self, external_id: str) -> StoredView | None:
        with self.lock:
            for view in self._views.values():
                if view.body.get("external_id") == external_id:
                    return view
            return None

    def modals(self, user: str) -> list[StoredView]:
        with self.lock:
            return list(self._modals.get(user, []))

    def home(self, user: str) -> StoredView | None:
        with self.lock:
            return self._home.get(user)

    # -- triggers and response URLs ------------------------------------------------------------

    def issue_trigger(self, user: str) -> str:
        with self.lock:
            n = next(self._ids)
            trigger_id = f"{n}.{self.identity.team_id}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = Trigger(user, self.clock.monotonic())
            return trigger_id

    def trigger(self, trigger_id: str) -> Trigger | None:
        with self.lock:
            return self._triggers.get(trigger_id)

    def issue_response_url(self, target: ResponseTarget) -> str:
        with self.lock:
            token = secrets.token_urlsafe(16)
            self._response_urls[token] = target
            return token

    def response_target(self, token: str) -> ResponseTarget | None:
        with self.lock:
            return self._response_urls.get(token)

    # -- files -------------------------------------------------------------------------------

    def new_file(self, filename: str, length: int, alt_txt: str) -> StoredFile:
        with self.lock:
            stored = StoredFile(
                self.new_id("F"), filename, length, secrets.token_urlsafe(16), alt_txt
            )
            self._files[stored.id] = stored
            self.touch()
            return stored

    def stored_file(self, file_id: str) -> StoredFile | None:
        with self.lock:
            return self._files.get(file_id)

    def file_by_ticket(self, ticket: str) -> StoredFile | None:
        with self.lock:
            return next((f for f in self._files.values() if f.ticket == ticket), None)

    def files(self) -> list[File]:
        with self.lock:
            return [f.snapshot() for f in self._files.values()]

    # -- journals ------------------------------------------------------------------------------

    def record_call(self, method: str, args: Json, status: int, response: Json) -> ApiCall:
        with self.lock:
            call = ApiCall(len(self._calls) + 1, method, args, time.time(), status, response)
            self._calls.append(call)
            self.touch()
            return call

    def calls(self, method: str | None = None) -> list[ApiCall]:
        with self.lock:
            return [c for c in self._calls if method is None or c.method == method]

    def record_delivery(self, delivery: Delivery) -> None:
        with self.lock:
            self._deliveries[delivery.envelope_id] = delivery
            self.touch()

    def update_delivery(self, envelope_id: str, **changes: Any) -> Delivery:
        with self.lock:
            updated = replace(self._deliveries[envelope_id], **changes)
            self._deliveries[envelope_id] = updated
            self.touch()
            return updated

    def delivery(self, envelope_id: str) -> Delivery | None:
        with self.lock:
            return self._deliveries.get(envelope_id)

    def deliveries(self) -> list[Delivery]:
        with self.lock:
            return list(self._deliveries.values())

    def clear_activity(self) -> None:
        """Forget messages, views, interactions and journals; keep the directory."""
        with self.lock:
            self._messages.clear()
            self._by_ts.clear()
            self._ephemeral.clear()
            self._modals.clear()
            self._home.clear()
            self._views.clear()
            self._triggers.clear()
            self._response_urls.clear()
            self._files.clear()
            self._calls.clear()
            self._deliveries.clear()
            self.touch()
