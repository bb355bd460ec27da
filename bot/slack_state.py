"""Whether Slack can be reached, for /ready.

In Socket Mode that is the connection itself. In HTTP mode Slack comes to the bot, so what is
asked is whether the bot's token still gets answers from the Web API (``auth.test``, which
Slack rates for "hundreds of requests per minute"). The check runs on a thread of its own at
most every ``every`` seconds; /ready reads the last answer and never waits on Slack, so a
kubelet's one-second probe is answered at once even while Slack hangs.

While Slack is unreachable the bot is not ready, and says why, but stays live: restarting it
would not bring Slack back, and would stop the runs in progress, which keep going and are
shown in their thread once Slack answers again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 5
"""Seconds one ``auth.test`` may take before Slack counts as unreachable."""


class SlackState:
    def __init__(
        self,
        client: WebClient,
        *,
        connected: Callable[[], bool] | None = None,
        every: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``connected`` is the Socket Mode connection's state; without it (HTTP mode) the
        Web API is asked, through a client of its own with a short timeout."""
        self._connected = connected
        self._client = WebClient(
            token=client.token, base_url=client.base_url, timeout=CHECK_TIMEOUT
        )
        self._every = every
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._checking = False
        self._problem: str | None = None

    def problem(self) -> str | None:
        """Why Slack cannot be reached, in a few words; None when it can."""
        if self._connected is not None:
            return None if self._connected() else "not connected to Slack (Socket Mode)"
        with self._lock:
            due = self._checked_at is None or self._clock() - self._checked_at >= self._every
            if due and not self._checking:
                self._checking = True
                threading.Thread(target=self._check, name="slack-state", daemon=True).start()
            return self._problem

    def check_now(self) -> str | None:
        """Ask Slack now and return the answer (start-up, tests)."""
        self._check()
        return self._problem

    def _check(self) -> None:
        problem = _ask(self._client)
        with self._lock:
            if problem != self._problem:
                log.log(
                    logging.WARNING if problem else logging.INFO,
                    "Slack's Web API %s",
                    problem or "answers again",
                )
            self._problem = problem
            self._checked_at = self._clock()
            self._checking = False


def _ask(client: WebClient) -> str | None:
    try:
        client.auth_test()
    except SlackApiError as exc:
        # Slack answered and refused: the token was revoked, the app uninstalled.
        return f"Slack refuses the bot's token ({exc.response.get('error', 'error')})"
    except (SlackClientError, OSError):
        return "Slack's Web API does not answer"
    return None
