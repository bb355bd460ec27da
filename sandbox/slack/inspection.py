"""The test API's reading side: messages, threads, ephemeral messages, views, journals,
rate-limit breaches, and waiting for a condition without fixed sleeps."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sandbox.slack.people import People
from sandbox.slack.ratelimit import Breach, RateBudget, RateLimiter
from sandbox.slack.records import ApiCall, Delivery, EphemeralMessage, File, Message, View
from sandbox.slack.state import Workspace

T = TypeVar("T")


class Inspection(People):
    """Reading part of the test API (a base of ``Control``)."""

    _ws: Workspace
    _limiter: RateLimiter

    @property
    def version(self) -> int:
        """Bumped by every change to the workspace."""
        return self._ws.version

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

    def files(self) -> list[File]:
        """Every file announced by files.getUploadURLExternal, oldest first, with its bytes
        (once posted to its upload URL) and where it was shared."""
        return self._ws.files()

    def file(self, file_id: str) -> File:
        found = self._ws.stored_file(file_id)
        if found is None:
            raise LookupError(f"no file {file_id}")
        return found.snapshot()

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
        self, predicate: Callable[[], T | None], timeout: float = 5.0, what: str = "condition"
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
