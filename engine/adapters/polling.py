"""``PendingOperation``s the adapters hand back: one polled through a read, one that wraps an
azure-core ``LROPoller``. Waiting is bounded by the caller, so a stage can check for
cancellation between waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from azure.core.exceptions import HttpResponseError

from engine.adapters.azure.errors import azure_error
from engine.errors import CloudUnavailable


class PolledOperation:
    """Done when ``check`` returns True; ``check`` raises our error if the operation failed."""

    def __init__(self, description: str, check: Callable[[], bool], interval: float) -> None:
        self._description = description
        self._check = check
        self._interval = interval
        self._done = False

    @property
    def description(self) -> str:
        return self._description

    def wait(self, seconds: float) -> bool:
        deadline = time.monotonic() + max(0.0, seconds)
        while not self._done:
            self._done = self._check()
            remaining = deadline - time.monotonic()
            if self._done or remaining <= 0:
                break
            time.sleep(min(self._interval, remaining))
        return self._done


class AzureOperation:
    """An Azure long-running operation; its poller follows ``Azure-AsyncOperation`` on its own
    thread, at the interval the service asks for (``Retry-After``)."""

    def __init__(self, description: str, poller: Any, *, resource: str, action: str) -> None:
        self._description = description
        self._poller = poller
        self._resource = resource
        self._action = action

    @property
    def description(self) -> str:
        return self._description

    @property
    def continuation_token(self) -> str:
        """Lets another process follow this operation (``polling=`` on a new ``begin_`` call)."""
        token: str = self._poller.continuation_token()
        return token

    def wait(self, seconds: float) -> bool:
        try:
            self._poller.wait(timeout=max(0.0, seconds))
            if not self._poller.done():
                return False
            self._poller.result()
        except HttpResponseError as exc:
            if exc.status_code is not None and exc.status_code < 400:
                # The status poll itself worked: the operation failed on Azure's side.
                code = exc.error.code if exc.error is not None else "Failed"
                raise CloudUnavailable(f"{self._description} failed in Azure ({code})") from exc
            raise azure_error(exc, resource=self._resource, action=self._action) from exc
        except Exception as exc:
            raise azure_error(exc, resource=self._resource, action=self._action) from exc
        return True
