"""The work listeners hand over after their ack (see ``handlers.context.Followup``): a few
threads run it, a failure goes to the app's one error handler, and ``drain`` / ``close``
let a test or a stopping replica wait until every accepted click has had its effect."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_sdk import WebClient

from handlers.context import Followup

ErrorHandler = Callable[[Exception, dict[str, Any], WebClient], None]


class Followups:
    def __init__(self, workers: int = 16) -> None:
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="bolt-followup")
        self._idle = threading.Condition()
        self._pending = 0

    def runner(self, on_error: ErrorHandler, client: WebClient) -> Followup:
        """The ``Followup`` listeners call: ``work`` on a followup thread, failures to
        ``on_error`` with the request's body."""

        def followup(body: Mapping[str, Any], work: Callable[[], None]) -> None:
            def run() -> None:
                try:
                    work()
                except Exception as error:  # noqa: BLE001 - the one error handler takes them all
                    on_error(error, dict(body), client)
                finally:
                    with self._idle:
                        self._pending -= 1
                        self._idle.notify_all()

            with self._idle:
                self._pending += 1
            self._executor.submit(run)

        return followup

    def drain(self, timeout: float) -> bool:
        """Wait until no followup is queued or running; False if that took over ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def close(self) -> None:
        """Finish what was accepted; called before the store closes."""
        self._executor.shutdown(wait=True)
