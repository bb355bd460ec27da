"""Approver groups resolved through Slack's ``usergroups.users.list``, cached briefly so a
burst of clicks costs one lookup per group (the ``GroupDirectory`` port)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from engine.errors import DirectoryUnavailable


class SlackGroups:
    def __init__(
        self,
        client: WebClient,
        *,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def members(self, group_id: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(group_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        try:
            response = self._client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as exc:
            raise DirectoryUnavailable(
                f"Slack did not list user group {group_id}: {exc.response.get('error')}"
            ) from exc
        except (SlackClientError, OSError) as exc:
            raise DirectoryUnavailable(f"Slack could not be reached: {exc}") from exc
        users = frozenset(str(u) for u in response.get("users") or [])
        with self._lock:
            self._cache[group_id] = (now, users)
        return users
