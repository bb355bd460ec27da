"""Delivering a run's progress events to subscribers (the Slack reporter, a test, a log).

Each subscriber gets its own bounded queue and thread, so a slow or failing subscriber never
slows or breaks the run: ``publish`` never blocks and never raises. When a subscriber falls
so far behind that its queue is full, new events for it are counted in ``dropped`` (and
logged); every event is in the Store already, so it can catch up with ``list_events``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from engine.runs import ProgressEvent

Subscriber = Callable[[ProgressEvent], None]

log = logging.getLogger(__name__)

_STOP = object()


class Subscription:
    def __init__(self, subscriber: Subscriber, name: str, queue_size: int) -> None:
        self.name = name
        self.dropped = 0
        self.failures = 0
        self._subscriber = subscriber
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        # Daemon: a subscriber stuck for good must not keep the process alive.
        self._thread = threading.Thread(target=self._deliver, name=f"progress-{name}", daemon=True)
        self._thread.start()

    def offer(self, event: ProgressEvent) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 100 == 0:
                log.warning(
                    "progress subscriber is behind; events dropped",
                    extra={"subscriber": self.name, "dropped": self.dropped},
                )

    def close(self, timeout: float) -> bool:
        """Stop after the queued events; True if the thread finished within ``timeout``."""
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            return False
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def drain(self, timeout: float) -> bool:
        """Wait until every event offered so far was handed to the subscriber (and it
        returned); False if that took over ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._queue.all_tasks_done.wait(left)
        return True

    def _deliver(self) -> None:
        while True:
            event = self._queue.get()
            try:
                if event is _STOP:
                    return
                assert isinstance(event, ProgressEvent)
                self._hand_over(event)
            finally:
                self._queue.task_done()

    def _hand_over(self, event: ProgressEvent) -> None:
        try:
            self._subscriber(event)
        except Exception:
            self.failures += 1
            log.exception(
                "progress subscriber failed",
                extra={"subscriber": self.name, "run_id": event.run_id, "seq": event.seq},
            )


class ProgressHub:
    def __init__(self, *, queue_size: int = 1000) -> None:
        self._queue_size = queue_size
        self._subscriptions: list[Subscription] = []
        self._lock = threading.Lock()

    def subscribe(
        self, subscriber: Subscriber, *, name: str | None = None, queue_size: int | None = None
    ) -> Subscription:
        """Deliver every event published from now on to ``subscriber``, on its own thread;
        ``queue_size`` (default: the hub's) bounds how far it may fall behind."""
        label = name or str(getattr(subscriber, "__name__", "subscriber"))
        subscription = Subscription(subscriber, label, queue_size or self._queue_size)
        with self._lock:
            self._subscriptions.append(subscription)
        return subscription

    def publish(self, event: ProgressEvent) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.offer(event)

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every subscriber has been handed every event published so far."""
        deadline = time.monotonic() + timeout
        with self._lock:
            subscriptions = list(self._subscriptions)
        return all(s.drain(max(0.0, deadline - time.monotonic())) for s in subscriptions)

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued and stop every subscription's thread (within ``timeout``)."""
        with self._lock:
            subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            if not subscription.close(timeout):
                log.warning(
                    "progress subscriber did not stop", extra={"subscriber": subscription.name}
                )
